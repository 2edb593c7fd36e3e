"""Expiry of gift certificates: what is left on a certificate past its validity moves to the
money asset's ``expired`` account (breakage, reported as income), through the ledger's
``expire`` operation (one ``expire`` entry per certificate, keyed by its lot, so a run cut
short and started again expires nothing twice). Wallets never expire."""

from __future__ import annotations

from dataclasses import dataclass

from regulars.db.ledger import ops as ledger_ops
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.assets import money
from regulars.services.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class BreakageReport:
    certificates: int
    amount_minor: int


def expire(rt: Runtime) -> BreakageReport:
    """Expire every certificate lot due at the clock's now, one transaction per tenant that
    has any. Running it again at the same moment writes nothing."""
    now = rt.now()
    with rt.db.read() as conn:
        due = [t for t in tenancy.list_tenants(conn) if ledger_ops.any_due(conn, t.id, now)]
    certificates = amount = 0
    for tenant in due:
        with rt.db.write() as conn:
            _, moved, entries = ledger_ops.expire(
                conn, tenant.id, after=0, upto=ledger_ops.LAST_ACCOUNT, now=now,
                asset=money(tenant.currency))
        certificates += entries
        amount += moved
    return BreakageReport(certificates=certificates, amount_minor=amount)
