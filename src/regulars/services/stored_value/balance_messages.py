"""The "certificate or wallet balance" message: after a stored-value change a member sees
(a wallet top-up, a wallet or certificate paying part of their receipt, a gift card sold to
them at the till), queued in the change's own transaction and keyed by it, so that a
retried commit or top-up queues nothing more. Amounts are written in the tenant's currency
with its minor digits, from integers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection

from regulars.services.messaging import notify
from regulars.services.runtime import Runtime
from regulars.services.stored_value.results import CertificateSold, TenderTaken
from regulars.services.tenancy.tenants import minor_digits


def amount_text(amount_minor: int, currency: str, *, signed: bool = False) -> str:
    """``1234`` in EUR as ``12.34 EUR`` (``+12.34 EUR`` when ``signed``)."""
    digits = minor_digits(currency)
    whole, part = divmod(abs(amount_minor), 10 ** digits)
    sign = "-" if amount_minor < 0 else ("+" if signed else "")
    text = f"{whole}.{part:0{digits}d}" if digits else str(whole)
    return f"{sign}{text} {currency}"


def queue_change(conn: Connection, rt: Runtime, tenant_id: int, member_id: int, *,
                 currency: str, change_minor: int, balance_minor: int,
                 of: Literal["wallet", "certificate"], key: str, now: datetime) -> str:
    """Queue one balance message of the member's wallet or a gift card (``of``: the
    message names which, in the member's language); its outcome (see
    :class:`notify.Queued`)."""
    return notify.queue_one(conn, rt, tenant_id, event="balance", member_id=member_id,
                            key=key, now=now, values={
                                "change": amount_text(change_minor, currency, signed=True),
                                "balance": amount_text(balance_minor, currency),
                                "balance_name": of})


def queue_receipt(conn: Connection, rt: Runtime, tenant_id: int, member_id: int, *,
                  receipt_id: int, currency: str, tenders: Sequence[TenderTaken],
                  sold: Sequence[CertificateSold], now: datetime) -> None:
    """The balance messages of a receipt: each wallet or certificate tender (its balance
    left) and each gift card it sold (its balance: the amount loaded)."""
    for tender in tenders:
        if tender.kind in ("wallet", "certificate") and tender.balance_minor is not None:
            queue_change(conn, rt, tenant_id, member_id, currency=currency,
                         change_minor=-tender.amount_minor,
                         balance_minor=tender.balance_minor,
                         of="wallet" if tender.kind == "wallet" else "certificate",
                         key=f"receipt:{receipt_id}:balance:{tender.tender_no}", now=now)
    for card in sold:
        queue_change(conn, rt, tenant_id, member_id, currency=currency,
                     change_minor=card.amount_minor, balance_minor=card.amount_minor,
                     of="certificate",
                     key=f"receipt:{receipt_id}:balance:sold:{card.certificate_id}",
                     now=now)
