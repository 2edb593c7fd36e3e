"""Receipts and their lines, refunds, idempotency records and the spend sums levels need."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.tables import idempotency, receipt_lines, receipts, refunds, spend_days
from regulars.domain.program import window_starts


@dataclass(frozen=True, kw_only=True)
class Claim:
    """The outcome of claiming an idempotency key: ``fresh`` for the first request, otherwise
    the stored hash and response of the first one."""

    fresh: bool
    request_hash: str | None = None
    response: dict[str, Any] | None = None


def claim_key(conn: Connection, *, tenant_id: int, scope: str, key: str, request_hash: str,
              now: datetime) -> Claim:
    """Insert the key, or report the request that holds it.

    On PostgreSQL a concurrent holder makes this wait for its transaction; on SQLite writers
    are serialised by ``BEGIN IMMEDIATE``. Either way the answer is final when it returns.
    """
    values = {"tenant_id": tenant_id, "scope": scope, "key": key,
              "request_hash": request_hash, "created_at": now}
    dialect = conn.dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(idempotency).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(idempotency).values(**values).on_conflict_do_nothing()
    if conn.execute(stmt.returning(idempotency.c.id)).first() is not None:
        return Claim(fresh=True)
    row = conn.execute(select(idempotency.c.request_hash, idempotency.c.response).where(
        idempotency.c.tenant_id == tenant_id, idempotency.c.scope == scope,
        idempotency.c.key == key)).one()
    return Claim(fresh=False, request_hash=row.request_hash, response=row.response)


_CLAIM_COMMIT_PG = text("""
WITH claimed AS (
    INSERT INTO idempotency (tenant_id, scope, key, request_hash, created_at)
    VALUES (:tenant_id, 'commit', :key, :request_hash, :created_at)
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM claimed) AS fresh, r.request_hash, r.response
FROM (SELECT 1) AS one
LEFT JOIN receipts r
       ON r.tenant_id = :tenant_id AND r.terminal_id = :terminal_id AND r.receipt_no = :receipt_no
