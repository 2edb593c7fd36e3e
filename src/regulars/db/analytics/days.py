"""The daily aggregates the figures read, kept current in the transaction of every change
they count: a receipt committed or imported, refunded or voided; a ledger entry written; a
batch of points expired; a member who joined; members merged. The only module that writes
``sales_days`` and ``member_purchases`` and, with them, the member counts per day
(``purchase_gaps``, ``repeat_gaps``, ``join_days``).

A unit of work gathers what it adds in memory (:class:`Pending`, kept by
:func:`regulars.db.engine.at_commit`) and writes it as its last statements, just before
``COMMIT``: first the members' purchases (members in id order), then the member counts and
the days (each in key order). So no aggregate row is locked before the rows a commit, refund
or merge locks otherwise (accounts, lots, each member's spend), and every transaction takes
aggregate rows in one order: two transactions can wait for each other's aggregate rows but
never in a circle. On PostgreSQL all these writes are one statement (:data:`_FLUSH_PG`), the
local day of each change read there from the tenant's time zone at that moment: a commit
costs one statement more.

Every write is an upsert by increments (``counter = counter + excluded.counter``), never a
read followed by a write, so concurrent tills add up; a ``sales_days`` row belongs to one
till and day, so tills never queue for one. Recomputing a member's purchases (a receipt that
stops being a sale, a merge, an import) locks that member's row first.

:func:`expected` recomputes the rows from the receipts and the entries; :func:`problems`
lists where the stored rows disagree (``regulars ledger check``). Migration 0037 back-fills
both tables by the same rules (migration 0041 moved the catalogue rewards' stated cost into
the rows, 0048 the cashback receipts credit; 0043 and 0050 back-fill the member counts per
day).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db import arrays
from regulars.db.analytics import buyers, cashback, gaps, repeats
from regulars.db.analytics import joins as joins_store
from regulars.db.analytics.tables import DAY_COUNTS, DAY_KEY, sales_days
from regulars.db.checkout.purchases import purchased
from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.engine import at_commit
from regulars.db.ledger.tables import entries
from regulars.db.tenancy.tables import tenants
from regulars.domain.analytics.days import (
    NO_REWARDS,
    PointsMoved,
    ReceiptState,
    Rewards,
    SoldLine,
    discount_back,
    entry_points,
    is_purchase,
    points_off_back,
    receipt_change,
    receipt_totals,
)
from regulars.domain.analytics.figures import PointsTotals, SalesTotals
from regulars.domain.ledger.assets import POINTS

Key = tuple[date, int, int, int]
"""(day, till, store, cashier) of a ``sales_days`` row; 0: none."""


NO_SALES = SalesTotals()
NO_POINTS = PointsMoved()


def counts(*, known: bool, sales: SalesTotals = NO_SALES,
           points: PointsMoved = NO_POINTS) -> dict[str, int]:
    """The ``sales_days`` counters for ``sales`` of a receipt with a member (``known``) or
    without, and ``points`` moved."""
    kind = "member" if known else "anonymous"
    return {f"{kind}_receipts": sales.receipts, f"{kind}_revenue_minor": sales.revenue_minor,
            f"{kind}_discount_minor": sales.discount_minor,
            f"{kind}_reward_cost_minor": sales.reward_cost_minor,
            f"{kind}_items_milli": sales.items_milli, "points_issued": points.issued,
            "points_redeemed": points.redeemed, "points_expired": points.expired}


def _insert(conn: Connection) -> Any:
    return (postgresql.insert(sales_days) if conn.dialect.name == "postgresql"
            else sqlite.insert(sales_days))


def _upsert_days(conn: Connection, tenant_id: int,
                 rows: Mapping[Key, Mapping[str, int]]) -> None:
    """Add each row's counters to the row of its key, creating it if need be: one statement
    for them all (many parameter sets), in key order."""
    found = [{"tenant_id": tenant_id, "day": key[0], "terminal_id": key[1],
              "store_id": key[2], "staff_id": key[3],
              **{name: int(values.get(name, 0)) for name in DAY_COUNTS}}
             for key, values in sorted(rows.items()) if any(values.values())]
    if not found:
        return
    statement = _insert(conn)
    conn.execute(statement.on_conflict_do_update(
        index_elements=list(DAY_KEY),
        set_={name: sales_days.c[name] + statement.excluded[name] for name in DAY_COUNTS}),
        found)


def add(conn: Connection, tenant_id: int, key: Key, values: Mapping[str, int]) -> None:
    """Add ``values`` (counters) to the row of ``key`` at once, creating it if need be."""
    _upsert_days(conn, tenant_id, {key: values})


def _zone(conn: Connection, tenant_id: int) -> ZoneInfo:
    return ZoneInfo(conn.execute(select(tenants.c.timezone)
                                 .where(tenants.c.id == tenant_id)).scalar_one())


# What a unit of work adds, written at its end ---------------------------------------------------

_PLACE = ("terminal_id", "store_id", "staff_id")
Place = tuple[int, datetime, int, int, int]
"""(tenant, instant, till, store, cashier) of a change: its row is the instant's local day."""
Joined = tuple[int, datetime, int]
"""(tenant, instant, store; 0: none) members joined at: their row is the instant's local
day."""


