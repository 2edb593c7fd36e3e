"""Coupons that promotions issue for the next visit (effect ``issue_coupon``).

At commit (in the commit's transaction), for each promotion the quote applied that names a
coupon series, one new code of the series is bound to the receipt's member and recorded
against the receipt, promotion and series (unique, so a code is issued at most once per
receipt, promotion and series). The database keeps only the code's digest; the commit's answer
shows the code, and that stored answer is what a replay of the commit returns, so the till can
print it again but nothing is issued twice. An anonymous receipt gets none (the engine does
not even announce one).

A refund or void that leaves nothing of the receipt voids each code it issued that was never
used (its uses left go to zero by a conditional update); a used code stays used, its value
having been given already.

Budgets: such a promotion counts as applied for its use limits (``uses_per_day``,
``uses_per_period``); a coupon's money value is unknown when it is issued, so it adds nothing
to ``budget_minor``, member caps or buckets, and the promotion stops issuing once any of its
caps is used up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from regulars.db.promotions import coupons as store
from regulars.db.tenancy import tenancy
from regulars.domain import codes
from regulars.domain.checkout.quote import Quote
from regulars.errors import NotFound
from regulars.services.checkout.results import IssuedCoupon
from regulars.services.promotions.coupons import secret_key


def issue(conn: Connection, tenant: tenancy.TenantRow, receipt_id: int, quote: Quote, *,
          member_id: int | None, now: datetime) -> tuple[IssuedCoupon, ...]:
    """Issue the codes the quote's promotions announce; returns them for the answer.
    Raises :class:`NotFound` when a series named by a promotion is gone."""
    if member_id is None:
        return ()
    issued: list[IssuedCoupon] = []
    for applied in quote.promotions:
        for series_id in dict.fromkeys(applied.coupon_series_ids):
            series = store.get_series(conn, tenant.id, series_id)
            if series is None:
                raise NotFound(f"coupon series {series_id} not found")
            key = secret_key(conn, tenant.id, now)
            text = codes.new_code()  # 75 random bits: see services.coupons.generate_codes
            code_id = store.insert_code(conn, tenant_id=tenant.id, series_id=series_id,
                                        digest=codes.digest(key, text), member_id=member_id,
                                        max_uses=series.max_uses, now=now)
            store.record_issued(conn, tenant_id=tenant.id, receipt_id=receipt_id,
                                promotion_id=applied.id, series_id=series_id,
                                code_id=code_id, member_id=member_id, issued_at=now)
            issued.append(IssuedCoupon(promotion_id=applied.id, series_id=series_id,
                                       name=series.name, code=codes.grouped(text),
                                       starts_on=series.starts_on, ends_on=series.ends_on))
    return tuple(issued)


def void_unused(conn: Connection, tenant_id: int, receipt_id: int, now: datetime) -> int:
    """Void the unused codes the receipt issued (after a refund or void left nothing of it);
    returns how many. Each is voided once."""
    return sum(store.void_issued(conn, tenant_id, row["id"], row["code_id"], now)
               for row in store.issued_of(conn, tenant_id, receipt_id)
               if row["voided_at"] is None)
