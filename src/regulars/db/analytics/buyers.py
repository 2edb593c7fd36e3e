"""Each member's purchases, kept for the member figures: ``member_purchases`` (first, second,
previous and last net receipt, how many). Written only through
:mod:`regulars.db.analytics.days` (a new purchase, at the end of the unit of work) and
:func:`refresh` (a member's purchases recomputed from their receipts), which also move the
per-day counts that follow from them (``purchase_gaps``, ``repeat_gaps``) by the same
change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Connection,
    Select,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from regulars.db import arrays
from regulars.db.analytics import gaps, repeats
from regulars.db.analytics.tables import member_purchases
from regulars.db.checkout.purchases import purchased
from regulars.db.checkout.tables import receipts
from regulars.db.tenancy.tables import tenants
from regulars.domain.analytics.days import SOLD


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

_AT = ("first_at", "second_at", "last_at", "previous_at")
_PURCHASE = text(f"""
INSERT INTO member_purchases (tenant_id, member_id, first_at, second_at, last_at, previous_at,
                              receipts)
VALUES (:tenant_id, :member_id, :first_at, :second_at, :last_at, :previous_at, :receipts)
ON CONFLICT (tenant_id, member_id) DO UPDATE SET {PURCHASE_SET}
""").bindparams(*(bindparam(name, type_=member_purchases.c.first_at.type) for name in _AT))


# The same from arrays (:func:`flush_params`), one statement a chunk on PostgreSQL.
_PURCHASE_PG = text(f"""
INSERT INTO member_purchases (tenant_id, member_id, first_at, second_at, last_at, previous_at,
                              receipts)
SELECT :tenant_id, m.member_id, m.first_at, m.second_at, m.last_at, m.previous_at, m.receipts
FROM unnest(CAST(:p_member AS bigint[]), {", ".join(f"CAST(:p_{n} AS timestamptz[])" for n in _AT)},
            CAST(:p_receipts AS bigint[]))
     AS m(member_id, {", ".join(_AT)}, receipts)
ORDER BY m.member_id
ON CONFLICT (tenant_id, member_id) DO UPDATE SET {PURCHASE_SET}
""")


def history(times: Sequence[datetime]) -> dict[str, Any]:
    """The ``member_purchases`` row (without the ids) the net receipts at ``times`` (at
    least one) make."""
    ordered = sorted(times)
    first, last = ordered[0], ordered[-1]
    later = [t for t in ordered if t > first]
    earlier = [t for t in ordered if t < last]
    return {"first_at": first, "second_at": later[0] if later else None, "last_at": last,
            "previous_at": earlier[-1] if earlier else None, "receipts": len(ordered)}


def _probed(tenant_id: int, member_ids: Sequence[int]) -> Select[Any]:
    """PostgreSQL: the net receipts of ``member_ids``, read through the receipts' member
    index once a member (``LATERAL``). An import writes receipts faster than the table's
    statistics follow; with them saying the tenant has few receipts ``member_id IN (…)`` is
    planned as a filter over all of the tenant's receipts, once a chunk of members."""
    member = (func.unnest(cast(literal(arrays.ints(member_ids)), ARRAY(BigInteger)))
              .table_valued("id").render_derived(name="k"))
    found = (select(receipts.c.member_id, receipts.c.occurred_at)
             .where(receipts.c.tenant_id == tenant_id, receipts.c.member_id == member.c.id,
                    purchased())
             .order_by(receipts.c.occurred_at).offset(0).lateral("r"))
    return select(found.c.member_id, found.c.occurred_at).select_from(
        member.join(found, true()))


def sold_times(conn: Connection, tenant_id: int, member_ids: Sequence[int] | None
               ) -> dict[int, list[datetime]]:
    """The instants of the net receipts of ``member_ids`` (None: every member)."""
    mine = [receipts.c.tenant_id == tenant_id, purchased(),
            receipts.c.member_id.is_not(None)]
    query: Select[Any] = select(receipts.c.member_id, receipts.c.occurred_at)
    if member_ids is not None and conn.dialect.name == "postgresql":
        query = _probed(tenant_id, member_ids)
    elif member_ids is not None:
        query = query.where(*mine, receipts.c.member_id.in_(list(member_ids)))
    else:
        query = query.where(*mine)
    found: dict[int, list[datetime]] = {}
    for member_id, at in conn.execute(query):
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


@dataclass
class _Moves:
    """How the per-day counts move as members' net receipts change."""

    pairs: Counter[gaps.Pair] = field(default_factory=Counter)
    """``purchase_gaps``: by (day, previous day)."""
    firsts: Counter[repeats.Key] = field(default_factory=Counter)
    """``repeat_gaps``: by (day of the first purchase, days to the second)."""

    def add(self, now: Sequence[datetime], before: Sequence[datetime], zone: tzinfo) -> None:
        self.pairs.update(gaps.pairs(now, zone))
        self.pairs.subtract(gaps.pairs(before, zone))
        self.firsts.update(repeats.moved(now, before, zone))