@dataclass
class Pending:
    """What a unit of work has added to the aggregates so far (see the module's text)."""

    moves: dict[Place, list[int]] = field(default_factory=dict)
    """Counters (in :data:`DAY_COUNTS` order) per place."""
    purchases: dict[tuple[int, int], list[datetime]] = field(default_factory=dict)
    """New net receipts' instants per (tenant, member)."""
    refresh: set[tuple[int, int]] = field(default_factory=set)
    """(tenant, member) whose purchases are recomputed from their receipts."""
    came: dict[tuple[int, int], list[datetime]] = field(default_factory=dict)
    gone: dict[tuple[int, int], list[datetime]] = field(default_factory=dict)
    """Instants of net receipts a member gained (besides new purchases) or lost: a merge, a
    receipt that went back (its ``purchase_gaps`` move by the difference)."""
    joins: dict[Joined, int] = field(default_factory=dict)
    """Members who joined (negative: merged duplicates that left) per place."""

    def move(self, place: Place, values: Mapping[str, int]) -> None:
        if not any(values.values()):
            return
        found = self.moves.setdefault(place, [0] * len(DAY_COUNTS))
        for i, name in enumerate(DAY_COUNTS):
            found[i] += int(values.get(name, 0))

    def flush(self, conn: Connection) -> None:
        """Write everything, tenant by tenant: recomputed members, new purchases (both in
        member order), then the member counts and the days (each in key order)."""
        tenant_ids = sorted({p[0] for p in self.moves} | {p[0] for p in self.purchases}
                            | {p[0] for p in self.refresh} | {p[0] for p in self.joins})
        for tenant_id in tenant_ids:
            again = sorted(m for t, m in self.refresh if t == tenant_id)
            if again:
                buyers.refresh(conn, tenant_id, again, gone={
                    m: self.gone.get((tenant_id, m), []) for m in again}, came={
                    m: self.purchases.get((tenant_id, m), []) + self.came.get((tenant_id, m), [])
                    for m in again})
            bought = {m: sorted(times) for (t, m), times in self.purchases.items()
                      if t == tenant_id and m not in again}
            moves = {p: v for p, v in self.moves.items() if p[0] == tenant_id and any(v)}
            joins = {p: n for p, n in self.joins.items() if p[0] == tenant_id and n}
            if conn.dialect.name == "postgresql":
                _flush_pg(conn, tenant_id, bought, moves, joins)
            else:
                _flush_sqlite(conn, tenant_id, bought, moves, joins)


def pending(conn: Connection) -> Pending:
    """The aggregates' changes of ``conn``'s unit of work so far."""
    return at_commit(conn, "sales_days", Pending)


# The purchases (in member order), then the pair of days a purchase later than all the
# member had adds to ``purchase_gaps`` and the row of ``repeat_gaps`` it adds when it is the
# member's second (when the member's row as this statement's snapshot saw it is the one it
# updated: anything else, an older purchase or several, is recomputed after: the statement
# returns those members), then the members who joined or left (``join_days``), then the days
# (each grouped by key, in key order). Each insert reads the one before (their order).
# A day is the local day of its instant in the tenant's time zone as it is when this runs.
_GAP_ROWS = """SELECT CAST(l.last_at AT TIME ZONE t.timezone AS date) AS day,
           COALESCE(CAST(l.previous_at AT TIME ZONE t.timezone AS date),
                    DATE '1970-01-01') AS previous_day
    FROM later l JOIN tenants t ON t.id = :tenant_id WHERE l.new_day"""
