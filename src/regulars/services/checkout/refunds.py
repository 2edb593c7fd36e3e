"""Refunds and voids of committed receipts, inside the caller's unit of work.

What a refund should do is planned without a database (:mod:`regulars.domain.checkout.refunds`): the
shares of each line, the points forgiven because they expired, the receipt's status. This
module locks the receipt, applies the plan through the ledger and records it. The refund or
void that leaves nothing of the receipt also gives back its coupon uses (see
:func:`regulars.services.promotions.coupons.give_back`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.analytics import days as day_totals
from regulars.db.checkout import receipts
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.members import members
from regulars.db.program import spend_totals
from regulars.db.tenancy import tenancy
from regulars.domain.checkout.refunds import Receipt, ReceiptLine, RefundPlan, plan_refund
from regulars.domain.ledger.ledger import EntryCode
from regulars.domain.program.program import Program
from regulars.errors import NotFound, RefundRefused
from regulars.services.audit import audit
from regulars.services.checkout import outbound
from regulars.services.checkout.results import RefundDone, RefundedLine, RefundResult
from regulars.services.program import programs
from regulars.services.promotions import budgets, coupon_issue, coupons
from regulars.services.rewards import claims, referral_chain
from regulars.services.stamps import till as stamp_till
from regulars.services.stored_value import cashback as stored_value_cashback
from regulars.services.stored_value import goods_sales
from regulars.services.stored_value import sales as stored_value_sales
from regulars.services.stored_value import tenders as stored_value_tenders
from regulars.services.stored_value.results import TenderReturned
from regulars.services.tenancy.api_keys import Principal


def _store_refund(conn: Connection, principal: Principal, receipt: dict[str, Any],
                  plan: RefundPlan, *, debt: int, now: datetime) -> int:
    """The receipt's new status and the refund's own row; the refund's id."""
    receipts.update_receipt(
        conn, principal.tenant_id, receipt["id"], status=plan.status,
        refunded_paid_minor=receipt["refunded_paid_minor"] + plan.paid_back_minor)
    return receipts.insert_refund(
        conn, tenant_id=principal.tenant_id, receipt_id=receipt["id"],
        terminal_id=principal.terminal_id, kind=plan.kind, paid_minor=plan.paid_back_minor,
        points_reversed=plan.reverse, points_returned=plan.spent_back,
        points_forgiven=plan.forgiven, debt_points=debt, lines=_done_lines(plan),
        occurred_at=now)


def refund_receipt(conn: Connection, principal: Principal, receipt_id: int,
                   lines: list[tuple[int, int]] | None, *, key: str, now: datetime,
                   void: bool, split: Sequence[tuple[int, int]] | None = None,
                   staff_id: int | None = None) -> RefundResult:
    """Refund ``lines`` (``(line_no, quantity_milli)``; ``None``: everything left) of a
    receipt, or void it: lock the receipt, plan
    (:func:`~regulars.domain.checkout.refunds.plan_refund`),
    apply the plan through the ledger, record the refund (on the audit trail as
    ``staff_id``'s, the cashier signed in at the till, when given).

    Raises :class:`NotFound` for an unknown receipt (or another tenant's),
    :class:`RefundRefused` for a voided or fully refunded receipt, an unknown line, or more
    quantity than is left, and when the earned points were already spent and the program's
    debt policy is ``refuse``; :class:`VoidRefused` outside the void window or after a refund.
    """
    tenant_id = principal.tenant_id
    receipt = receipts.get_receipt(conn, tenant_id, receipt_id, for_update=True)
    if receipt is None:
        raise NotFound("receipt not found")
    # The stamp accounts next, as a commit takes them before the rows below.
    stamp_till.lock_for_refund(conn, tenant_id, receipt, now)
    program = programs.load_version(conn, tenant_id, receipt["program_version"])
    by_code = _entries_of(conn, tenant_id, receipt_id)
    origin = _origin_lot(conn, tenant_id, by_code)
    plan = plan_refund(_receipt_of(conn, receipt, origin, now), lines, void=void, now=now,
                       void_window_minutes=program.void_window_minutes,
                       debt_policy=program.debt_policy)
    _record_quantities(conn, tenant_id, receipt_id, plan)
    _give_back_budgets(conn, tenant_id, receipt, plan, program)
    if receipt["member_id"] is not None:
        # Before the account row, in the order a commit takes them (no deadlock between the two).
        _count_spend(conn, receipt, status=plan.status, paid_back=plan.paid_back_minor)
    entry_ids, debt = _post_points(conn, principal, receipt, plan, by_code, origin,
                                   key=key, now=now, program=program)
    stamps_back, rewarded = _give_back_rewards(conn, principal, receipt, plan, key=key,
                                               void=void, now=now)
    returned, (cards_voided, goods_back), cashback = _give_back_stored_value(
        conn, principal, receipt, plan, key=key, now=now, split=split)
    day_totals.change_receipt(conn, receipt, status=plan.status,
                              paid_back_minor=plan.paid_back_minor,
                              returned={s.line_no: s.quantity_milli for s in plan.shares},
                              rewards=(rewarded.before, rewarded.after),
                              cashback_minor=(cashback.before_minor, cashback.after_minor))
    entry_ids = {**entry_ids, **cashback.entries}
    voided_coupons = _close_receipt(conn, principal, receipt, plan, program=program, now=now)
    refund_id = _store_refund(conn, principal, receipt, plan, debt=debt, now=now)
    _audit(conn, principal, receipt_id, refund_id, plan, void=void, now=now, staff_id=staff_id)
    balance = (None if receipt["member_id"] is None else
               ledger_ops.account_state(conn, tenant_id, receipt["member_id"]).balance)
    result = replace(_refund_body(receipt, plan, refund_id=refund_id, entry_ids=entry_ids,
                                  debt=debt, balance=balance, voided_coupons=voided_coupons,
                                  now=now), tenders=returned,
                     certificates_voided=cards_voided, goods_taken_back=goods_back,
                     stamps_taken_back=stamps_back)
    outbound.record_refund(conn, principal, result)
    return result