def refresh(conn: Connection, tenant_id: int, member_ids: Iterable[int], *,
            came: Mapping[int, Sequence[datetime]] | None = None,
            gone: Mapping[int, Sequence[datetime]] | None = None) -> None:
    """Recompute the rows of ``member_ids`` from their receipts (a receipt that went back,
    receipts moved by a merge, an import, a receipt older than the member's last), and move
    their ``purchase_gaps`` and ``repeat_gaps`` by the difference between their receipts now
    and before the unit of work (now less ``came``, plus ``gone``: the instants of net
    receipts it added or took away per member). Their ``member_purchases`` rows are locked
    first, in member order, so that a commit for one of them waits and then adds to what
    this wrote; the writes are upserts, so that a concurrent first purchase adds to them
    too."""
    ids = sorted(set(member_ids))
    zone = ZoneInfo(conn.execute(select(tenants.c.timezone)
                                 .where(tenants.c.id == tenant_id)).scalar_one())
    moves = _Moves()
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
        times = sold_times(conn, tenant_id, chunk)
        for m in chunk:
            now = times.get(m, [])
            moves.add(now, _before(now, (came or {}).get(m, ()), (gone or {}).get(m, ())),
                      zone)
        if times and conn.dialect.name == "postgresql":
            params = flush_params(times)
            del params["p_count"]
            conn.execute(_PURCHASE_PG, {"tenant_id": tenant_id, **params})
        elif times:
            conn.execute(_PURCHASE, [{"tenant_id": tenant_id, "member_id": m,
                                      **history(found)} for m, found in sorted(times.items())])
    gaps.add(conn, tenant_id, moves.pairs)
    repeats.add(conn, tenant_id, moves.firsts)


# Checks --------------------------------------------------------------------------------------

def _stored(conn: Connection, tenant_id: int) -> dict[int, dict[str, Any]]:
    p = member_purchases.c
    return {int(r["member_id"]): {name: r[name] for name in (*_AT, "receipts")}
            for r in conn.execute(select(member_purchases)
                                  .where(p.tenant_id == tenant_id)).mappings()}


def problems(conn: Connection, tenant_id: int, times: Mapping[int, Sequence[datetime]]
             ) -> list[dict[str, Any]]:
    """The members whose stored row disagrees with their net receipts at ``times``
    (:func:`sold_times`; empty when they agree)."""
    want = {m: history(found) for m, found in times.items()}
    have = _stored(conn, tenant_id)
    return [{"kind": "member_purchases", "tenant_id": tenant_id, "member_id": member_id,
             "expected": str(want.get(member_id)), "stored": str(have.get(member_id))}
            for member_id in sorted(set(want) | set(have))
            if str(want.get(member_id)) != str(have.get(member_id))]


def flush_params(bought: Mapping[int, Sequence[datetime]]) -> dict[str, str]:
    """The purchases' parameters of the unit of work's last statement on PostgreSQL (members
    in id order), arrays in their text form (:mod:`regulars.db.arrays`)."""
    members = sorted(bought)
    made = [history(bought[m]) for m in members]
    return {"p_member": arrays.ints(members),
            "p_count": arrays.ints([len(bought[m]) for m in members]),
            **{f"p_{name}": arrays.instants([h[name] for h in made]) for name in _AT},
            "p_receipts": arrays.ints([h["receipts"] for h in made])}


# Many members at once, set-based (PostgreSQL) --------------------------------------------------