_REPEAT_ROWS = f"""SELECT CAST(l.first_at AT TIME ZONE t.timezone AS date) AS day,
           {repeats.WITHIN_DAYS_SQL.format(first="l.first_at", second="l.second_at")} AS within_days
    FROM later l JOIN tenants t ON t.id = :tenant_id WHERE l.new_second"""
_JOIN_ROWS = """SELECT CAST(j.at AT TIME ZONE t.timezone AS date) AS day, j.store_id, j.n
    FROM unnest(CAST(:j_at AS timestamptz[]), CAST(:j_store_id AS bigint[]),
                CAST(:j_members AS bigint[])) AS j(at, store_id, n)
    JOIN tenants t ON t.id = :tenant_id"""
_COUNTS_PG = ", ".join([
    gaps.COUNTED.cte("gap", _GAP_ROWS, where="s.previous_day < s.day"),
    repeats.COUNTED.cte("repeat", _REPEAT_ROWS,
                        where=f"s.within_days <= {repeats.MAX_DAYS}"
                              " AND (SELECT count(*) FROM gap) >= 0"),
    joins_store.COUNTED.cte("joined", _JOIN_ROWS, members="sum(s.n)",
                            where="(SELECT count(*) FROM repeat) >= 0")])
"""The unit of work's member counts per day (:mod:`~regulars.db.analytics.counted`), each
reading the one before: first purchases and returns, repeats, sign-ups."""
_FLUSH_PG = text(f"""
WITH input AS (
    SELECT * FROM unnest(CAST(:p_member AS bigint[]), CAST(:p_count AS bigint[]),
                         CAST(:p_first_at AS timestamptz[]), CAST(:p_second_at AS timestamptz[]),
                         CAST(:p_last_at AS timestamptz[]), CAST(:p_previous_at AS timestamptz[]),
                         CAST(:p_receipts AS bigint[]))
         AS p(member_id, n, first_at, second_at, last_at, previous_at, receipts)
), old AS (
    SELECT member_id, second_at, last_at, receipts FROM member_purchases
    WHERE tenant_id = :tenant_id AND member_id = ANY(CAST(:p_member AS bigint[]))
), purchase AS (
    INSERT INTO member_purchases (tenant_id, member_id, first_at, second_at, last_at,
                                  previous_at, receipts)
    SELECT :tenant_id, member_id, first_at, second_at, last_at, previous_at, receipts
    FROM input ORDER BY member_id
    ON CONFLICT (tenant_id, member_id) DO UPDATE SET {buyers.PURCHASE_SET}
    RETURNING member_id, first_at, second_at, last_at, previous_at, receipts
), later AS (
    SELECT i.member_id, i.last_at, p.previous_at, p.first_at, p.second_at,
           o.last_at IS NULL OR o.last_at < i.last_at AS new_day,
           o.member_id IS NOT NULL AND o.second_at IS NULL
           AND p.second_at = i.last_at AS new_second
    FROM input i
    JOIN purchase p ON p.member_id = i.member_id LEFT JOIN old o ON o.member_id = i.member_id
    WHERE i.n = 1 AND p.last_at = i.last_at AND p.receipts = COALESCE(o.receipts, 0) + 1
          AND (o.last_at = i.last_at OR p.previous_at IS NOT DISTINCT FROM o.last_at)
), {_COUNTS_PG}, day_totals AS (
    INSERT INTO sales_days ({", ".join(DAY_KEY)}, {", ".join(DAY_COUNTS)})
    SELECT :tenant_id, CAST(m.at AT TIME ZONE t.timezone AS date) AS day,
           {", ".join(f"m.{name}" for name in _PLACE)},
           {", ".join(f"sum(m.{name})" for name in DAY_COUNTS)}
    FROM unnest(CAST(:d_at AS timestamptz[]),
                {", ".join(f"CAST(:d_{name} AS bigint[])" for name in _PLACE + DAY_COUNTS)})
         AS m(at, {", ".join(_PLACE + DAY_COUNTS)})
    JOIN tenants t ON t.id = :tenant_id
    WHERE (SELECT count(*) FROM joined) >= 0
    GROUP BY 2, {", ".join(f"m.{name}" for name in _PLACE)}
    ORDER BY 2, {", ".join(f"m.{name}" for name in _PLACE)}
    ON CONFLICT ({", ".join(DAY_KEY)}) DO UPDATE SET
    {", ".join(f"{name} = sales_days.{name} + excluded.{name}" for name in DAY_COUNTS)}
    RETURNING 1
)
SELECT i.member_id FROM input i WHERE i.member_id NOT IN (SELECT member_id FROM later)
""")


