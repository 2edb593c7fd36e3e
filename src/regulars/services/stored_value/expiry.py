"""Expiry of gift certificates: what is left on a certificate past its validity moves to the
money asset's ``expired`` account (breakage, reported as income), through the ledger's
``expire`` operation (one ``expire`` entry per certificate, keyed by its lot, so a run cut
short and started again expires nothing twice). Goods bought with a validity expire the same
way, into their own asset's ``expired`` account: one ``expire`` entry per goods account for
its due purchase lots (what a till may still take of them is gone). Wallets never expire."""

from __future__ import annotations

from dataclasses import dataclass

from regulars.db.ledger import ops as ledger_ops
from regulars.db.stored_value import goods as goods_store
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.assets import goods, money
from regulars.services.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class BreakageReport:
    certificates: int
    amount_minor: int
    goods_accounts: int = 0
    goods_milli: int = 0


def expire(rt: Runtime) -> BreakageReport:
    """Expire every certificate lot due at the clock's now, one transaction per tenant that
    has any. Running it again at the same moment writes nothing."""
    now = rt.now()
    with rt.db.read() as conn:
        due = [t for t in tenancy.list_tenants(conn) if ledger_ops.any_due(conn, t.id, now)]
    certificates = amount = goods_accounts = goods_milli = 0
    for tenant in due:
        with rt.db.write() as conn:
            _, moved, entries = ledger_ops.expire(
                conn, tenant.id, after=0, upto=ledger_ops.LAST_ACCOUNT, now=now,
                asset=money(tenant.currency))
            for product in goods_store.goods_products_of(conn, tenant.id):
                _, units, accounts = ledger_ops.expire(
                    conn, tenant.id, after=0, upto=ledger_ops.LAST_ACCOUNT, now=now,
                    asset=goods(str(product.product_id), product.unit))
                goods_accounts += accounts
                goods_milli += units
        certificates += entries
        amount += moved
    return BreakageReport(certificates=certificates, amount_minor=amount,
                          goods_accounts=goods_accounts, goods_milli=goods_milli)
