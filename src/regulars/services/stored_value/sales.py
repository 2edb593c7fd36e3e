"""Gift cards sold at the till: a commit's ``certificates_sold`` activates pending cards
(issued for sale, with an empty account) and puts the amount paid for each on it, in the
commit's transaction; the card earns no points and no promotion discounts it, since it is not
priced as a basket line. A refund or void that leaves nothing of the receipt deactivates each
card it sold, if unused (its value goes back to the ``issued`` account), and is refused if one
was used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.db.stored_value import certificates as store
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.domain.stored_value.certificates import NOT_ACCEPTED, Status
from regulars.errors import CertificateNotAccepted, InvalidInput, RefundRefused
from regulars.services.stored_value.certificates import (
    asset_of,
    credit,
    find_with_series,
    terms_of,
)
from regulars.services.stored_value.results import CertificateSold

MAX_SOLD = 20


@dataclass(frozen=True, kw_only=True)
class CertificateSale:
    """A pending card by its printed ``code``, sold for ``amount_minor``."""

    code: str
    amount_minor: int


def sell(conn: Connection, tenant: tenancy.TenantRow, ctx: EntryContext,
         sales: Sequence[CertificateSale], *, now: datetime) -> tuple[CertificateSold, ...]:
    """Activate the cards of ``sales`` on receipt ``ctx.receipt_id`` in store
    ``ctx.store_id``. Raises :class:`InvalidInput` naming the field
    (``certificates_sold.N.code`` or ``.amount``); :class:`CertificateNotAccepted` for a card
    whose series lists stores and not this one (it could not pay here either)."""
    if not sales:
        return ()
    if len(sales) > MAX_SOLD:
        raise InvalidInput(f"at most {MAX_SOLD} cards per receipt", field="certificates_sold")
    assert ctx.receipt_id is not None
    sold: list[CertificateSold] = []
    for index, sale in enumerate(sales):
        field = f"certificates_sold.{index}"
        row, series = find_with_series(conn, tenant.id, sale.code, field=f"{field}.code")
        if not series.active:
            raise InvalidInput("this certificate series is no longer sold", field=f"{field}.code")
        if ctx.store_id is not None and not terms_of(series).accepted_at(ctx.store_id):
            raise CertificateNotAccepted(NOT_ACCEPTED, field=f"{field}.code")
        refused = terms_of(series).amount_refusal(sale.amount_minor)
        if refused is not None:
            raise InvalidInput(refused, field=f"{field}.amount")
        expires_at = now + timedelta(days=series.valid_days)
        if row.status != Status.PENDING.value or not store.activate(
                conn, tenant.id, row.id, nominal_minor=sale.amount_minor,
                receipt_id=ctx.receipt_id, expires_at=expires_at):
            raise InvalidInput("this card was sold already", field=f"{field}.code")
        credit(conn, ctx, certificate_id=row.id, account_id=row.account_id,
               amount_minor=sale.amount_minor, expires_at=expires_at, asset=asset_of(tenant))
        sold.append(CertificateSold(certificate_id=row.id, code_ending=row.code_hint,
                                    amount_minor=sale.amount_minor, expires_at=expires_at))
    return tuple(sold)


def deactivate_sold(conn: Connection, ctx: EntryContext, *, key: str, now: datetime) -> int:
    """Deactivate every card receipt ``ctx.receipt_id`` sold (its whole refund or void);
    how many. The cards are locked first, as a tender takes them, and their uses and
    balances read under that lock; their accounts are then debited in id order. Raises
    :class:`RefundRefused` when one of them was used."""
    assert ctx.receipt_id is not None
    rows = store.take_sold_on(conn, ctx.tenant_id, ctx.receipt_id)
    if not rows:
        return 0
    tenant = tenancy.get_tenant(conn, ctx.tenant_id)
    assert tenant is not None
    for row in rows:
        if row.status == Status.VOID.value:
            continue
        if row.uses or row.balance_minor != row.nominal_minor:
            raise RefundRefused("a gift card sold on this receipt was used already",
                                field="lines")
        ledger_ops.reverse(conn, ctx, key=f"certificate:{row.id}:deactivate:{key}",
                           account_id=row.account_id, amount=row.nominal_minor, now=now,
                           origin_lot_id=None, allow_debt=False, code=EntryCode.DEACTIVATE,
                           sink=SystemAccount.ISSUED, asset=asset_of(tenant),
                           memo={"certificate_id": row.id, "why": [
                               {"code": "certificate_deactivated",
                                "params": {"amount": row.nominal_minor}}]})
        store.set_status(conn, ctx.tenant_id, row.id, Status.VOID.value,
                         only_from=[Status.ACTIVE.value, Status.BLOCKED.value])
    return len(rows)