""").bindparams(bindparam("created_at", type_=idempotency.c.created_at.type)).columns(
    fresh=Integer(), request_hash=receipts.c.request_hash.type,
    response=receipts.c.response.type)


@dataclass(frozen=True, kw_only=True)
class EarlierReceipt:
    """A receipt the till already sent under the same receipt number."""

    request_hash: str
    response: Any


def claim_commit(conn: Connection, *, tenant_id: int, key: str, request_hash: str,
                 now: datetime, terminal_id: int, receipt_no: str
                 ) -> tuple[Claim, EarlierReceipt | None]:
    """:func:`claim_key` in scope ``commit`` and, for a fresh claim, the till's receipt with
    this number if one exists (one round trip on PostgreSQL).

    The receipt is read from the statement's snapshot: one committed by a concurrent request
    after it began is not seen, and the receipt's insert then fails on the unique receipt
    number, which the caller answers as a replay.
    """
    if conn.dialect.name != "postgresql":
        claim = claim_key(conn, tenant_id=tenant_id, scope="commit", key=key,
                          request_hash=request_hash, now=now)
        if not claim.fresh:
            return claim, None
        found = receipt_by_number(conn, tenant_id, terminal_id, receipt_no)
        return claim, (EarlierReceipt(request_hash=found["request_hash"],
                                      response=found["response"]) if found else None)
    row = conn.execute(_CLAIM_COMMIT_PG, {
        "tenant_id": tenant_id, "key": key, "request_hash": request_hash, "created_at": now,
        "terminal_id": terminal_id, "receipt_no": receipt_no}).one()
    if not row.fresh:
        # The holder's row, read by a statement of its own: this one's snapshot predates it.
        return claim_key(conn, tenant_id=tenant_id, scope="commit", key=key,
                         request_hash=request_hash, now=now), None
    earlier = (EarlierReceipt(request_hash=row.request_hash, response=row.response)
               if row.request_hash is not None else None)
    return Claim(fresh=True), earlier


def store_response(conn: Connection, *, tenant_id: int, scope: str, key: str,
                   response: dict[str, Any]) -> None:
    conn.execute(update(idempotency).where(
        idempotency.c.tenant_id == tenant_id, idempotency.c.scope == scope,
        idempotency.c.key == key).values(response=response))


def insert_receipt(conn: Connection, *, day: date, **values: Any) -> int:
    """Insert a receipt and count its qualifying spend in the member's ``day`` (the local day
    of its ``occurred_at``, see :func:`local_day`). Raises the database's unique violation if
    the till already sent this receipt id."""
    receipt_id = int(conn.execute(insert(receipts).values(**values)
                                  .returning(receipts.c.id)).scalar_one())
    if values.get("member_id") is not None:
        add_spend(conn, tenant_id=values["tenant_id"], member_id=values["member_id"], day=day,
                  net_minor=qualifying(values), at=values["occurred_at"])
    return receipt_id


def insert_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(insert(receipt_lines), rows)


_RECEIPT_COLUMNS = ("tenant_id", "terminal_id", "store_id", "staff_id", "receipt_no",
                    "member_id", "status", "program_version", "gross_minor", "discount_minor",
                    "points_spent", "points_discount_minor", "paid_minor", "points_earned",
                    "request_hash", "response", "occurred_at", "recorded_at")
_LINE_COLUMNS = {"line_no": "integer", "sku": "text", "name": "text", "category": "text",
                 "quantity_milli": "bigint", "unit_price_minor": "bigint",
                 "gross_minor": "bigint", "discount_minor": "bigint", "points_spent": "bigint",
                 "paid_minor": "bigint", "points_earned": "bigint"}
_RECEIPT_CASTS = {"staff_id": "bigint", "member_id": "bigint", "response": "json"}

# On PostgreSQL a receipt and its lines are one statement; lines take ids in the order given.
_INSERT_RECEIPT_PG = text(f"""
WITH new_receipt AS (
    INSERT INTO receipts ({", ".join(_RECEIPT_COLUMNS)})
    VALUES ({", ".join(f"CAST(:{c} AS {_RECEIPT_CASTS[c]})" if c in _RECEIPT_CASTS
                       else f":{c}" for c in _RECEIPT_COLUMNS)})
    RETURNING id, member_id
), new_lines AS (
    INSERT INTO receipt_lines (tenant_id, receipt_id, {", ".join(_LINE_COLUMNS)})
    SELECT :tenant_id, r.id, {", ".join(f"l.{c}" for c in _LINE_COLUMNS)}
    FROM new_receipt r
    CROSS JOIN unnest({", ".join(f"CAST(:line_{c} AS {t}[])" for c, t in _LINE_COLUMNS.items())})
         WITH ORDINALITY AS l({", ".join(_LINE_COLUMNS)}, ord)
    ORDER BY l.ord
    RETURNING 1
), spend AS (
    INSERT INTO spend_days (tenant_id, member_id, day, net_minor, last_at)
    SELECT :tenant_id, r.member_id, d.day, :spend_minor, :occurred_at
    FROM new_receipt r
    CROSS JOIN (VALUES (:spend_day), (:lifetime_day)) AS d(day)
    WHERE r.member_id IS NOT NULL
    ON CONFLICT (tenant_id, member_id, day) DO UPDATE
    SET net_minor = spend_days.net_minor + excluded.net_minor,
        last_at = GREATEST(spend_days.last_at, excluded.last_at)
    RETURNING 1
)
SELECT r.id, (SELECT count(*) FROM new_lines) AS lines FROM new_receipt r
""").bindparams(bindparam("occurred_at", type_=receipts.c.occurred_at.type),
                bindparam("recorded_at", type_=receipts.c.recorded_at.type),
                bindparam("spend_day", type_=Date()),
                bindparam("lifetime_day", type_=Date()))


def insert_receipt_with_lines(conn: Connection, lines: list[dict[str, Any]], *, day: date,
                              **values: Any) -> int:
    """:func:`insert_receipt`, then :func:`insert_lines` for ``lines`` (rows without
    ``tenant_id`` and ``receipt_id``, which come from the receipt); one round trip on
    PostgreSQL. Raises the database's unique violation as :func:`insert_receipt` does."""
    if conn.dialect.name != "postgresql" or set(values) != set(_RECEIPT_COLUMNS) or any(
            set(line) != set(_LINE_COLUMNS) for line in lines):
        receipt_id = insert_receipt(conn, day=day, **values)
        if lines:
            insert_lines(conn, [{"tenant_id": values["tenant_id"], "receipt_id": receipt_id,
                                 **line} for line in lines])
        return receipt_id
    params = {**values, "response": json.dumps(values["response"]), "spend_day": day,
              "lifetime_day": LIFETIME_DAY, "spend_minor": qualifying(values)}
    for column in _LINE_COLUMNS:
        params[f"line_{column}"] = [line[column] for line in lines]
    row = conn.execute(_INSERT_RECEIPT_PG, params).one()
    if row.lines != len(lines):
        raise RuntimeError(f"a receipt wrote {row.lines} lines of {len(lines)}")
    return int(row.id)