def _flush_pg(conn: Connection, tenant_id: int, bought: Mapping[int, Sequence[datetime]],
              moves: Mapping[Place, Sequence[int]], joins: Mapping[Joined, int]) -> None:
    if not bought and not moves and not joins:
        return
    places = list(moves)
    params: dict[str, Any] = {"tenant_id": tenant_id, **buyers.flush_params(bought),
                              "d_at": arrays.instants([p[1] for p in places]),
                              "j_at": arrays.instants([p[1] for p in joins]),
                              "j_store_id": arrays.ints([p[2] for p in joins]),
                              "j_members": arrays.ints(joins.values())}
    params["d_terminal_id"] = arrays.ints([p[2] for p in places])  # the _PLACE of each
    params["d_store_id"] = arrays.ints([p[3] for p in places])
    params["d_staff_id"] = arrays.ints([p[4] for p in places])
    for i, name in enumerate(DAY_COUNTS):
        params[f"d_{name}"] = arrays.ints([moves[p][i] for p in places])
    again = [int(m) for m in conn.execute(_FLUSH_PG, params).scalars()]
    if again:
        buyers.refresh(conn, tenant_id, again, came={m: bought[m] for m in again})


def _flush_sqlite(conn: Connection, tenant_id: int, bought: Mapping[int, Sequence[datetime]],
                  moves: Mapping[Place, Sequence[int]], joins: Mapping[Joined, int]) -> None:
    """SQLite (one writer at a time): the buyers recomputed from their receipts, then the
    members who joined, then the days."""
    if bought:
        buyers.refresh(conn, tenant_id, bought, came=bought)
    if joins or moves:
        zone = _zone(conn, tenant_id)
        joined: Counter[joins_store.Key] = Counter()
        for (_, at, store_id), n in joins.items():
            joined[(at.astimezone(zone).date(), store_id)] += n
        joins_store.add(conn, tenant_id, joined)
        days: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (_, at, terminal_id, store_id, staff_id), values in moves.items():
            row = days[(at.astimezone(zone).date(), terminal_id, store_id, staff_id)]
            for name, value in zip(DAY_COUNTS, values, strict=True):
                row[name] += value
        _upsert_days(conn, tenant_id, days)


# Receipts --------------------------------------------------------------------------------------

def _state(values: Mapping[str, Any], items_milli: int, rewards: Rewards = NO_REWARDS,
           cashback_minor: int = 0, back: tuple[int, int] = (0, 0)) -> ReceiptState:
    """``values`` (a receipt's columns) as its figures see them; ``back``: the discounts and
    the discount paid with points of the quantities its refunds returned (:func:`_back`)."""
    return ReceiptState(status=values["status"], gross_minor=values["gross_minor"],
                        paid_minor=values["paid_minor"],
                        refunded_paid_minor=values.get("refunded_paid_minor") or 0,
                        discount_minor=values["discount_minor"],
                        points_discount_minor=values["points_discount_minor"],
                        items_milli=items_milli, rewards=rewards, cashback_minor=cashback_minor,
                        refunded_discount_minor=back[0], refunded_points_off_minor=back[1])


def _place(values: Mapping[str, Any], at: datetime | None = None) -> Place:
    return (int(values["tenant_id"]), at or values["occurred_at"],
            int(values["terminal_id"] or 0),
            int(values["store_id"] or 0), int(values.get("staff_id") or 0))


def add_receipt(conn: Connection, values: Mapping[str, Any], *, items_milli: int,
                rewards: Rewards = NO_REWARDS) -> None:
    """Count a new receipt of ``values`` (its columns) with ``items_milli`` in its lines and
    the catalogue ``rewards`` it applies (at their stated cost) on its local day, and as its
    member's purchase (written at the end of the unit of work)."""
    state = _state(values, items_milli, rewards)
    found = pending(conn)
    found.move(_place(values), counts(known=values["member_id"] is not None,
                                      sales=receipt_totals(state)))
    if values["member_id"] is not None and is_purchase(state.status, state.gross_minor):
        found.purchases.setdefault((int(values["tenant_id"]), int(values["member_id"])),
                                   []).append(values["occurred_at"])


