"""A member's rating of a visit, and what the business does with it.

A member rates a receipt 1 to 5 with an optional comment, from the signed link in the
points-earned message (``/c/<tenant>/rate/<token>``, no sign-in: the token names the
receipt and nothing else) or from the receipt on their customer page. One rating per
receipt: the first is inserted (a unique key on the receipt), and may then be changed for
:data:`~regulars.domain.feedback.rules.EDIT_WINDOW` and until the business answers it (one
conditional update). In the first rating's transaction the ``feedback.received`` event is
recorded (the member by id; the comment, the member's own words, stays in the console)
and the business's event rule of type ``feedback`` (reward settings), if any, pays
its points once per receipt (keyed ``event:feedback:<receipt id>``); a changed rating pays
nothing more.

Failure modes: :class:`NotFound` for a link that is not one or a receipt that is not the
member's; :class:`InvalidInput` (field ``rating`` or ``comment``) for a rating outside 1-5
or a comment too long; :class:`Conflict` for a rating that may no longer change, or a voided
receipt.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.engine import UniqueViolation
from regulars.db.feedback import feedback as store
from regulars.db.messaging import member_messages
from regulars.db.tenancy import tenancy
from regulars.domain.feedback.rules import (
    EDIT_WINDOW,
    MAX_COMMENT,
    clean_comment,
    editable,
    parse_token,
    rating_ok,
    receipt_token,
    token_holds,
)
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.messaging import events, notify
from regulars.services.rewards import rewards
from regulars.services.runtime import Runtime

REWARD_TYPE = "feedback"
"""The type of the business's event rule (reward settings) that pays for a rating."""


@dataclass(frozen=True, kw_only=True)
class Rating:
    """A receipt as its member rates it: ``rating`` is ``None`` before the first; ``editable``
    says whether the member may (still) give or change it."""

    tenant_id: int
    receipt_id: int
    receipt_no: str
    occurred_at: datetime
    rating: int | None
    comment: str | None
    reply: str | None
    editable: bool
    points_paid: int = 0


def feedback_url(rt: Runtime, secret: str, tenant_id: int, receipt_id: int) -> str:
    """The link a message gives for rating ``receipt_id``."""
    token = receipt_token(secret, tenant_id=tenant_id, receipt_id=receipt_id)
    return f"{notify.customer_pages_url(rt, tenant_id)}/rate/{token}"


def link_for(conn: Connection, rt: Runtime, tenant_id: int, receipt_id: int,
             now: datetime) -> str:
    """:func:`feedback_url` with the tenant's link secret, in the caller's transaction."""
    return feedback_url(rt, notify.link_secret(conn, tenant_id, now), tenant_id, receipt_id)


def _view(receipt: dict[str, Any], found: dict[str, Any] | None, tenant_id: int,
          now: datetime, points_paid: int = 0) -> Rating:
    open_ = receipt["status"] != "voided" and (found is None or editable(
        created_at=found["created_at"], answered=found["answered_at"] is not None, now=now))
    return Rating(tenant_id=tenant_id, receipt_id=receipt["id"],
                  receipt_no=receipt["receipt_no"], occurred_at=receipt["occurred_at"],
                  rating=None if found is None else found["rating"],
                  comment=None if found is None else found["comment"],
                  reply=None if found is None else found["reply"], editable=open_,
                  points_paid=points_paid)


def _by_token(conn: Connection, token: str, now: datetime) -> dict[str, Any]:
    named = parse_token(token[:100])
    if named is None or tenancy.get_tenant(conn, named[0]) is None:
        raise NotFound("this link is not valid")
    secret = str(member_messages.settings(conn, named[0], now)["link_secret"])
    receipt = store.receipt_of(conn, named[0], named[1])
    if not token_holds(secret, token) or receipt is None or receipt["member_id"] is None:
        raise NotFound("this link is not valid")
    return {**receipt, "tenant_id": named[0]}


def _own(conn: Connection, tenant_id: int, member_id: int, receipt_id: int
         ) -> dict[str, Any]:
    receipt = store.receipt_of(conn, tenant_id, receipt_id)
    if receipt is None or receipt["member_id"] != member_id:
        raise NotFound("receipt not found")
    return {**receipt, "tenant_id": tenant_id}


def by_token(rt: Runtime, token: str) -> Rating:
    """The receipt a rating link names, as rated so far."""
    now = rt.now()
    with rt.db.write() as conn:  # the tenant's link secret is made on first use
        receipt = _by_token(conn, token, now)
        return _view(receipt, store.by_receipt(conn, receipt["tenant_id"], receipt["id"]),
                     receipt["tenant_id"], now)


