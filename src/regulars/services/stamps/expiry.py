"""Expiry of stamps: the stamps of each card past its days move to the card's ``expired``
account through the ledger's ``expire`` operation (one entry per member account and run,
keyed by its lowest due lot, so a run cut short and started again expires nothing twice)."""

from __future__ import annotations

from dataclasses import dataclass

from regulars.db.ledger import ops as ledger_ops
from regulars.db.stamps import stamps as store
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.assets import stamps as stamps_asset
from regulars.services.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class StampExpiryReport:
    stamps: int
    entries: int


def expire(rt: Runtime) -> StampExpiryReport:
    """Expire every stamp lot due at the clock's now, one transaction per tenant that has
    cards with an expiry and any lot due. Running it again at the same moment writes
    nothing."""
    now = rt.now()
    with rt.db.read() as conn:
        due = [(t.id, [c.id for c in store.list_cards(conn, t.id) if c.expiry_days])
               for t in tenancy.list_tenants(conn) if ledger_ops.any_due(conn, t.id, now)]
    stamps = entries = 0
    for tenant_id, card_ids in due:
        if not card_ids:
            continue
        with rt.db.write() as conn:
            for card_id in card_ids:
                _, moved, written = ledger_ops.expire(
                    conn, tenant_id, after=0, upto=ledger_ops.LAST_ACCOUNT, now=now,
                    asset=stamps_asset(card_id))
                stamps += moved
                entries += written
    return StampExpiryReport(stamps=stamps, entries=entries)