def add_cashback(conn: Connection, tenant_id: int, *, at: datetime, terminal_id: int | None,
                 store_id: int | None, staff_id: int | None, amount_minor: int) -> None:
    """Count ``amount_minor`` of cashback credited by the receipt counted at this place
    (:func:`add_receipt`; ``at`` its instant) in its reward cost, once its money is known (a
    receipt with cashback has a member): it joins the receipt's row in the same write."""
    pending(conn).move((tenant_id, at, terminal_id or 0, store_id or 0, staff_id or 0),
                       counts(known=True, sales=SalesTotals(reward_cost_minor=amount_minor)))


def add_receipts(conn: Connection, rows: Sequence[Mapping[str, Any]],
                 items_milli: Sequence[int], days: Sequence[date]) -> None:
    """Count a batch of new receipts (an import) on the local ``days`` given (in the
    tenant's time zone), written with the rest at the end of the unit of work
    (:func:`pending`): the members' purchases recomputed, the days' counters added. An
    import of many batches so locks no member's or day's row until just before its
    ``COMMIT``; its days are held in memory one entry per (day, till, store, cashier)."""
    if not rows:
        return
    tenant_id = int(rows[0]["tenant_id"])
    zone = _zone(conn, tenant_id)
    found = pending(conn)
    for row, items, day in zip(rows, items_milli, days, strict=True):
        if row["member_id"] is not None:
            member = (tenant_id, int(row["member_id"]))
            found.refresh.add(member)
            # Its purchase_gaps move by what the import added.
            if is_purchase(row["status"], row["gross_minor"]):
                found.came.setdefault(member, []).append(row["occurred_at"])
        # Noon stands for the day: the flush reads the day back in the same zone.
        found.move(_place(row, datetime.combine(day, time(12), zone)), counts(
            known=row["member_id"] is not None, sales=receipt_totals(_state(row, items))))


def add_sales(conn: Connection, tenant_id: int, *, zone: tzinfo, day: date, terminal_id: int,
              store_id: int, known: bool, sales: SalesTotals) -> None:
    """Count ``sales`` (receipts of an import, with a member or not: ``known``) on the local
    ``day`` (in the tenant's time zone, ``zone``) of the till and store, written with the
    rest at the end of the unit of work."""
    # Noon stands for the day: the flush reads the day back in the same zone.
    pending(conn).move((tenant_id, datetime.combine(day, time(12), zone),
                        terminal_id, store_id, 0), counts(known=known, sales=sales))


_LINE_COLUMNS = (receipt_lines.c.line_no, receipt_lines.c.quantity_milli,
                 receipt_lines.c.refunded_quantity_milli, receipt_lines.c.gross_minor,
                 receipt_lines.c.discount_minor, receipt_lines.c.paid_minor)


def _sold_line(row: Any) -> SoldLine:
    return SoldLine(line_no=int(row.line_no), quantity_milli=int(row.quantity_milli),
                    refunded_quantity_milli=int(row.refunded_quantity_milli),
                    gross_minor=int(row.gross_minor), discount_minor=int(row.discount_minor),
                    paid_minor=int(row.paid_minor))


def _lines(conn: Connection, tenant_id: int, receipt_id: int) -> list[SoldLine]:
    c = receipt_lines.c
    return [_sold_line(row) for row in conn.execute(
        select(*_LINE_COLUMNS).where(c.tenant_id == tenant_id, c.receipt_id == receipt_id))]


def _back(lines: Sequence[SoldLine], receipt: Mapping[str, Any],
          rewards: Rewards) -> tuple[int, int]:
    """The discounts (:func:`discount_back`) and the discount paid with points
    (:func:`points_off_back`, with ``receipt``'s catalogue ``rewards``) of the quantities of
    ``receipt``'s ``lines`` returned."""
    return (sum([discount_back(ln.discount_minor, refunded_milli=ln.refunded_quantity_milli,
                               quantity_milli=ln.quantity_milli) for ln in lines]),
            points_off_back(lines, points_discount_minor=int(receipt["points_discount_minor"]),
                            rewards=rewards))