def set_receipt_response(conn: Connection, tenant_id: int, receipt_id: int,
                         response: dict[str, Any]) -> None:
    conn.execute(update(receipts).where(receipts.c.tenant_id == tenant_id,
                                        receipts.c.id == receipt_id)
                 .values(response=response))


_STORE_RESPONSES_PG = text("""
WITH on_receipt AS (
    UPDATE receipts SET response = CAST(:response AS json)
    WHERE tenant_id = :tenant_id AND id = :receipt_id
    RETURNING 1
)
UPDATE idempotency SET response = CAST(:response AS json)
WHERE tenant_id = :tenant_id AND scope = :scope AND key = :key
""")


def store_responses(conn: Connection, *, tenant_id: int, scope: str, key: str,
                    receipt_id: int, response: dict[str, Any]) -> None:
    """:func:`set_receipt_response` and :func:`store_response` with the same answer; one
    round trip on PostgreSQL."""
    if conn.dialect.name != "postgresql":
        set_receipt_response(conn, tenant_id, receipt_id, response)
        store_response(conn, tenant_id=tenant_id, scope=scope, key=key, response=response)
        return
    conn.execute(_STORE_RESPONSES_PG, {"tenant_id": tenant_id, "scope": scope, "key": key,
                                       "receipt_id": receipt_id,
                                       "response": json.dumps(response)})


def receipt_by_number(conn: Connection, tenant_id: int, terminal_id: int,
                      receipt_no: str) -> dict[str, Any] | None:
    row = conn.execute(select(receipts).where(
        receipts.c.tenant_id == tenant_id, receipts.c.terminal_id == terminal_id,
        receipts.c.receipt_no == receipt_no)).one_or_none()
    return dict(row._mapping) if row else None


def get_receipt(conn: Connection, tenant_id: int, receipt_id: int, *,
                for_update: bool = False) -> dict[str, Any] | None:
    query = select(receipts).where(receipts.c.tenant_id == tenant_id,
                                   receipts.c.id == receipt_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    return dict(row._mapping) if row else None


def lines_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(receipt_lines).where(receipt_lines.c.tenant_id == tenant_id,
                                    receipt_lines.c.receipt_id == receipt_id)
        .order_by(receipt_lines.c.line_no))]


def add_refunded_quantity(conn: Connection, tenant_id: int, receipt_id: int, line_no: int,
                          quantity_milli: int) -> bool:
    """Count ``quantity_milli`` more as refunded, unless that would pass the line's quantity
    (a conditional update, so two refunds racing for the last unit cannot both win)."""
    changed = conn.execute(
        update(receipt_lines).where(
            receipt_lines.c.tenant_id == tenant_id, receipt_lines.c.receipt_id == receipt_id,
            receipt_lines.c.line_no == line_no,
            receipt_lines.c.refunded_quantity_milli + quantity_milli
            <= receipt_lines.c.quantity_milli)
        .values(refunded_quantity_milli=receipt_lines.c.refunded_quantity_milli
                + quantity_milli)
    ).rowcount
    return changed == 1


def update_receipt(conn: Connection, tenant_id: int, receipt_id: int, **values: Any) -> None:
    conn.execute(update(receipts).where(receipts.c.tenant_id == tenant_id,
                                        receipts.c.id == receipt_id).values(**values))


def mark_receipt(conn: Connection, tenant_id: int, receipt_id: int, *, from_status: str,
                 to_status: str) -> bool:
    """Move a receipt between statuses only from the expected one (wins once)."""
    return conn.execute(update(receipts).where(
        receipts.c.tenant_id == tenant_id, receipts.c.id == receipt_id,
        receipts.c.status == from_status).values(status=to_status)).rowcount == 1


