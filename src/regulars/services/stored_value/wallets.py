"""Members' prepaid money wallets: topped up at the till (paid in cash or by card), spent as
a tender (:mod:`regulars.services.stored_value.tenders`), refunded back into the wallet, and
a statement. A wallet is a member account of the tenant's money asset, opened at its first
top-up; a top-up is a ``top_up`` entry from the asset's ``issued`` account, in a lot that
never expires. Money never mixes with points: another asset, other accounts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.db.stored_value import certificates as certificate_store
from regulars.db.stored_value import wallets as store
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.assets import Asset
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.domain.stored_value.certificates import MAX_AMOUNT_MINOR
from regulars.errors import InvalidInput, NotFound
from regulars.services.checkout.idempotency import Outcome, run_once
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stored_value import balance_messages
from regulars.services.stored_value.certificates import asset_of
from regulars.services.stored_value.results import MoneyLine
from regulars.services.tenancy.api_keys import Principal

STATEMENT_LINES = 100


class PaidBy(StrEnum):
    CASH = "cash"
    CARD = "card"


@dataclass(frozen=True, kw_only=True)
class TopUp:
    """A wallet top-up as stored for its replays."""

    member_id: int
    amount_minor: int
    paid_by: str
    balance_minor: int
    entry_id: int


@dataclass(frozen=True, kw_only=True)
class WalletStatement:
    """A member's wallet: its balance and its latest movements, newest first."""

    member_id: int
    asset: str
    balance_minor: int
    lines: tuple[MoneyLine, ...]


def open_wallet(conn: Connection, tenant_id: int, member_id: int, asset: Asset) -> int:
    """The member's wallet account, opened if it has none (of two concurrent first top-ups
    one opens it, the other finds it)."""
    found = certificate_store.wallet_account(conn, tenant_id, member_id, asset.code)
    if found is not None:
        return found
    try:
        with conn.begin_nested():
            return ledger_ops.open_account(conn, tenant_id, member_id, asset=asset)
    except IntegrityError:
        found = certificate_store.wallet_account(conn, tenant_id, member_id, asset.code)
        assert found is not None
        return found


def top_up(rt: Runtime, principal: Principal, ref: MemberRef, *, amount_minor: int,
           paid_by: PaidBy, key: str, payload: dict[str, Any]) -> Outcome:
    """Add money the customer paid at the till to their wallet, once per ``key`` (a replay
    answers the same), with the member's balance message queued in the same transaction.
    Raises :class:`InvalidInput` (amount), :class:`NotFound` (member),
    :class:`IdempotencyMismatch`."""
    principal.require("till")
    assert principal.terminal_id is not None
    if not 0 < amount_minor <= MAX_AMOUNT_MINOR:
        raise InvalidInput("an amount is positive", field="amount_minor")
    now = rt.now()
    with rt.db.write() as conn:
        tenant = tenancy.get_tenant(conn, principal.tenant_id)
        assert tenant is not None

        def work() -> TopUp:
            member = members.require(conn, tenant.id, tenant.phone_region, ref)
            asset = asset_of(tenant)
            account_id = open_wallet(conn, tenant.id, member.id, asset)
            ctx = EntryContext(tenant_id=tenant.id, member_id=member.id,
                               terminal_id=principal.terminal_id,
                               store_id=principal.store_id, occurred_at=now, recorded_at=now)
            entry_id = ledger_ops.earn(
                conn, ctx, key=f"wallet:{principal.terminal_id}:{key}", account_id=account_id,
                amount=amount_minor, available_at=now, expires_at=None, code=EntryCode.TOP_UP,
                source=SystemAccount.ISSUED, asset=asset,
                memo={"paid_by": paid_by.value, "why": [
                    {"code": "wallet_top_up", "params": {"amount": amount_minor}}]})
            balance_minor = certificate_store.balance_of(conn, tenant.id, account_id)
            balance_messages.queue_change(
                conn, rt, tenant.id, member.id, currency=tenant.currency,
                change_minor=amount_minor, balance_minor=balance_minor, of="wallet",
                key=f"wallet:{principal.terminal_id}:{key}:balance", now=now)
            return TopUp(member_id=member.id, amount_minor=amount_minor, paid_by=paid_by.value,
                         balance_minor=balance_minor, entry_id=entry_id)

        return run_once(conn, tenant_id=tenant.id, scope="wallet_top_up", key=key,
                        payload=payload, now=now, work=work, terminal_id=principal.terminal_id)


def statement(rt: Runtime, tenant_id: int, member_id: int) -> WalletStatement:
    """The member's wallet (an empty one if it was never topped up). Raises
    :class:`NotFound` for a member of another tenant."""
    with rt.db.read() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
        assert tenant is not None
        member = members.find(conn, tenant_id, tenant.phone_region, MemberRef(id=member_id))
        if member is None:
            raise NotFound("member not found")
        asset = asset_of(tenant)
        account_id = certificate_store.wallet_account(conn, tenant_id, member.id, asset.code)
        if account_id is None:
            return WalletStatement(member_id=member.id, asset=asset.code, balance_minor=0,
                                   lines=())
        lines = tuple(MoneyLine(entry_id=r.entry_id, code=r.code, amount_minor=r.amount_minor,
                                 receipt_id=r.receipt_id, occurred_at=r.occurred_at)
                      for r in store.statement(conn, tenant_id, account_id,
                                               limit=STATEMENT_LINES))
        return WalletStatement(member_id=member.id, asset=asset.code,
                               balance_minor=certificate_store.balance_of(conn, tenant_id,
                                                                          account_id),
                               lines=lines)