def change_receipt(conn: Connection, receipt: Mapping[str, Any], *, status: str,
                   paid_back_minor: int, returned: Mapping[int, int],
                   rewards: tuple[Rewards, Rewards] = (NO_REWARDS, NO_REWARDS),
                   cashback_minor: tuple[int, int] = (0, 0)) -> None:
    """Count a refund or void of ``receipt`` (its row before the change; its lines already
    record the quantities returned) that leaves it in ``status``, pays back
    ``paid_back_minor`` more and took back ``returned`` of its lines (quantity by line
    number), its catalogue rewards going from ``rewards[0]`` to ``rewards[1]`` (a claim it
    closed costs nothing after) and the cashback it credits from ``cashback_minor[0]`` to
    ``cashback_minor[1]``: the difference goes to the sale's day; a receipt that stops being
    a sale is no longer its member's purchase (both written at the end of the unit of
    work)."""
    tenant_id = int(receipt["tenant_id"])
    lines = _lines(conn, tenant_id, int(receipt["id"]))
    left_milli = sum([ln.quantity_milli - ln.refunded_quantity_milli for ln in lines])
    earlier = [replace(ln, refunded_quantity_milli=ln.refunded_quantity_milli
                       - returned.get(ln.line_no, 0)) for ln in lines]
    back_after = _back(lines, receipt, rewards[1])
    before = _state(receipt, left_milli + sum(returned.values()), rewards[0],
                    cashback_minor[0], _back(earlier, receipt, rewards[0]))
    after = ReceiptState(status=status, gross_minor=before.gross_minor,
                         paid_minor=before.paid_minor,
                         refunded_paid_minor=before.refunded_paid_minor + paid_back_minor,
                         discount_minor=before.discount_minor,
                         points_discount_minor=before.points_discount_minor,
                         items_milli=left_milli, rewards=rewards[1],
                         cashback_minor=cashback_minor[1],
                         refunded_discount_minor=back_after[0],
                         refunded_points_off_minor=back_after[1])
    found = pending(conn)
    found.move(_place(receipt), counts(known=receipt["member_id"] is not None,
                                       sales=receipt_change(before, after)))
    if (receipt["member_id"] is not None and is_purchase(before.status, before.gross_minor)
            and not is_purchase(status, before.gross_minor)):
        who = (tenant_id, int(receipt["member_id"]))
        found.refresh.add(who)
        found.gone.setdefault(who, []).append(receipt["occurred_at"])


# Members -------------------------------------------------------------------------------------

def move_purchases(conn: Connection, tenant_id: int, from_member: int, to_member: int,
                   moved: Sequence[datetime]) -> None:
    """One member's receipts went to another (a merge; ``moved``: the instants of the net
    ones): both members' purchases are recomputed at the end of the unit of work."""
    found = pending(conn)
    found.refresh.update({(tenant_id, from_member), (tenant_id, to_member)})
    found.gone.setdefault((tenant_id, from_member), []).extend(moved)
    found.came.setdefault((tenant_id, to_member), []).extend(moved)


def add_joined(conn: Connection, tenant_id: int, *, at: datetime, store_id: int | None,
               members: int = 1) -> None:
    """Count ``members`` who joined at ``at`` at ``store_id`` on its local day (negative:
    merged duplicates, who leave the figure), written at the end of the unit of work."""
    found = pending(conn).joins
    place = (tenant_id, at, store_id or 0)
    found[place] = found.get(place, 0) + members


# Ledger entries ------------------------------------------------------------------------------

def add_entry(conn: Connection, tenant_id: int, *, code: str, points: int, at: datetime,
              terminal_id: int | None, store_id: int | None, staff_id: int | None) -> None:
    """Count an entry's points on its local day (written at the end of the unit of work)."""
    moved = entry_points(code, points)
    if moved:
        pending(conn).move((tenant_id, at, terminal_id or 0, store_id or 0, staff_id or 0),
                           counts(known=True, points=moved))


def of_points() -> Any:
    """Whether an ``entries`` row is an entry of points: money, goods and stamps share codes
    such as ``void`` and ``expire`` with points, and count nothing."""
    return entries.c.asset == POINTS.code


def add_expired(conn: Connection, tenant_id: int, *, at: datetime, points: int) -> None:
    """Count ``points`` expired at ``at`` (a batch of the expiry run: no till)."""
    pending(conn).move((tenant_id, at, 0, 0, 0), {"points_expired": points})