def insert_refund(conn: Connection, **values: Any) -> int:
    return int(conn.execute(insert(refunds).values(**values)
                            .returning(refunds.c.id)).scalar_one())


def refunds_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(refunds).where(refunds.c.tenant_id == tenant_id,
                              refunds.c.receipt_id == receipt_id).order_by(refunds.c.id))]


def list_receipts(conn: Connection, tenant_id: int, *, member_id: int | None, limit: int,
                  before_id: int | None) -> list[dict[str, Any]]:
    query = select(receipts.c.id, receipts.c.receipt_no, receipts.c.terminal_id,
                   receipts.c.store_id, receipts.c.member_id, receipts.c.status,
                   receipts.c.gross_minor, receipts.c.discount_minor, receipts.c.paid_minor,
                   receipts.c.points_spent, receipts.c.points_earned,
                   receipts.c.refunded_paid_minor, receipts.c.occurred_at) \
        .where(receipts.c.tenant_id == tenant_id)
    if member_id is not None:
        query = query.where(receipts.c.member_id == member_id)
    if before_id is not None:
        query = query.where(receipts.c.id < before_id)
    return [dict(r._mapping) for r in conn.execute(query.order_by(receipts.c.id.desc())
                                                   .limit(limit))]


# Qualifying spend ----------------------------------------------------------------------------

def qualifying(receipt: dict[str, Any]) -> int:
    """What a receipt (its row, or the values it is inserted with) counts towards levels:
    paid less refunded, nothing once voided."""
    if receipt["status"] == "voided":
        return 0
    return int(receipt["paid_minor"]) - int(receipt.get("refunded_paid_minor") or 0)


def local_day(at: datetime, zone: tzinfo) -> date:
    """The tenant's local day a receipt made at ``at`` counts in."""
    return at.astimezone(zone).date()


LIFETIME_DAY = date(9999, 12, 31)
"""The ``spend_days`` row of this day holds the member's lifetime total (every day's rows)."""


def add_spend(conn: Connection, *, tenant_id: int, member_id: int, day: date, net_minor: int,
              at: datetime) -> None:
    """Count ``net_minor`` more (or less, when negative) in a member's day and lifetime total,
    for a receipt made at ``at`` on that day. One upsert that adds to the rows: concurrent
    writers to the same member queue on them and none of their amounts is lost."""
    values = [{"tenant_id": tenant_id, "member_id": member_id, "day": row_day,
               "net_minor": net_minor, "last_at": at} for row_day in (day, LIFETIME_DAY)]
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(spend_days).values(values)
        conn.execute(pg.on_conflict_do_update(
            index_elements=[spend_days.c.tenant_id, spend_days.c.member_id, spend_days.c.day],
            set_={"net_minor": spend_days.c.net_minor + pg.excluded.net_minor,
                  "last_at": func.greatest(spend_days.c.last_at, pg.excluded.last_at)}))
        return
    lite = sqlite.insert(spend_days).values(values)
    conn.execute(lite.on_conflict_do_update(
        index_elements=[spend_days.c.tenant_id, spend_days.c.member_id, spend_days.c.day],
        set_={"net_minor": spend_days.c.net_minor + lite.excluded.net_minor,
              "last_at": func.max(spend_days.c.last_at, lite.excluded.last_at)}))


def spend_windows_params(until: datetime, zone: tzinfo) -> dict[str, Any]:
    """The bind parameters of :func:`spend_sums_query` for spend up to ``until`` inclusive,
    windows starting at local midnight in ``zone``: the one definition of the level windows
    (rolling 12 months, this calendar year, last calendar year)."""
    today = local_day(until, zone)
    rolling, this_year, last_year = window_starts(today)
    return {"until": until, "until_day": today,
            "until_day_start": datetime.combine(today, time(), zone),
            "rolling_day": rolling, "year_day": this_year, "last_year_day": last_year}