def of_receipt(rt: Runtime, tenant_id: int, member_id: int, receipt_id: int) -> Rating:
    now = rt.now()
    with rt.db.read() as conn:
        receipt = _own(conn, tenant_id, member_id, receipt_id)
        return _view(receipt, store.by_receipt(conn, tenant_id, receipt_id), tenant_id, now)


def ratings_of(rt: Runtime, tenant_id: int, receipt_ids: list[int]) -> dict[int, int]:
    """The rating of each receipt of a page of history that has one."""
    with rt.db.read() as conn:
        return store.ratings_of(conn, tenant_id, receipt_ids)


def rate_by_token(rt: Runtime, token: str, *, rating: int, comment: str | None) -> Rating:
    """Rate the receipt the link names (see the module's docstring)."""
    return _rate(rt, lambda conn: _by_token(conn, token, rt.now()), rating=rating,
                 comment=comment, source="link")


def rate_own(rt: Runtime, tenant_id: int, member_id: int, receipt_id: int, *, rating: int,
             comment: str | None) -> Rating:
    """Rate one of the member's own receipts (see the module's docstring)."""
    return _rate(rt, lambda conn: _own(conn, tenant_id, member_id, receipt_id),
                 rating=rating, comment=comment, source="page")


def _checked(rating: int, comment: str | None) -> str | None:
    if not rating_ok(rating):
        raise InvalidInput("a rating is from 1 to 5", field="rating")
    try:
        return clean_comment(comment)
    except ValueError:
        raise InvalidInput("at most %(count)s characters", field="comment",
                           params={"count": MAX_COMMENT}) from None


def _rate(rt: Runtime, receipt_of: Any, *, rating: int, comment: str | None,
          source: str) -> Rating:
    text = _checked(rating, comment)
    for attempt in (1, 2):
        try:
            with rt.db.write() as conn:
                return _rate_in(conn, receipt_of(conn), rating=rating, comment=text,
                                source=source, now=rt.now())
        except UniqueViolation:  # a first rating given at the same moment: change it
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _rate_in(conn: Connection, receipt: dict[str, Any], *, rating: int, comment: str | None,
             source: str, now: datetime) -> Rating:
    tenant_id, receipt_id = receipt["tenant_id"], receipt["id"]
    if receipt["status"] == "voided":
        raise Conflict("a voided receipt cannot be rated")
    found = store.by_receipt(conn, tenant_id, receipt_id)
    if found is not None:
        if not store.change_rating(conn, tenant_id, receipt_id, rating=rating,
                                   comment=comment, now=now, given_after=now - EDIT_WINDOW):
            raise Conflict("this rating can no longer be changed")
        _emit(conn, tenant_id, receipt, rating=rating, comment=comment, changed=True, now=now)
        return _view(receipt, store.by_receipt(conn, tenant_id, receipt_id), tenant_id, now)
    store.insert_rating(conn, {
        "tenant_id": tenant_id, "receipt_id": receipt_id, "member_id": receipt["member_id"],
        "store_id": receipt["store_id"], "staff_id": receipt["staff_id"], "rating": rating,
        "comment": comment, "source": source, "created_at": now, "updated_at": now})
    _emit(conn, tenant_id, receipt, rating=rating, comment=comment, changed=False, now=now)
    paid = rewards.reward_action(conn, tenant_id, receipt["member_id"], type_=REWARD_TYPE,
                                 event_id=f"feedback:{receipt_id}",
                                 data={"receipt_id": receipt_id, "rating": rating}, now=now)
    return _view(receipt, store.by_receipt(conn, tenant_id, receipt_id), tenant_id, now,
                 points_paid=paid)


def _emit(conn: Connection, tenant_id: int, receipt: dict[str, Any], *, rating: int,
          comment: str | None, changed: bool, now: datetime) -> None:
    # The first rating's event is keyed by the receipt; each change is an event of its own.
    key = f"feedback:{receipt['id']}" + (f":changed:{secrets.token_hex(8)}" if changed else "")
    events.emit(conn, tenant_id, [events.Pending(key=key, type="feedback.received", data={
        "receipt_id": receipt["id"], "member_id": receipt["member_id"],
        "store_id": receipt["store_id"], "staff_id": receipt["staff_id"], "rating": rating,
        "has_comment": comment is not None, "changed": changed})], now)