_SOLD_SQL = ", ".join(f"'{status}'" for status in SOLD)
# The members' net receipts, each marked when the unit of work added it, and those of the
# members it created (all theirs came with it, none to read back).
_TIMES = f"""
CREATE TEMPORARY TABLE refreshed_times ON COMMIT DROP AS
SELECT r.member_id, r.occurred_at AS at, c.id IS NOT NULL AS came, false AS fresh
FROM receipts r LEFT JOIN ({{came}}) AS c(id) ON c.id = r.id
WHERE r.tenant_id = :tenant_id AND r.member_id IN ({{members}})
  AND r.status IN ({_SOLD_SQL}) AND r.gross_minor > 0
UNION ALL
SELECT n.member_id, n.at, true, true FROM ({{fresh}}) AS n(member_id, at)"""
# Each member's purchases from their receipts in ``refreshed_times``.
_FIGURES = """
SELECT t.member_id, min(t.at) AS first_at,
       min(t.at) FILTER (WHERE t.at > e.first_at) AS second_at, max(t.at) AS last_at,
       max(t.at) FILTER (WHERE t.at < e.last_at) AS previous_at, count(*) AS receipts,
       bool_or(t.fresh) AS fresh
FROM refreshed_times t
JOIN (SELECT member_id, min(at) AS first_at, max(at) AS last_at FROM refreshed_times
      GROUP BY member_id) AS e ON e.member_id = t.member_id
GROUP BY t.member_id"""
# The members who had a row get it updated; those the unit of work created, theirs inserted.
_REFRESHED = f"""
WITH f AS MATERIALIZED ({_FIGURES}),
updated AS (
    UPDATE member_purchases p
    SET first_at = f.first_at, second_at = f.second_at, last_at = f.last_at,
        previous_at = f.previous_at, receipts = f.receipts
    FROM f WHERE p.tenant_id = :tenant_id AND p.member_id = f.member_id)
INSERT INTO member_purchases (tenant_id, member_id, first_at, second_at, last_at, previous_at,
                              receipts)
SELECT :tenant_id, f.member_id, f.first_at, f.second_at, f.last_at, f.previous_at, f.receipts
FROM f WHERE f.fresh ORDER BY f.member_id"""
# Each member's receipts now (+1) and before the unit of work (-1: less those it added).
_BOTH = """(SELECT member_id, at, 1 AS sign FROM refreshed_times
            UNION ALL SELECT member_id, at, -1 FROM refreshed_times WHERE NOT came)"""
_GAP_MOVES = f"""
SELECT day, previous_day, sum(sign) FROM (
    SELECT d.day, d.sign, COALESCE(lag(d.day) OVER (PARTITION BY d.member_id, d.sign
                                                    ORDER BY d.day), :never) AS previous_day
    FROM (SELECT DISTINCT member_id, sign, CAST(at AT TIME ZONE :zone AS date) AS day
          FROM {_BOTH} AS b) AS d) AS g
GROUP BY day, previous_day HAVING sum(sign) <> 0"""
_REPEAT_MOVES = f"""
SELECT CAST(first_at AT TIME ZONE :zone AS date) AS day, within_days, sum(sign) FROM (
    SELECT f.sign, f.first_at,
           {repeats.WITHIN_DAYS_SQL.format(first="f.first_at", second="min(b.at)")}
           AS within_days
    FROM (SELECT member_id, sign, min(at) AS first_at FROM {_BOTH} AS a
          GROUP BY member_id, sign) AS f
    JOIN {_BOTH} AS b ON b.member_id = f.member_id AND b.sign = f.sign AND b.at > f.first_at
    GROUP BY f.member_id, f.sign, f.first_at) AS k
WHERE within_days <= {repeats.MAX_DAYS}
GROUP BY 1, 2 HAVING sum(sign) <> 0"""


def refresh_set(conn: Connection, tenant_id: int, *, members: str, fresh: str,
                came: str) -> None:
    """:func:`refresh` on PostgreSQL in a few statements whatever the number of members:
    ``members`` is a query of the ids of those who may have a row already, ``came`` one of
    the ids of the receipts the unit of work added to them (the only change :func:`refresh`
    is told of here: none went), ``fresh`` one of the (member id, instant) of the net
    receipts of the members the unit of work created (all theirs: they have no row yet and
    none but it sees them, so theirs is inserted once, with its figures). The rows of
    ``members`` are locked first in member order, as :func:`refresh` locks them."""
    zone = conn.execute(select(tenants.c.timezone)
                        .where(tenants.c.id == tenant_id)).scalar_one()
    params = {"tenant_id": tenant_id, "zone": zone, "never": gaps.NEVER_DAY}
    conn.execute(text(f"""
        INSERT INTO member_purchases (tenant_id, member_id, receipts)
        SELECT :tenant_id, m.id, 0 FROM ({members}) AS m(id) ORDER BY m.id
        ON CONFLICT (tenant_id, member_id) DO NOTHING"""), params)
    conn.execute(text(f"""
        SELECT id FROM member_purchases WHERE tenant_id = :tenant_id
          AND member_id IN ({members}) ORDER BY member_id FOR UPDATE"""), params)
    conn.execute(text(_TIMES.format(came=came, members=members, fresh=fresh)), params)
    conn.execute(text("ANALYZE refreshed_times"))
    conn.execute(text(_REFRESHED), params)
    conn.execute(text(f"""
        DELETE FROM member_purchases p WHERE p.tenant_id = :tenant_id
          AND p.member_id IN ({members}) AND NOT EXISTS (
              SELECT 1 FROM refreshed_times t WHERE t.member_id = p.member_id)"""), params)
    gaps.add(conn, tenant_id, {(r[0], r[1]): int(r[2])
                               for r in conn.execute(text(_GAP_MOVES), params)})
    repeats.add(conn, tenant_id, {(r[0], int(r[1])): int(r[2])
                                  for r in conn.execute(text(_REPEAT_MOVES), params)})
    conn.execute(text("DROP TABLE refreshed_times"))
