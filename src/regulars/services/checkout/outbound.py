"""The events a receipt gives the tenant's other systems (webhooks, ``GET /v1/admin/events``),
built from the answer the till gets and recorded in the same transaction. No phone number or
other personal data goes in an event: members are named by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from regulars.services.checkout.results import CommitResult, RefundResult
from regulars.services.messaging import events
from regulars.services.messaging.events import Pending
from regulars.services.tenancy.api_keys import Principal


def record_commit(conn: Connection, principal: Principal, result: CommitResult) -> None:
    receipt = result.receipt
    member_id = result.member.id if result.member else None
    base: dict[str, Any] = {"receipt_id": receipt.id, "receipt_number": receipt.receipt_id,
                            "store_id": principal.store_id,
                            "terminal_id": principal.terminal_id, "member_id": member_id}
    found = [Pending(key=f"receipt:{receipt.id}:committed", type="receipt.committed",
                     data={**base, "currency": result.currency,
                           "gross_minor": result.gross_minor,
                           "discount_minor": result.discount_minor,
                           "paid_minor": result.paid_minor,
                           "points_earned": result.points_earned,
                           "points_spent": result.points_spent,
                           "occurred_at": receipt.occurred_at.isoformat()})]
    if member_id is not None and result.points_earned:
        found.append(Pending(key=f"receipt:{receipt.id}:earned", type="points.earned",
                             data={**base, "points": result.points_earned,
                                   "balance_points": result.member.balance_points
                                   if result.member else None}))
    if member_id is not None and result.points_spent:
        found.append(Pending(key=f"receipt:{receipt.id}:spent", type="points.spent",
                             data={**base, "points": result.points_spent}))
    found += [Pending(key=f"receipt:{receipt.id}:coupon:{c.series_id}", type="coupon.redeemed",
                      data={**base, "series_id": c.series_id, "name": c.name})
              for c in result.coupons]
    events.emit(conn, principal.tenant_id, found, receipt.recorded_at)


def record_refund(conn: Connection, principal: Principal, result: RefundResult) -> None:
    refund = result.refund
    kind = "receipt.voided" if refund.kind == "void" else "receipt.refunded"
    events.emit(conn, principal.tenant_id, [Pending(
        key=f"refund:{refund.id}", type=kind,
        data={"receipt_id": refund.receipt_id, "refund_id": refund.id,
              "member_id": result.member_id, "status": refund.status,
              "paid_minor": refund.paid_minor, "points_reversed": refund.points_reversed,
              "points_returned": refund.points_returned,
              "balance_points": result.balance_points})], refund.occurred_at)
