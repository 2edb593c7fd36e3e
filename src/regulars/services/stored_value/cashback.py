"""Cashback at commit and refund, inside their units of work: the program's share of a
member's purchase (:mod:`regulars.domain.stored_value.cashback`) credited as money into the
member's wallet with one ``cashback`` entry keyed by the receipt, and taken back in proportion
to the money each refund pays back (``refund_cashback``, keyed by the refund), so a replay or a
second refund never takes it twice. The promotions' cashback joins the program's in the same
entry (see :mod:`regulars.domain.stored_value.cashback`). The wallet is opened at the first
cashback. What a receipt's cashback credits, net of refunds, counts in its day's reward cost
(:mod:`regulars.db.analytics.days`), in the aggregates' write at the end of the unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.analytics import days as day_totals
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.stored_value import certificates as wallet_store
from regulars.db.tenancy import tenancy
from regulars.domain.checkout.quote import Explanation, Quote
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.domain.program.program import Program
from regulars.domain.stored_value.cashback import (
    Cashback,
    cashback_back,
    of_member_sale,
)
from regulars.errors import RefundRefused
from regulars.services.stored_value.certificates import asset_of
from regulars.services.stored_value.wallets import open_wallet


def of_sale(program: Program, quote: Quote, *, member: bool,
            prepaid_minor: int = 0) -> Cashback | None:
    """The cashback a priced sale gives by the program's rule and its promotions (none
    without a member, or when neither gives any), less the share of ``prepaid_minor`` paid
    from the wallet or by goods accounts."""
    return of_member_sale(program, quote, prepaid_minor=prepaid_minor) if member else None


def credit(conn: Connection, tenant: tenancy.TenantRow, ctx: EntryContext,
           cashback: Cashback | None, quote: Quote | None = None) -> dict[str, int]:
    """Credit the receipt's cashback to its member's wallet (the memo explains it: the
    program's rule and each promotion of ``quote`` that gave some); the entry written, by
    code; counted in the reward cost of the receipt's day (its place is ``ctx``'s)."""
    if cashback is None or ctx.member_id is None:
        return {}
    asset = asset_of(tenant)
    account_id = open_wallet(conn, tenant.id, ctx.member_id, asset)
    entry_id = ledger_ops.earn(
        conn, ctx, key=f"receipt:{ctx.receipt_id}:cashback", account_id=account_id,
        amount=cashback.total_minor, available_at=ctx.recorded_at, expires_at=None,
        code=EntryCode.CASHBACK, source=SystemAccount.ISSUED, asset=asset,
        memo={"amount_minor": cashback.total_minor, "why": [
            {"code": e.code, "params": dict(e.params)}
            for e in (*_promotions_explained(quote), *cashback.explanations())]})
    day_totals.add_cashback(conn, ctx.tenant_id, at=ctx.occurred_at,
                            terminal_id=ctx.terminal_id, store_id=ctx.store_id,
                            staff_id=ctx.staff_id, amount_minor=cashback.total_minor)
    return {EntryCode.CASHBACK.value: entry_id}


def _promotions_explained(quote: Quote | None) -> tuple[Explanation, ...]:
    if quote is None or not quote.promotions:
        return ()
    return tuple(e for e in quote.explanations if e.code == "promotion_cashback")


@dataclass(frozen=True, kw_only=True)
class TakenBack:
    """What a refund did to a receipt's cashback: the entry written, by code, and what the
    receipt credits before and after it (its ``cashback`` entry less its refunds')."""

    entries: dict[str, int] = field(default_factory=dict)
    before_minor: int = 0
    after_minor: int = 0


def take_back(conn: Connection, ctx: EntryContext, receipt: dict[str, Any], *,
              paid_back_minor: int, allow_debt: bool, kind: str, key: str,
              now: datetime) -> TakenBack:
    """Take back from the member's wallet the cashback's share of the money this refund
    pays back (``receipt``: its row before the refund). Raises :class:`RefundRefused` when
    the wallet holds less and the program allows no debt."""
    found = [e for e, code in ledger_ops.receipt_entries(conn, ctx.tenant_id, receipt["id"])
             if code == EntryCode.CASHBACK.value]
    if not found or ctx.member_id is None:
        return TakenBack()
    amount = int(ledger_ops.entry_memos(conn, ctx.tenant_id, found)[found[0]]["amount_minor"])
    before = receipt["refunded_paid_minor"]
    # Earlier refunds took back their shares, cumulatively: all of it up to ``before``.
    left = amount - cashback_back(amount, paid_minor=receipt["paid_minor"], refunded_before=0,
                                  refunded_after=before)
    share = cashback_back(amount, paid_minor=receipt["paid_minor"], refunded_before=before,
                          refunded_after=before + paid_back_minor)
    if share <= 0:
        return TakenBack(before_minor=left, after_minor=left)
    tenant = tenancy.get_tenant(conn, ctx.tenant_id)
    assert tenant is not None
    asset = asset_of(tenant)
    account_id = wallet_store.wallet_account(conn, ctx.tenant_id, ctx.member_id, asset.code)
    assert account_id is not None
    try:
        done = ledger_ops.reverse(
            conn, ctx, key=f"receipt:{receipt['id']}:{kind}:{key}:cashback",
            account_id=account_id, amount=share, now=now, origin_lot_id=None,
            allow_debt=allow_debt, code=EntryCode.REFUND_CASHBACK, asset=asset,
            reverses_entry_id=found[0],
            memo={"why": [{"code": "cashback_reversed", "params": {"amount_minor": share}}]})
    except Shortfall as exc:
        raise RefundRefused("the cashback of this receipt was spent from the wallet "
                            "already") from exc
    return TakenBack(entries={EntryCode.REFUND_CASHBACK.value: done.entry_id},
                     before_minor=left, after_minor=left - share)
