"""Each member's purchases, kept for the member figures: ``member_purchases`` (first, second,
previous and last net receipt, how many) and ``member_months`` (per calendar month: first and
last net receipt, how many, and the last one before the month). Written only through
:mod:`regulars.db.analytics.days` (a new purchase, at the end of the unit of work) and
:func:`refresh` (a member's purchases recomputed from their receipts).

The figures read them instead of the receipts: the members who bought in a window
``[a, end)`` are the rows of the window's months that are each member's first there
(:func:`active`), a count along an index rather than a count of distinct members over every
receipt of the window; members whose first purchase is before an instant come from
``member_purchases`` (:func:`buyers_before`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from regulars.db import arrays
from regulars.db.analytics import gaps
from regulars.db.analytics.tables import member_months, member_purchases
from regulars.db.checkout.tables import receipts
from regulars.db.tenancy.tables import tenants
from regulars.domain.analytics.days import SOLD

NEVER = datetime(1970, 1, 1, tzinfo=UTC)
"""``member_months.before_at`` of a member's first month (no purchase before it)."""


def month_of(at: datetime) -> date:
    """The first day of ``at``'s calendar month in UTC."""
    found = at.astimezone(UTC)
    return date(found.year, found.month, 1)


def _later(a: str, b: str) -> str:
    """SQL: the later of two nullable instants."""
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL OR {a} > {b} THEN {a} ELSE {b} END"


# A stored row merged with new purchases (``excluded``: first, next strictly later, last, the
# one strictly before the last, how many): the first of both, the earliest strictly after it,
# the last of both, the latest strictly before that.
_MP = "member_purchases"
PURCHASE_SET = f"""
    first_at = CASE WHEN {_MP}.first_at IS NULL OR excluded.first_at < {_MP}.first_at
                    THEN excluded.first_at ELSE {_MP}.first_at END,
    second_at = CASE
        WHEN {_MP}.first_at IS NULL THEN excluded.second_at
        WHEN excluded.first_at < {_MP}.first_at THEN
            CASE WHEN excluded.second_at IS NOT NULL AND excluded.second_at < {_MP}.first_at
                 THEN excluded.second_at ELSE {_MP}.first_at END
        WHEN excluded.first_at > {_MP}.first_at THEN
            CASE WHEN {_MP}.second_at IS NOT NULL AND {_MP}.second_at < excluded.first_at
                 THEN {_MP}.second_at ELSE excluded.first_at END
        WHEN {_MP}.second_at IS NULL THEN excluded.second_at
        WHEN excluded.second_at IS NOT NULL AND excluded.second_at < {_MP}.second_at
        THEN excluded.second_at
        ELSE {_MP}.second_at END,
    previous_at = CASE
        WHEN {_MP}.last_at IS NULL THEN excluded.previous_at
        WHEN excluded.last_at > {_MP}.last_at
        THEN {_later(f"{_MP}.last_at", "excluded.previous_at")}
        WHEN excluded.last_at < {_MP}.last_at
        THEN {_later(f"{_MP}.previous_at", "excluded.last_at")}
        ELSE {_later(f"{_MP}.previous_at", "excluded.previous_at")} END,
    last_at = CASE WHEN {_MP}.last_at IS NULL OR excluded.last_at > {_MP}.last_at
                   THEN excluded.last_at ELSE {_MP}.last_at END,
    receipts = {_MP}.receipts + excluded.receipts"""

# A stored month merged with new purchases in it (``before_at``: the later of both, each
# being the last purchase before the month that its writer saw).
MONTH_SET = """
    first_at = CASE WHEN excluded.first_at < member_months.first_at
                    THEN excluded.first_at ELSE member_months.first_at END,
    last_at = CASE WHEN excluded.last_at > member_months.last_at
                   THEN excluded.last_at ELSE member_months.last_at END,
    before_at = CASE WHEN excluded.before_at > member_months.before_at
                     THEN excluded.before_at ELSE member_months.before_at END,
    receipts = member_months.receipts + excluded.receipts"""

_AT = ("first_at", "second_at", "last_at", "previous_at", "before_at")
_PURCHASE = text(f"""
INSERT INTO member_purchases (tenant_id, member_id, first_at, second_at, last_at, previous_at,
                              receipts)
VALUES (:tenant_id, :member_id, :first_at, :second_at, :last_at, :previous_at, :receipts)
ON CONFLICT (tenant_id, member_id) DO UPDATE SET {PURCHASE_SET}
""").bindparams(*(bindparam(name, type_=member_purchases.c.first_at.type) for name in _AT[:4]))
_MONTH = text(f"""
INSERT INTO member_months (tenant_id, member_id, month, first_at, last_at, before_at, receipts)
VALUES (:tenant_id, :member_id, :month, :first_at, :last_at, :before_at, :receipts)
ON CONFLICT (tenant_id, member_id, month) DO UPDATE SET {MONTH_SET}
""").bindparams(bindparam("month", type_=member_months.c.month.type),
                *(bindparam(name, type_=member_months.c.first_at.type)
                  for name in ("first_at", "last_at", "before_at")))