def spend_sums(conn: Connection, tenant_id: int, member_id: int, *, until: datetime,
               zone: tzinfo) -> tuple[int, int, int, int]:
    """Qualifying spend (paid less refunded, voided receipts excluded) up to and including
    ``until``: lifetime, rolling 12 months, this calendar year, last calendar year, with the
    windows starting at local midnight in the tenant's ``zone``.

    Inclusive, so that the receipt a commit has just written counts for the level it reaches
    (a quote prices before its own receipt exists, so it never counts itself)."""
    row = conn.execute(_SPEND_SUMS, {"tenant_id": tenant_id, "member_id": member_id,
                                     **spend_windows_params(until, zone)}).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def spend_sums_query(member_id: Any, *, by_member: bool = False) -> Any:
    """Qualifying spend of ``member_id`` (a bind parameter or a scalar subquery) as
    :func:`spend_sums` reads it: columns ``lifetime``, ``rolling``, ``this_year`` and
    ``last_year`` (and ``member_id``, grouped by it, when ``by_member``), with the bind
    parameters ``tenant_id`` and those of :func:`spend_windows_params`.
    :mod:`regulars.db.pricing` embeds it too.

    It reads the member's ``spend_days`` rows from the start of last calendar year on (one per
    local day with purchases, at most 731 before the day of ``until``) and the lifetime row.
    Days before the day of ``until`` count whole, and so does that day when its latest receipt
    is not after ``until``; otherwise (a till sending a receipt made earlier that day than
    others) that one day's receipts up to ``until`` are summed instead. The lifetime is the
    lifetime row less the days after ``until``. The windows start at local midnight, which is
    where the rows' days start, so the sums are exactly those of the receipts themselves.
    """
    days = spend_days.c
    at = receipts.c.occurred_at

    def moment(name: str) -> Any:
        return bindparam(name, type_=at.type)

    def day(name: str) -> Any:
        return bindparam(name, type_=Date())

    until_day = day("until_day")
    until_day_receipts = (
        select(func.coalesce(func.sum(receipts.c.paid_minor - receipts.c.refunded_paid_minor),
                             0))
        .where(receipts.c.tenant_id == bindparam("tenant_id"),
               receipts.c.member_id == days.member_id, receipts.c.status != "voided",
               at >= moment("until_day_start"), at <= moment("until"))
        .scalar_subquery())
    # What each row counts up to ``until`` (nothing after its day; the lifetime row is dated
    # after every day). Computed once per row, so the statement stays short.
    rows = select(days.member_id, days.day, days.net_minor, case(
        (days.day > until_day, 0),
        ((days.day < until_day) | (days.last_at <= moment("until")), days.net_minor),
        else_=until_day_receipts).label("part"),
    ).where(days.tenant_id == bindparam("tenant_id"), days.member_id == member_id,
            days.day >= day("last_year_day")).subquery("spend_rows")
    row = rows.c
    lifetime = case((row.day == bindparam("lifetime_day", LIFETIME_DAY, type_=Date()),
                     row.net_minor),
                    (row.day >= until_day, row.part - row.net_minor), else_=0)

    def window(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, row.part), else_=0)), 0)

    query = select(
        func.coalesce(func.sum(lifetime), 0).label("lifetime"),
        window(row.day >= day("rolling_day")).label("rolling"),
        window(row.day >= day("year_day")).label("this_year"),
        window(row.day < day("year_day")).label("last_year"),
    )
    if by_member:
        query = query.add_columns(row.member_id).group_by(row.member_id)
    return query


# Built once: it runs on every quote and commit.
_SPEND_SUMS = spend_sums_query(bindparam("member_id"))


def expected_spend_days(conn: Connection, tenant_id: int, zone: tzinfo
                        ) -> dict[tuple[int, date], tuple[int, datetime]]:
    """The ``spend_days`` rows a tenant's receipts make in ``zone``, read from the receipts
    themselves (for checks and rebuilds): (member, day) to (net, latest receipt), for the
    days with a receipt that is not voided and for :data:`LIFETIME_DAY`."""
    found: dict[tuple[int, date], tuple[int, datetime]] = {}
    rows = conn.execute(
        select(receipts.c.member_id, receipts.c.paid_minor, receipts.c.refunded_paid_minor,
               receipts.c.occurred_at)
        .where(receipts.c.tenant_id == tenant_id, receipts.c.member_id.is_not(None),
               receipts.c.status != "voided"))
    for r in rows:
        for key in ((int(r.member_id), local_day(r.occurred_at, zone)),
                    (int(r.member_id), LIFETIME_DAY)):
            net, last = found.get(key, (0, r.occurred_at))
            found[key] = (net + int(r.paid_minor) - int(r.refunded_paid_minor),
                          max(last, r.occurred_at))
    return found