def _give_back_budgets(conn: Connection, tenant_id: int, receipt: dict[str, Any],
                       plan: RefundPlan, program: Program) -> None:
    """What the refunded share of the receipt took from the budgets (rewards and cashback)."""
    budgets.give_back(conn, tenant_id, receipt["id"], receipt["member_id"],
                      point_value_minor=program.point_value_minor,
                      refunded=[(s.line_no, s.before, s.after, s.whole) for s in plan.shares],
                      earned_back=plan.earned_back)
    budgets.give_back_cashback(conn, tenant_id, receipt["id"], paid_minor=receipt["paid_minor"],
                               refunded_before=receipt["refunded_paid_minor"],
                               refunded_after=(receipt["refunded_paid_minor"]
                                               + plan.paid_back_minor))


def _give_back_rewards(conn: Connection, principal: Principal, receipt: dict[str, Any],
                       plan: RefundPlan, *, key: str, void: bool,
                       now: datetime) -> tuple[int, claims.RefundedClaims]:
    """The stamps the refunded goods added (see :func:`stamp_till.refund`), and the catalogue
    rewards claimed on the refunded lines (their points come back once): the stamps taken
    back, and the claims before and after."""
    stamps_back = stamp_till.refund(conn, _context(principal, receipt, now), key=key,
                                    void=void, now=now)
    rewarded = claims.on_refund(conn, principal.tenant_id, receipt["id"],
                                refunded_lines={s.line_no for s in plan.shares
                                                if s.quantity_milli},
                                whole=plan.status in ("voided", "refunded"), now=now)
    return stamps_back, rewarded


def _context(principal: Principal, receipt: dict[str, Any], now: datetime) -> EntryContext:
    return EntryContext(tenant_id=principal.tenant_id, member_id=receipt["member_id"],
                        receipt_id=receipt["id"], terminal_id=principal.terminal_id,
                        store_id=principal.store_id,
                        program_version=receipt["program_version"], occurred_at=now,
                        recorded_at=now)


def _give_back_stored_value(conn: Connection, principal: Principal, receipt: dict[str, Any],
                            plan: RefundPlan, *, key: str, now: datetime,
                            split: Sequence[tuple[int, int]] | None = None
                            ) -> tuple[tuple[TenderReturned, ...], tuple[int, int],
                                       stored_value_cashback.TakenBack]:
    """The certificates, wallet and goods accounts that paid the receipt, refunded in
    proportion (the certificates and wallet as ``split`` says, when the till says), the
    gift cards it sold deactivated and the goods it sold taken back when the whole receipt
    goes back (how many of each), and its cashback taken back in proportion."""
    ctx = EntryContext(tenant_id=principal.tenant_id, member_id=receipt["member_id"],
                       receipt_id=receipt["id"], terminal_id=principal.terminal_id,
                       store_id=principal.store_id, program_version=receipt["program_version"],
                       occurred_at=now, recorded_at=now)
    returned = stored_value_tenders.give_back(
        conn, ctx, receipt, paid_back_minor=plan.paid_back_minor,
        refunded={s.line_no: (s.before, s.after) for s in plan.shares}, kind=plan.kind,
        key=key, now=now, split=split)
    whole = plan.status in ("voided", "refunded")
    cards_voided = (stored_value_sales.deactivate_sold(conn, ctx, key=key, now=now)
                    if whole else 0)
    goods_back = goods_sales.take_back_sold(conn, ctx, now=now) if whole else 0
    cashback = stored_value_cashback.take_back(
        conn, ctx, receipt, paid_back_minor=plan.paid_back_minor, allow_debt=plan.allow_debt,
        kind=plan.kind, key=key, now=now)
    return returned, (cards_voided, goods_back), cashback