@dataclass(frozen=True)
class History:
    """What a member's net receipts make: their ``member_purchases`` row (without the ids)
    and their ``member_months`` rows."""

    purchases: dict[str, Any]
    months: list[dict[str, Any]]


def history(times: Sequence[datetime]) -> History:
    """The rows the net receipts at ``times`` (at least one) make."""
    ordered = sorted(times)
    first, last = ordered[0], ordered[-1]
    later = [t for t in ordered if t > first]
    earlier = [t for t in ordered if t < last]
    months: list[dict[str, Any]] = []
    for at in ordered:
        month = month_of(at)
        if months and months[-1]["month"] == month:
            months[-1]["last_at"] = at
            months[-1]["receipts"] += 1
        else:
            months.append({"month": month, "first_at": at, "last_at": at, "receipts": 1,
                           "before_at": months[-1]["last_at"] if months else NEVER})
    return History(purchases={"first_at": first, "second_at": later[0] if later else None,
                              "last_at": last, "previous_at": earlier[-1] if earlier else None,
                              "receipts": len(ordered)},
                   months=months)


def sold_times(conn: Connection, tenant_id: int, member_ids: Sequence[int] | None
               ) -> dict[int, list[datetime]]:
    """The instants of the net receipts of ``member_ids`` (None: every member)."""
    mine = [receipts.c.tenant_id == tenant_id, receipts.c.status.in_(SOLD),
            receipts.c.member_id.is_not(None)]
    if member_ids is not None:
        mine.append(receipts.c.member_id.in_(list(member_ids)))
    found: dict[int, list[datetime]] = {}
    for member_id, at in conn.execute(select(receipts.c.member_id, receipts.c.occurred_at)
                                      .where(*mine)):
        found.setdefault(int(member_id), []).append(at)
    return found


def _before(now: Sequence[datetime], came: Sequence[datetime], gone: Sequence[datetime]
            ) -> list[datetime]:
    """A member's net receipts before the unit of work: those there now less the ``came``
    ones, plus the ``gone`` ones."""
    left = Counter(now)
    left.subtract(came)
    left.update(gone)
    return list(left.elements())


def refresh(conn: Connection, tenant_id: int, member_ids: Iterable[int], *,
            came: Mapping[int, Sequence[datetime]] | None = None,
            gone: Mapping[int, Sequence[datetime]] | None = None) -> None:
    """Recompute the rows of ``member_ids`` from their receipts (a receipt that went back,
    receipts moved by a merge, an import, a receipt older than the member's last), and move
    their ``purchase_gaps`` by the difference between their receipts now and before the unit
    of work (now less ``came``, plus ``gone``: the instants of net receipts it added or took
    away per member). Their ``member_purchases`` rows are locked first, in member order, so
    that a commit for one of them waits and then adds to what this wrote; the writes are
    upserts, so that a concurrent first purchase adds to them too."""
    ids = sorted(set(member_ids))
    zone = ZoneInfo(conn.execute(select(tenants.c.timezone)
                                 .where(tenants.c.id == tenant_id)).scalar_one())
    moved: Counter[gaps.Pair] = Counter()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        mine = and_(member_purchases.c.tenant_id == tenant_id,
                    member_purchases.c.member_id.in_(chunk))
        if conn.dialect.name == "postgresql":
            # A member without a row yet gets a placeholder first (never seen outside this
            # transaction: it is deleted below), so that a till's first purchase for them,
            # not committed yet, is waited for and then read, not counted beside ours.
            conn.execute(pg_insert(member_purchases).values([
                {"tenant_id": tenant_id, "member_id": m, "receipts": 0} for m in chunk])
                .on_conflict_do_nothing(index_elements=["tenant_id", "member_id"]))
            conn.execute(select(member_purchases.c.id).where(mine)
                         .order_by(member_purchases.c.member_id).with_for_update())
        conn.execute(delete(member_purchases).where(mine))
        conn.execute(delete(member_months).where(member_months.c.tenant_id == tenant_id,
                                                 member_months.c.member_id.in_(chunk)))
        times = sold_times(conn, tenant_id, chunk)
        for m in chunk:
            now = times.get(m, [])
            moved.update(gaps.pairs(now, zone))
            moved.subtract(gaps.pairs(_before(now, (came or {}).get(m, ()),
                                              (gone or {}).get(m, ())), zone))
        made = {m: history(found) for m, found in sorted(times.items())}
        if made:
            conn.execute(_PURCHASE, [{"tenant_id": tenant_id, "member_id": m, **h.purchases}
                                     for m, h in made.items()])
            conn.execute(_MONTH, [{"tenant_id": tenant_id, "member_id": m, **row}
                                  for m, h in made.items() for row in h.months])
    gaps.add(conn, tenant_id, moved)