def rebuild_spend_days(conn: Connection, tenant_id: int, zone: tzinfo) -> int:
    """Write a tenant's ``spend_days`` afresh from its receipts, with days in ``zone``: after
    a change of the tenant's time zone its receipts fall on other local days. Returns the
    number of rows written."""
    conn.execute(delete(spend_days).where(spend_days.c.tenant_id == tenant_id))
    rows = [{"tenant_id": tenant_id, "member_id": member_id, "day": day, "net_minor": net,
             "last_at": last}
            for (member_id, day), (net, last) in
            expected_spend_days(conn, tenant_id, zone).items()]
    for start in range(0, len(rows), 1000):
        conn.execute(insert(spend_days), rows[start:start + 1000])
    return len(rows)


def spend_day_problems(conn: Connection, tenant_id: int, zone: tzinfo) -> list[dict[str, Any]]:
    """The (member, day) rows of ``spend_days`` that disagree with the tenant's receipts:
    another net amount (a missing row counts as zero), or a ``last_at`` earlier than a
    receipt the row counts. Empty when they agree."""
    expected = expected_spend_days(conn, tenant_id, zone)
    stored = {(int(r.member_id), r.day): (int(r.net_minor), r.last_at) for r in conn.execute(
        select(spend_days.c.member_id, spend_days.c.day, spend_days.c.net_minor,
               spend_days.c.last_at).where(spend_days.c.tenant_id == tenant_id))}
    problems = []
    for key in sorted(set(expected) | set(stored)):
        want_net, want_last = expected.get(key, (0, None))
        have_net, have_last = stored.get(key, (0, None))
        # A day whose receipts all count zero sums to zero whatever its ``last_at`` says.
        late = want_net != 0 and (have_last is None or want_last is None
                                  or have_last < want_last)
        if want_net != have_net or late:
            problems.append({"kind": "spend_day", "tenant_id": tenant_id, "member_id": key[0],
                             "day": key[1].isoformat(), "receipts_minor": want_net,
                             "stored_minor": have_net if key in stored else None})
    return problems


_MOVE_SPEND_PG = text("""
WITH moved AS (
    DELETE FROM spend_days WHERE tenant_id = :tenant_id AND member_id = :from_member
    RETURNING day, net_minor, last_at
)
INSERT INTO spend_days (tenant_id, member_id, day, net_minor, last_at)
SELECT :tenant_id, :to_member, day, net_minor, last_at FROM moved
ON CONFLICT (tenant_id, member_id, day) DO UPDATE
SET net_minor = spend_days.net_minor + excluded.net_minor,
    last_at = GREATEST(spend_days.last_at, excluded.last_at)
""")
_MOVE_SPEND_SQLITE = text("""
INSERT INTO spend_days (tenant_id, member_id, day, net_minor, last_at)
SELECT tenant_id, :to_member, day, net_minor, last_at FROM spend_days
WHERE tenant_id = :tenant_id AND member_id = :from_member
ON CONFLICT (tenant_id, member_id, day) DO UPDATE
SET net_minor = spend_days.net_minor + excluded.net_minor,
    last_at = max(spend_days.last_at, excluded.last_at)
""")


def move_receipts(conn: Connection, tenant_id: int, from_member: int, to_member: int) -> None:
    """Give one member's receipts, and their qualifying spend per day, to another."""
    conn.execute(update(receipts).where(receipts.c.tenant_id == tenant_id,
                                        receipts.c.member_id == from_member)
                 .values(member_id=to_member))
    params = {"tenant_id": tenant_id, "from_member": from_member, "to_member": to_member}
    if conn.dialect.name == "postgresql":
        conn.execute(_MOVE_SPEND_PG, params)
        return
    conn.execute(_MOVE_SPEND_SQLITE, params)
    conn.execute(delete(spend_days).where(spend_days.c.tenant_id == tenant_id,
                                          spend_days.c.member_id == from_member))