def _audit(conn: Connection, principal: Principal, receipt_id: int, refund_id: int,
           plan: RefundPlan, *, void: bool, now: datetime, staff_id: int | None) -> None:
    """The refund or void on the audit trail, by :func:`audit.at_till`'s rule; the till it
    was made at is among the details."""
    actor = audit.at_till(staff_id=staff_id, terminal_id=principal.terminal_id,
                          key_id=principal.key_id)
    audit.record(conn, principal.tenant_id, actor,
                 "receipt.void" if void else "receipt.refund", f"receipt {receipt_id}", at=now,
                 refund_id=refund_id, paid_minor=plan.paid_back_minor,
                 till=principal.terminal_id)


def _receipt_of(conn: Connection, receipt: dict[str, Any], origin: int | None,
                now: datetime) -> Receipt:
    """The receipt as :func:`plan_refund` sees it; ``origin`` is the lot its points went to."""
    tenant_id, receipt_id = receipt["tenant_id"], receipt["id"]
    expired = 0
    if origin is not None:
        earlier = sum(r["points_forgiven"]
                      for r in receipts.refunds_of(conn, tenant_id, receipt_id))
        expired = ledger_ops.lot_gone(conn, tenant_id, origin, now) - earlier
    return Receipt(status=receipt["status"], recorded_at=receipt["recorded_at"],
                   earned_expired=expired, lines=tuple(
                       ReceiptLine(line_no=ln["line_no"], quantity_milli=ln["quantity_milli"],
                                   refunded_quantity_milli=ln["refunded_quantity_milli"],
                                   points_earned=ln["points_earned"],
                                   points_spent=ln["points_spent"],
                                   paid_minor=ln["paid_minor"])
                       for ln in receipts.lines_of(conn, tenant_id, receipt_id)))


def _record_quantities(conn: Connection, tenant_id: int, receipt_id: int,
                       plan: RefundPlan) -> None:
    for share in plan.shares:
        if not receipts.add_refunded_quantity(conn, tenant_id, receipt_id, share.line_no,
                                              share.quantity_milli):
            left = share.whole - share.before
            raise RefundRefused(f"line {share.line_no}: only {left} thousandths are left "
                                "to refund", field="lines")


def _post_points(conn: Connection, principal: Principal, receipt: dict[str, Any],
                 plan: RefundPlan, by_code: dict[str, list[int]], origin: int | None, *,
                 key: str, now: datetime, program: Program) -> tuple[dict[str, int], int]:
    """Return the spent points and take back the earned ones through the ledger; the entry
    ids and the debt left. Raises :class:`RefundRefused` when the earned points were spent
    and the program allows no debt."""
    member_id, receipt_id = receipt["member_id"], receipt["id"]
    if member_id is None or not (plan.spent_back or plan.reverse):
        return {}, 0
    tenant_id = principal.tenant_id
    member = members.get_member(conn, tenant_id, member_id)
    assert member is not None
    ctx = EntryContext(tenant_id=tenant_id, member_id=member_id, receipt_id=receipt_id,
                       terminal_id=principal.terminal_id, store_id=principal.store_id,
                       program_version=receipt["program_version"], occurred_at=now,
                       recorded_at=now)
    kind, prefix = plan.kind, f"receipt:{receipt_id}:{plan.kind}:{key}"
    entry_ids: dict[str, int] = {}
    if plan.spent_back:
        entry_ids["returned"] = ledger_ops.restore(
            conn, ctx, key=f"{prefix}:returned", account_id=member.account_id,
            moves=_restorable(conn, tenant_id, by_code, plan.spent_back), now=now,
            fresh_expires_at=program.lot_dates(now)[1],
            code=EntryCode.VOID if kind == "void" else EntryCode.REFUND_SPEND,
            memo={"why": [{"code": f"{kind}_returned",
                           "params": {"points": plan.spent_back}}]})
    if not plan.reverse:
        return entry_ids, 0
    why = [{"code": f"{kind}_reversed", "params": {"points": plan.reverse}}]
    if plan.forgiven:
        why.append({"code": "refund_forgiven", "params": {"points": plan.forgiven}})
    try:
        reversal = ledger_ops.reverse(
            conn, ctx, key=f"{prefix}:reversed", account_id=member.account_id,
            amount=plan.reverse, now=now, origin_lot_id=origin, allow_debt=plan.allow_debt,
            code=EntryCode.VOID if kind == "void" else EntryCode.REFUND_EARN,
            memo={"forgiven": plan.forgiven, "why": why})
    except Shortfall as exc:
        raise RefundRefused(
            "the points this receipt earned were already spent, and the program "
            "does not allow a negative balance", field="lines") from exc
    entry_ids["reversed"] = reversal.entry_id
    return entry_ids, reversal.debt


