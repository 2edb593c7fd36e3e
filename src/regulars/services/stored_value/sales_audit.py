"""Gift cards and goods sold at the till on the audit trail, as every other stored-value act
is (issuing cards, topping up goods accounts): one entry per card or goods sale, in the
commit's transaction, by :func:`regulars.services.audit.audit.at_till`'s rule, with the
receipt and the till among the details. A card is named by id, never by its code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from regulars.services.audit import audit
from regulars.services.stored_value.results import CertificateSold, GoodsSold
from regulars.services.tenancy.api_keys import Principal


def record(conn: Connection, principal: Principal, *, staff_id: int | None, receipt_id: int,
           cards: Sequence[CertificateSold], goods: Sequence[GoodsSold],
           now: datetime) -> None:
    """Each of ``cards`` as ``certificate.sell`` and each of ``goods`` as ``goods.top_up``
    (as a top-up of the account, which it is) on receipt ``receipt_id``."""
    if not (cards or goods):
        return
    actor = audit.at_till(staff_id=staff_id, terminal_id=principal.terminal_id,
                          key_id=principal.key_id)
    at_till = {} if principal.terminal_id is None else {"till": principal.terminal_id}
    for card in cards:
        audit.record(conn, principal.tenant_id, actor, "certificate.sell",
                     f"certificate {card.certificate_id}", at=now,
                     amount_minor=card.amount_minor, receipt_id=receipt_id, **at_till)
    for sale in goods:
        audit.record(conn, principal.tenant_id, actor, "goods.top_up",
                     f"goods account {sale.account_id}", at=now,
                     quantity_milli=sale.quantity_milli, paid_minor=sale.amount_minor,
                     receipt_id=receipt_id, **at_till)
