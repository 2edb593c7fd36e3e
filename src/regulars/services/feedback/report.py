"""What the console and the admin API show of the ratings: the figures per store and per
cashier over a range of days (in the tenant's time zone), the comments to answer, and the
answer itself (on the audit trail).

Failure modes: :class:`InvalidInput` (fields ``to`` and ``reply``) for a range
that ends before it starts or is longer than :data:`MAX_DAYS`, or a reply too long;
:class:`NotFound` for a rating of another business.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from regulars.db.feedback import feedback as store
from regulars.db.tenancy import tenancy
from regulars.domain.feedback.rules import MAX_REPLY, Figures, figures
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime

MAX_DAYS = 366


@dataclass(frozen=True, kw_only=True)
class GroupFigures:
    """The ratings of one store or cashier (``id`` None: receipts without a cashier)."""

    id: int | None
    name: str | None
    figures: Figures


@dataclass(frozen=True, kw_only=True)
class Summary:
    since: date
    until: date
    total: Figures
    stores: tuple[GroupFigures, ...]
    cashiers: tuple[GroupFigures, ...]


@dataclass(frozen=True, kw_only=True)
class Comment:
    id: int
    receipt_id: int
    member_id: int
    store_id: int
    store_name: str
    staff_id: int | None
    staff_name: str | None
    rating: int
    comment: str
    created_at: datetime
    reply: str | None
    answered_at: datetime | None


def _bounds(rt: Runtime, tenant_id: int, since: date, until: date
            ) -> tuple[datetime, datetime]:
    if until < since:
        raise InvalidInput("the range ends before it starts", field="to")
    if (until - since).days >= MAX_DAYS:
        raise InvalidInput("at most %(days)s days", field="to", params={"days": MAX_DAYS})
    with rt.db.read() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    zone = ZoneInfo(tenant.timezone)
    return (datetime.combine(since, time(0), tzinfo=zone),
            datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone))


def default_range(rt: Runtime, tenant_id: int) -> tuple[date, date]:
    """The last 30 days up to today in the business's time zone (a rating given late in the
    evening west of it, or just after local midnight east of it, is today's there)."""
    with rt.db.read() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    today = rt.now().astimezone(ZoneInfo(tenant.timezone)).date()
    return today - timedelta(days=29), today


def _groups(rows: list[tuple[int | None, str | None, int, int]]) -> tuple[GroupFigures, ...]:
    counts: dict[tuple[int | None, str | None], list[tuple[int, int]]] = defaultdict(list)
    for group_id, name, rating, n in rows:
        counts[(group_id, name)].append((rating, n))
    found = [GroupFigures(id=k[0], name=k[1], figures=figures(v)) for k, v in counts.items()]
    return tuple(sorted(found, key=lambda g: (-g.figures.count, g.name or "", g.id or 0)))


def summary(rt: Runtime, tenant_id: int, *, since: date, until: date) -> Summary:
    start, end = _bounds(rt, tenant_id, since, until)
    with rt.db.read() as conn:
        by_store = store.counts_by_store(conn, tenant_id, since=start, until=end)
        by_cashier = store.counts_by_cashier(conn, tenant_id, since=start, until=end)
    total = figures((rating, n) for _, _, rating, n in by_store)
    return Summary(since=since, until=until, total=total,
                   stores=_groups([(s, name, r, n) for s, name, r, n in by_store]),
                   cashiers=_groups(by_cashier))


def comments(rt: Runtime, tenant_id: int, *, since: date, until: date,
             answered: bool | None = None, limit: int = 50, offset: int = 0
             ) -> tuple[Comment, ...]:
    start, end = _bounds(rt, tenant_id, since, until)
    with rt.db.read() as conn:
        rows = store.comments(conn, tenant_id, since=start, until=end, answered=answered,
                              limit=limit, offset=offset)
    return tuple(Comment(**row) for row in rows)


def answer(rt: Runtime, tenant_id: int, feedback_id: int, *, reply: str | None,
           actor: audit.Actor) -> None:
    """Mark a rating answered, with the reply written to the member if any (the reply is
    shown on their receipt page)."""
    text = (reply or "").strip() or None
    if text is not None and len(text) > MAX_REPLY:
        raise InvalidInput("at most %(count)s characters", field="reply",
                           params={"count": MAX_REPLY})
    now = rt.now()
    with rt.db.write() as conn:
        if not store.reply(conn, tenant_id, feedback_id, text=text,
                           staff_id=actor.id if actor.kind == "staff" else None, now=now):
            raise NotFound("feedback not found")
        audit.record(conn, tenant_id, actor, "feedback.answer", f"feedback {feedback_id}",
                     at=now, replied=text is not None)