def _close_receipt(conn: Connection, principal: Principal, receipt: dict[str, Any],
                   plan: RefundPlan, *, program: Program, now: datetime) -> int:
    """When nothing of the receipt is left: give back its coupon uses, void the coupons it
    issued that are unused (their number is returned) and reverse the referral it settled."""
    if plan.status not in ("voided", "refunded"):
        return 0
    tenant_id, receipt_id, member_id = principal.tenant_id, receipt["id"], receipt["member_id"]
    coupons.give_back(conn, tenant_id, receipt_id, now)
    voided = coupon_issue.void_unused(conn, tenant_id, receipt_id, now)
    if member_id is not None:
        referral_chain.reverse_first_purchase(
            conn, tenant_id, receipt_id=receipt_id, member_id=member_id, program=program,
            now=now, terminal_id=principal.terminal_id, store_id=principal.store_id)
    return voided


def _done_lines(plan: RefundPlan) -> list[dict[str, int]]:
    return [{"line_no": s.line_no, "quantity_milli": s.quantity_milli} for s in plan.shares]


def _refund_body(receipt: dict[str, Any], plan: RefundPlan, *, refund_id: int,
                 entry_ids: dict[str, int], debt: int, balance: int | None,
                 voided_coupons: int, now: datetime) -> RefundResult:
    """The refund's answer (what a replay of it returns)."""
    return RefundResult(
        refund=RefundDone(id=refund_id, kind=plan.kind, receipt_id=receipt["id"],
                          status=plan.status, paid_minor=plan.paid_back_minor,
                          points_reversed=plan.reverse, points_returned=plan.spent_back,
                          points_forgiven=plan.forgiven, debt_points=debt,
                          lines=tuple(RefundedLine(**ln) for ln in _done_lines(plan)),
                          occurred_at=now),
        entries=entry_ids, member_id=receipt["member_id"], balance_points=balance,
        issued_coupons_voided=voided_coupons)


def _count_spend(conn: Connection, receipt: dict[str, Any], *, status: str,
                 paid_back: int) -> None:
    """Take what a refund or void removed from the receipt's qualifying spend off the
    member's day (the receipt row is locked, so ``receipt`` is what this changed)."""
    before = spend_totals.qualifying(receipt)
    after = spend_totals.qualifying(
        {**receipt, "status": status,
         "refunded_paid_minor": receipt["refunded_paid_minor"] + paid_back})
    if after != before:
        tenant = tenancy.get_tenant(conn, receipt["tenant_id"])
        assert tenant is not None
        at = receipt["occurred_at"]
        spend_totals.add_spend(conn, tenant_id=tenant.id, member_id=receipt["member_id"],
                               day=spend_totals.local_day(at, ZoneInfo(tenant.timezone)),
                               net_minor=after - before, at=at)


def _entries_of(conn: Connection, tenant_id: int, receipt_id: int) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for entry_id, code in ledger_ops.receipt_entries(conn, tenant_id, receipt_id):
        found[code].append(entry_id)
    return found


def _origin_lot(conn: Connection, tenant_id: int, by_code: dict[str, list[int]]) -> int | None:
    for entry_id in by_code.get(EntryCode.EARN.value, []):
        for lot_id, amount in ledger_ops.moves_of(conn, tenant_id, entry_id):
            if amount > 0:
                return lot_id
    return None


def _restorable(conn: Connection, tenant_id: int, by_code: dict[str, list[int]],
                points: int) -> list[tuple[int, int]]:
    """Lots to return ``points`` to: those the spend took from, less what earlier refunds
    returned, latest-expiring first (the reverse of the order they were spent in)."""
    left: dict[int, int] = defaultdict(int)
    order: list[int] = []
    for entry_id in by_code.get(EntryCode.SPEND.value, []):
        for lot_id, amount in ledger_ops.moves_of(conn, tenant_id, entry_id):
            if amount < 0:
                if lot_id not in left:
                    order.append(lot_id)
                left[lot_id] += -amount
    returned = ledger_ops.entry_memos(conn, tenant_id,
                                      by_code.get(EntryCode.REFUND_SPEND.value, []))
    for memo in returned.values():
        for lot_id, amount in memo.get("lots", []):
            left[lot_id] -= amount
    moves: list[tuple[int, int]] = []
    need = points
    for lot_id in reversed(order):
        part = min(need, max(0, left[lot_id]))
        if part:
            moves.append((lot_id, part))
            need -= part
    if need:
        raise RefundRefused("the spend on this receipt cannot be matched to its lots")
    return moves