# Reads ---------------------------------------------------------------------------------------

def active(conn: Connection, tenant_id: int, start: datetime, end: datetime) -> int | None:
    """Members with a net receipt in ``[start, end)``, from their months: in ``start``'s
    month those whose last one there is at ``start`` or later; in each later month up to
    ``end``'s those whose last one before the month is before ``start`` (and, in ``end``'s
    month, whose first one there is before ``end``). None when the window lies within one
    month (the caller counts the receipts)."""
    first, last = month_of(start), month_of(end)
    if first >= last:
        return None
    c = member_months.c
    parts = [select(func.count()).where(c.tenant_id == tenant_id, c.month == first,
                                        c.last_at >= start)]
    month = first
    while month < last:
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        where = [c.tenant_id == tenant_id, c.month == month, c.before_at < start]
        if month == last:
            where.append(c.first_at < end)
        parts.append(select(func.count()).where(*where))
    row = conn.execute(select(*(p.scalar_subquery() for p in parts))).one()
    return sum(int(v or 0) for v in row)


def buyers_before(conn: Connection, tenant_id: int, end: datetime) -> int:
    """Members whose first net receipt is before ``end``."""
    c = member_purchases.c
    return int(conn.execute(select(func.count()).where(c.tenant_id == tenant_id,
                                                       c.first_at < end)).scalar_one())


def _within(conn: Connection, later: Any, earlier: Any, days: int) -> Any:
    """SQL: ``later`` is at most ``days`` whole days (of 86,400 s) after ``earlier``, to the
    microsecond. SQLite keeps UTC instants as text with six decimals: the sum is spelled the
    same way, so that the two compare as text."""
    if conn.dialect.name == "postgresql":
        return later <= earlier + func.make_interval(0, 0, 0, days)
    shifted = func.strftime("%Y-%m-%d %H:%M:%S", earlier, f"+{days} days")
    return later <= shifted.op("||")(func.substr(earlier, 20))


def first_buyers(conn: Connection, tenant_id: int, start: datetime, end: datetime, *,
                 repeat_days: int) -> tuple[int, int]:
    """(members whose first net receipt ever is in ``[start, end)``, those of them whose next
    one came within ``repeat_days`` of it), counted in the database."""
    c = member_purchases.c
    again = and_(c.second_at.is_not(None), _within(conn, c.second_at, c.first_at, repeat_days))
    row = conn.execute(
        select(func.count(), func.count().filter(again))
        .where(c.tenant_id == tenant_id, c.first_at >= start, c.first_at < end)).one()
    return int(row[0]), int(row[1])


# Checks --------------------------------------------------------------------------------------

def _stored(conn: Connection, tenant_id: int) -> dict[int, History]:
    p, m = member_purchases.c, member_months.c
    found: dict[int, History] = {}
    for r in conn.execute(select(member_purchases).where(p.tenant_id == tenant_id)).mappings():
        found[int(r["member_id"])] = History(
            purchases={name: r[name] for name in ("first_at", "second_at", "last_at",
                                                  "previous_at", "receipts")}, months=[])
    for r in conn.execute(select(member_months).where(m.tenant_id == tenant_id)
                          .order_by(m.member_id, m.month)).mappings():
        found.setdefault(int(r["member_id"]), History(purchases={}, months=[])).months.append(
            {name: r[name] for name in ("month", "first_at", "last_at", "receipts",
                                        "before_at")})
    return found


def problems(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    """The members whose stored rows disagree with their receipts (empty when they agree)."""
    want = {m: history(times) for m, times in sold_times(conn, tenant_id, None).items()}
    have = _stored(conn, tenant_id)

    def shown(found: History | None) -> str:
        return "None" if found is None else str((found.purchases, found.months))

    return [{"kind": "member_purchases", "tenant_id": tenant_id, "member_id": member_id,
             "expected": shown(want.get(member_id)), "stored": shown(have.get(member_id))}
            for member_id in sorted(set(want) | set(have))
            if shown(want.get(member_id)) != shown(have.get(member_id))]


def flush_params(bought: Mapping[int, Sequence[datetime]]) -> dict[str, str]:
    """The purchases' parameters of the unit of work's last statement on PostgreSQL (members
    in id order), arrays in their text form (:mod:`regulars.db.arrays`)."""
    members = sorted(bought)
    made = [history(bought[m]).purchases for m in members]
    return {"p_member": arrays.ints(members),
            "p_count": arrays.ints([len(bought[m]) for m in members]),
            **{f"p_{name}": arrays.instants([h[name] for h in made]) for name in _AT[:4]},
            "p_receipts": arrays.ints([h["receipts"] for h in made])}