# Reads ---------------------------------------------------------------------------------------

def _where(tenant_id: int, first_day: date, last_day: date, store_id: int | None,
           staff_id: int | None) -> list[Any]:
    found = [sales_days.c.tenant_id == tenant_id, sales_days.c.day >= first_day,
             sales_days.c.day <= last_day]
    if store_id is not None:
        found.append(sales_days.c.store_id == store_id)
    if staff_id is not None:
        found.append(sales_days.c.staff_id == staff_id)
    return found


def totals(conn: Connection, tenant_id: int, first_day: date, last_day: date, *,
           store_id: int | None = None, staff_id: int | None = None
           ) -> tuple[SalesTotals, SalesTotals, PointsTotals]:
    """(receipts with a member, anonymous receipts, points) of the local days
    ``first_day`` to ``last_day``, one store's or cashier's if given."""
    row = conn.execute(select(*(func.coalesce(func.sum(sales_days.c[name]), 0)
                                for name in DAY_COUNTS))
                       .where(*_where(tenant_id, first_day, last_day, store_id,
                                      staff_id))).one()
    found = dict(zip(DAY_COUNTS, (int(v) for v in row), strict=True))

    def kind(prefix: str) -> SalesTotals:
        return SalesTotals(receipts=found[f"{prefix}_receipts"],
                           revenue_minor=found[f"{prefix}_revenue_minor"],
                           discount_minor=found[f"{prefix}_discount_minor"],
                           reward_cost_minor=found[f"{prefix}_reward_cost_minor"],
                           items_milli=found[f"{prefix}_items_milli"])

    return kind("member"), kind("anonymous"), PointsTotals(
        issued=found["points_issued"], redeemed=found["points_redeemed"],
        expired=found["points_expired"])


def by_day(conn: Connection, tenant_id: int, first_day: date, last_day: date, *,
           store_id: int | None = None, staff_id: int | None = None
           ) -> dict[date, tuple[int, int, int]]:
    """Per local day with receipts: (receipts with a member, anonymous receipts, revenue)."""
    c = sales_days.c
    rows = conn.execute(
        select(c.day, func.sum(c.member_receipts), func.sum(c.anonymous_receipts),
               func.sum(c.member_revenue_minor + c.anonymous_revenue_minor))
        .where(*_where(tenant_id, first_day, last_day, store_id, staff_id))
        .group_by(c.day))
    return {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in rows}


# Checks and rebuilds -------------------------------------------------------------------------

def _returned_lines(conn: Connection, tenant_id: int) -> dict[int, list[SoldLine]]:
    """The tenant's lines with a quantity returned, by receipt id."""
    c = receipt_lines.c
    found: dict[int, list[SoldLine]] = defaultdict(list)
    for row in conn.execute(select(c.receipt_id, *_LINE_COLUMNS)
                            .where(c.tenant_id == tenant_id, c.refunded_quantity_milli > 0)):
        found[int(row.receipt_id)].append(_sold_line(row))
    return dict(found)


def expected(conn: Connection, tenant_id: int, zone: tzinfo,
             rewards: Mapping[int, Rewards]) -> dict[Key, dict[str, int]]:
    """The ``sales_days`` rows the tenant's receipts and entries make in ``zone``, with the
    catalogue ``rewards`` of each receipt (by id; read by
    :func:`regulars.db.rewards.costs.by_receipt`, which the ledger's side may not import)
    and the cashback each still credits (:func:`regulars.db.analytics.cashback.by_receipt`);
    rows of counters all 0 left out."""
    found: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    items = {int(r[0]): int(r[1] or 0) for r in conn.execute(
        select(receipt_lines.c.receipt_id,
               func.sum(receipt_lines.c.quantity_milli
                        - receipt_lines.c.refunded_quantity_milli))
        .where(receipt_lines.c.tenant_id == tenant_id).group_by(receipt_lines.c.receipt_id))}
    credited = cashback.by_receipt(conn, tenant_id)
    returned = _returned_lines(conn, tenant_id)
    for r in conn.execute(select(receipts).where(receipts.c.tenant_id == tenant_id,
                                                 purchased())).mappings():
        key = (r["occurred_at"].astimezone(zone).date(), r["terminal_id"], r["store_id"],
               r["staff_id"] or 0)
        claimed = rewards.get(r["id"], NO_REWARDS)
        back = _back(returned.get(r["id"], []), dict(r), claimed)
        for name, value in counts(known=r["member_id"] is not None, sales=receipt_totals(
                _state(dict(r), items.get(r["id"], 0), claimed, credited.get(r["id"], 0),
                       back))).items():
            found[key][name] += value
    for e in conn.execute(select(entries.c.code, entries.c.points, entries.c.occurred_at,
                                 entries.c.terminal_id, entries.c.store_id,
                                 entries.c.staff_id).where(entries.c.tenant_id == tenant_id,
                                                           of_points())):
        moved = entry_points(e.code, int(e.points))
        if moved:
            key = (e.occurred_at.astimezone(zone).date(), e.terminal_id or 0, e.store_id or 0,
                   e.staff_id or 0)
            for name, value in counts(known=True, points=moved).items():
                found[key][name] += value
    return {key: dict(values) for key, values in found.items() if any(values.values())}


