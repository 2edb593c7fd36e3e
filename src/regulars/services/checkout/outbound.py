"""The events a receipt gives the tenant's other systems (webhooks, ``GET /v1/admin/events``),
built from the answer the till gets and recorded in the same transaction. No phone number or
other personal data goes in an event: members are named by id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.members import members
from regulars.db.tenancy import tenancy
from regulars.domain.program.program import Program
from regulars.services.checkout.results import CommitResult, RefundResult
from regulars.services.feedback import ratings
from regulars.services.messaging import events, notify
from regulars.services.messaging.events import Pending
from regulars.services.program import levels, programs
from regulars.services.runtime import Runtime
from regulars.services.stored_value import balance_messages
from regulars.services.tenancy.api_keys import Principal


def commit_events(principal: Principal, result: CommitResult) -> list[dict[str, Any]]:
    """The events of a new receipt, as rows to record in the transaction of the commit (with
    its stored answer: :func:`regulars.db.checkout.idempotency_keys.store_receipt_answer`), at the
    receipt's ``recorded_at``."""
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
    # One event a key, the first: the receipt is new, so its keys are, and the store records
    # them without looking for one recorded already.
    first: dict[str, Pending] = {}
    for pending in found:
        first.setdefault(pending.key, pending)
    return events.rows(list(first.values()))


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


def message_commit(conn: Connection, rt: Runtime, principal: Principal,
                   result: CommitResult, program: Program) -> None:
    """The member's messages a receipt causes, queued in its transaction: points earned
    (when the tenant opted in, with the signed link to rate the visit), the balance of each
    wallet or certificate it used or gift card it sold, and a level reached or lost since the
    member was last told (with a ``level.changed`` event) under ``program`` (the one the
    receipt was priced with). Keyed by the receipt: a retried commit queues nothing more."""
    member, receipt = result.member, result.receipt
    if member is None:
        return
    tenant_id, now = principal.tenant_id, receipt.recorded_at
    if result.points_earned and notify.points_earned_enabled(conn, tenant_id, now):
        notify.queue_one(conn, rt, tenant_id, event="points_earned", member_id=member.id,
                         key=f"receipt:{receipt.id}:points_earned", now=now,
                         values={"points": str(result.points_earned),
                                 "balance_points": str(member.balance_points),
                                 "feedback_url": ratings.link_for(conn, rt, tenant_id,
                                                                  receipt.id, now)})
    if result.tenders or result.certificates_sold:
        balance_messages.queue_receipt(conn, rt, tenant_id, member.id, receipt_id=receipt.id,
                                       currency=result.currency, tenders=result.tenders,
                                       sold=result.certificates_sold, now=now)
    if len(program.levels) > 1:
        level_change(conn, rt, tenant_id, member.id, program, cause=f"receipt:{receipt.id}",
                     now=now)


def message_refund(conn: Connection, rt: Runtime, principal: Principal,
                   result: RefundResult) -> None:
    """A level the refund or void takes the member below (or, with a floor, keeps), judged
    under the current program as every later receipt will be: told as a commit tells one."""
    if result.member_id is None:
        return
    program = programs.load_current(conn, principal.tenant_id)[1]
    if len(program.levels) > 1:
        level_change(conn, rt, principal.tenant_id, result.member_id, program,
                     cause=f"refund:{result.refund.id}", now=result.refund.occurred_at)


def level_change(conn: Connection, rt: Runtime, tenant_id: int, member_id: int,
                 program: Program, *, cause: str, now: datetime) -> None:
    """Tell the member (and the webhooks) of a level other than the one last told, as it
    stands after ``cause``; the first level seen is recorded silently."""
    tenant, member = tenancy.get_tenant(conn, tenant_id), members.get_member(conn, tenant_id,
                                                                              member_id)
    if tenant is None or member is None:
        return
    level_code = levels.status_for(conn, tenant, program, member, now).level.code
    before = notify.swap_level(conn, tenant_id, member_id, level_code, now)
    if before is None or before == level_code:
        return
    old, new = program.level_by_code(before), program.level_by_code(level_code)
    up = old is None or (new is not None and new.threshold_minor > old.threshold_minor)
    events.emit(conn, tenant_id, [Pending(
        key=f"{cause}:level:{member_id}", type="level.changed",
        data={"member_id": member_id, "from": before, "to": level_code,
              "direction": "up" if up else "down"})], now)
    notify.queue_one(conn, rt, tenant_id, event="level_reached" if up else "level_lost",
                     member_id=member_id, key=f"{cause}:level:{member_id}", now=now,
                     values={"level": new.name if new else level_code,
                             "previous_level": old.name if old else before})