def rebuild(conn: Connection, tenant_id: int, zone: tzinfo,
            rewards: Mapping[int, Rewards]) -> int:
    """Make the tenant's ``sales_days`` anew from its receipts (with their catalogue
    ``rewards``, see :func:`expected`) and entries in ``zone`` (a new time zone moves
    receipts between local days), and the member counts per day from the receipts and the
    members; the ``sales_days`` rows written. On PostgreSQL the table is
    locked against other writers first (commits wait for the few moments this takes; a time
    zone changes rarely), so that no commit adds to a row between the reading of the history
    and the writing of the rows; on SQLite the write transaction already excludes them."""
    if conn.dialect.name == "postgresql":  # in the order a unit of work's last statement
        conn.execute(text("LOCK TABLE purchase_gaps, repeat_gaps, join_days, sales_days "
                          "IN EXCLUSIVE MODE"))
    rows = expected(conn, tenant_id, zone, rewards)
    conn.execute(delete(sales_days).where(sales_days.c.tenant_id == tenant_id))
    _upsert_days(conn, tenant_id, rows)
    times = buyers.sold_times(conn, tenant_id, None)
    gaps.rebuild(conn, tenant_id, gaps.expected(times, zone))
    repeats.rebuild(conn, tenant_id, repeats.expected(times, zone))
    joins_store.rebuild(conn, tenant_id, joins_store.expected(conn, tenant_id, zone))
    return len(rows)


def _stored(conn: Connection, tenant_id: int) -> dict[Key, dict[str, int]]:
    c = sales_days.c
    return {(r.day, int(r.terminal_id), int(r.store_id), int(r.staff_id)):
            {name: int(r._mapping[name]) for name in DAY_COUNTS}
            for r in conn.execute(select(sales_days).where(c.tenant_id == tenant_id))
            if any(r._mapping[name] for name in DAY_COUNTS)}


def problems(conn: Connection, tenant_id: int, zone: tzinfo,
             rewards: Mapping[int, Rewards]) -> list[dict[str, Any]]:
    """The rows of ``sales_days``, ``member_purchases`` and the member counts per day that
    disagree with the receipts (with their catalogue ``rewards``, see :func:`expected`),
    entries and members (empty when they agree)."""
    want, have = expected(conn, tenant_id, zone, rewards), _stored(conn, tenant_id)
    found: list[dict[str, Any]] = []
    for key in sorted(set(want) | set(have)):
        wanted = {name: want.get(key, {}).get(name, 0) for name in DAY_COUNTS}
        stored = {name: have.get(key, {}).get(name, 0) for name in DAY_COUNTS}
        for name in DAY_COUNTS:
            if wanted[name] != stored[name]:
                found.append({"kind": "sales_day", "tenant_id": tenant_id,
                              "day": key[0].isoformat(), "terminal_id": key[1],
                              "store_id": key[2], "staff_id": key[3], "counter": name,
                              "expected": wanted[name], "stored": stored[name]})
    times = buyers.sold_times(conn, tenant_id, None)
    return (found + buyers.problems(conn, tenant_id, times)
            + gaps.problems(conn, tenant_id, gaps.expected(times, zone))
            + repeats.problems(conn, tenant_id, repeats.expected(times, zone))
            + joins_store.problems(conn, tenant_id,
                                   joins_store.expected(conn, tenant_id, zone)))
