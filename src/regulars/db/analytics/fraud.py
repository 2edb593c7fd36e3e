"""Reads for the own-card fraud scan (receipts with a cashier and a member, hand adjustments,
members who share a staff member's phone or e-mail) and the scan's own rows: each business's
thresholds and the flags with their evidence. Every query is scoped by ``tenant_id``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db import bulk, personal
from regulars.db.analytics.tables import fraud_flags, fraud_settings
from regulars.db.base import UtcDateTime
from regulars.db.checkout.tables import receipts
from regulars.db.ledger.tables import entries
from regulars.db.members.tables import members
from regulars.db.promotions.tables import receipt_promotions
from regulars.db.tenancy.tables import staff
from regulars.domain.analytics.fraud import (
    Adjustment,
    GroupInStore,
    PairScore,
    Thresholds,
)

FLAG_STATUSES = ("open", "dismissed", "confirmed")


def _near(conn: Connection, window_minutes: int) -> Any:
    """How many of the group's receipts fall in the window that ends at this one (a span
    shorter than ``window_minutes``), counted over the receipts' times to the microsecond."""
    keys = "receipts.store_id, receipts.member_id, receipts.staff_id"
    before_us = window_minutes * 60_000_000 - 1
    if conn.dialect.name == "postgresql":
        order, offset = "receipts.occurred_at", f"interval '{before_us} microseconds'"
    else:  # SQLAlchemy keeps an instant as 'YYYY-MM-DD HH:MM:SS.ffffff' text in SQLite
        order = ("(CAST(strftime('%s', receipts.occurred_at) AS INTEGER) * 1000000"
                 " + CAST(substr(receipts.occurred_at, 21, 6) AS INTEGER))")
        offset = str(before_us)
    return literal_column(f"count(*) OVER (PARTITION BY {keys} ORDER BY {order} "
                          f"RANGE BETWEEN {offset} PRECEDING AND CURRENT ROW)")


def counted_groups(conn: Connection, tenant_id: int, *, start: datetime, end: datetime,
                   burst_window_minutes: int) -> list[GroupInStore]:
    """The receipts made in ``(start, end]`` with both a member and a cashier (voided ones
    and those with no basket, which only sold stored value, left out), counted per (cashier,
    member, store) with the totals each group's signals compare against, all in the
    database (what :func:`~regulars.domain.analytics.fraud.with_totals` counts in Python), in
    no order: ``first`` is the group's first receipt's id; ``bonus`` counts the receipts a
    promotion gave points on."""
    bonus = (select(receipt_promotions.c.receipt_id)
             .where(receipt_promotions.c.tenant_id == tenant_id,
                    receipt_promotions.c.points > 0)
             .group_by(receipt_promotions.c.receipt_id).subquery())
    # Not purchased(): a wholly refunded receipt still counts. The card was at this cashier's
    # till and earned points there, and a cashier who refunds what went on their own card must
    # not wipe the evidence with it (docs/analytics.md, "Cashier own-card fraud").
    counted = and_(receipts.c.status != "voided", receipts.c.gross_minor > 0)
    r = (select(receipts.c.id, receipts.c.store_id, receipts.c.member_id, receipts.c.staff_id,
                receipts.c.identified_by, bonus.c.receipt_id.label("bonus_id"),
                _near(conn, burst_window_minutes).label("near"))
         .outerjoin(bonus, bonus.c.receipt_id == receipts.c.id)
         .where(receipts.c.tenant_id == tenant_id, counted,
                receipts.c.member_id.is_not(None), receipts.c.staff_id.is_not(None),
                receipts.c.occurred_at > start, receipts.c.occurred_at <= end)
         .subquery()).c
    # Store first: the totals per store and per (store, member) read the rows in this order.
    keys = (r.store_id, r.member_id, r.staff_id)
    g = (select(*keys, func.count().label("receipts"), func.count(r.bonus_id).label("bonus"),
                func.count(case((r.identified_by == "typed", 1))).label("typed"),
                func.count(r.identified_by).label("told"), func.max(r.near).label("most"),
                func.min(r.id).label("first_id"))
         .group_by(*keys).subquery()).c

    def total(column: Any, *by: Any) -> Any:
        return cast(func.sum(column).over(partition_by=by), BigInteger)

    found = conn.execute(select(
        g.staff_id, g.member_id, g.store_id, g.receipts, g.bonus, g.typed, g.told, g.most,
        g.first_id, total(g.receipts, g.staff_id, g.member_id),
        total(g.receipts, g.store_id, g.staff_id), total(g.receipts, g.store_id, g.member_id),
        total(g.receipts, g.store_id), total(g.bonus, g.store_id), total(g.typed, g.store_id),
        total(g.told, g.store_id))).all()
    return [GroupInStore._make(row) for row in found]


def adjustments(conn: Connection, tenant_id: int, *, start: datetime,
                end: datetime) -> list[Adjustment]:
    """Hand adjustments made by a staff member in ``(start, end]``."""
    query = (select(entries.c.staff_id, entries.c.member_id, entries.c.points)
             .where(entries.c.tenant_id == tenant_id, entries.c.code == "adjust",
                    entries.c.staff_id.is_not(None), entries.c.member_id.is_not(None),
                    entries.c.occurred_at > start, entries.c.occurred_at <= end))
    return [Adjustment(staff_id=r.staff_id, member_id=r.member_id, points=int(r.points))
            for r in conn.execute(query)]


def staff_contacts(conn: Connection, tenant_id: int) -> frozenset[tuple[int, int]]:
    """(staff id, member id) of every active member whose phone or e-mail is a staff
    member's (e-mails compared without case; phone numbers by their blind indexes, which are
    equal for equal numbers: nothing is opened)."""
    same_email = and_(staff.c.email.is_not(None),
                      func.lower(members.c.email) == func.lower(staff.c.email))
    same_phone = and_(staff.c.phone_index.is_not(None),
                      members.c.phone_index == staff.c.phone_index)
    query = (select(staff.c.id, members.c.id)
             .join(members, and_(members.c.tenant_id == staff.c.tenant_id,
                                 or_(same_email, same_phone)))
             .where(staff.c.tenant_id == tenant_id, members.c.status == "active"))
    return frozenset((int(s), int(m)) for s, m in conn.execute(query))


# Settings ----------------------------------------------------------------------------------------

SETTING_NAMES = tuple(Thresholds.__dataclass_fields__)


def get_thresholds(conn: Connection, tenant_id: int) -> tuple[Thresholds, datetime | None]:
    """The business's thresholds (the defaults when it never changed them) and when they
    were last changed."""
    row = conn.execute(select(fraud_settings)
                       .where(fraud_settings.c.tenant_id == tenant_id)).one_or_none()
    if row is None:
        return Thresholds(), None
    return Thresholds(**{n: int(row._mapping[n]) for n in SETTING_NAMES}), row.updated_at


def put_thresholds(conn: Connection, tenant_id: int, thresholds: Thresholds, *,
                   now: datetime) -> None:
    values = {"tenant_id": tenant_id, **asdict(thresholds), "updated_at": now}
    changes = {**asdict(thresholds), "updated_at": now}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(fraud_settings).values(values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[fraud_settings.c.tenant_id],
                                            set_=changes))


# Flags -------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class FlagRow:
    id: int
    staff_id: int
    staff_name: str
    member_id: int
    member_phone: str | None
    member_name: str
    score: int
    receipts: int
    signals: list[dict[str, Any]]
    period_start: datetime
    period_end: datetime
    status: str
    decided_by_staff_id: int | None
    decided_at: datetime | None
    note: str | None
    scanned_at: datetime


def _signals_json(pair: PairScore) -> list[dict[str, Any]]:
    return [{"code": s.code, "points": s.points, "params": dict(s.params)}
            for s in pair.signals]


_FLAG_COLUMNS = (("staff_id", "bigint"), ("member_id", "bigint"), ("score", "integer"),
                 ("receipts", "integer"), ("signals", "json"))
_FLAG_SCAN = ("score", "receipts", "signals", "period_start", "period_end", "scanned_at")


def save_flags(conn: Connection, tenant_id: int, pairs: list[PairScore], *, start: datetime,
               end: datetime, now: datetime) -> tuple[int, int]:
    """Record ``pairs`` as flags: a new pair is inserted open; an open flag takes the new
    score and evidence; a decided flag is left as the manager decided it. Concurrent scans
    meet on the (tenant, staff, member) key and the later one's evidence stays. Returns
    (flags opened, open flags updated).

    The pairs go in one ``INSERT … SELECT`` over a JSON array a :data:`bulk.CHUNK` pairs."""
    known = {(r.staff_id, r.member_id) for r in conn.execute(
        select(fraud_flags.c.staff_id, fraud_flags.c.member_id)
        .where(fraud_flags.c.tenant_id == tenant_id))}
    dialect = conn.dialect.name
    signals = "json(r.signals)" if dialect == "sqlite" else "r.signals"
    changes = ", ".join(f"{c} = excluded.{c}" for c in _FLAG_SCAN)
    statement = text(
        f"WITH r AS ({bulk.rows_of(dialect, 'rows', _FLAG_COLUMNS)}) "
        "INSERT INTO fraud_flags (tenant_id, staff_id, member_id, score, receipts, signals, "
        "period_start, period_end, status, created_at, scanned_at) "
        f"SELECT :tenant_id, r.staff_id, r.member_id, r.score, r.receipts, {signals}, "
        ":start, :end, 'open', :now, :now FROM r WHERE true "
        "ON CONFLICT (tenant_id, staff_id, member_id) "
        f"DO UPDATE SET {changes} WHERE fraud_flags.status = 'open' "
        "RETURNING staff_id, member_id"
    ).bindparams(bindparam("start", type_=UtcDateTime()), bindparam("end", type_=UtcDateTime()),
                 bindparam("now", type_=UtcDateTime()))
    saved: list[tuple[int, int]] = []
    for first in range(0, len(pairs), bulk.CHUNK):
        rows = [{"staff_id": p.staff_id, "member_id": p.member_id, "score": p.score,
                 "receipts": p.receipts, "signals": _signals_json(p)}
                for p in pairs[first:first + bulk.CHUNK]]
        saved += conn.execute(statement, {"rows": bulk.payload(conn, rows),
                                          "tenant_id": tenant_id, "start": start,
                                          "end": end, "now": now}).all()
    updated = sum((int(s), int(m)) in known for s, m in saved)
    return len(saved) - updated, updated


def _flag_select() -> Any:
    return (select(fraud_flags, staff.c.name.label("staff_name"),
                   members.c.phone_sealed,
                   func.coalesce(members.c.first_name, "").label("first_name"),
                   func.coalesce(members.c.last_name, "").label("last_name"))
            .join(staff, and_(staff.c.id == fraud_flags.c.staff_id,
                              staff.c.tenant_id == fraud_flags.c.tenant_id))
            .join(members, and_(members.c.id == fraud_flags.c.member_id,
                                members.c.tenant_id == fraud_flags.c.tenant_id)))


def _flag_row(row: Any) -> FlagRow:
    m = row._mapping
    return FlagRow(
        id=m["id"], staff_id=m["staff_id"], staff_name=m["staff_name"],
        member_id=m["member_id"], member_phone=personal.unseal_optional(m["phone_sealed"]),
        member_name=f"{m['first_name']} {m['last_name']}".strip(), score=m["score"],
        receipts=m["receipts"], signals=list(m["signals"]), period_start=m["period_start"],
        period_end=m["period_end"], status=m["status"],
        decided_by_staff_id=m["decided_by_staff_id"], decided_at=m["decided_at"],
        note=m["note"], scanned_at=m["scanned_at"])


def list_flags(conn: Connection, tenant_id: int, *, status: str | None, limit: int,
               offset: int) -> tuple[list[FlagRow], int]:
    """A page of the flags (of one status, or all), highest score first, and how many
    there are."""
    where = [fraud_flags.c.tenant_id == tenant_id]
    if status is not None:
        where.append(fraud_flags.c.status == status)
    total = int(conn.execute(select(func.count()).select_from(fraud_flags)
                             .where(*where)).scalar_one())
    rows = conn.execute(_flag_select().where(*where)
                        .order_by(fraud_flags.c.score.desc(), fraud_flags.c.id)
                        .limit(limit).offset(offset))
    return [_flag_row(r) for r in rows], total


def get_flag(conn: Connection, tenant_id: int, flag_id: int) -> FlagRow | None:
    row = conn.execute(_flag_select().where(fraud_flags.c.tenant_id == tenant_id,
                                            fraud_flags.c.id == flag_id)).one_or_none()
    return _flag_row(row) if row else None


def decide_flag(conn: Connection, tenant_id: int, flag_id: int, *, status: str,
                staff_id: int | None, note: str | None, now: datetime) -> bool:
    """Set a flag's decision; False when the tenant has no such flag."""
    done = conn.execute(update(fraud_flags)
                        .where(fraud_flags.c.tenant_id == tenant_id,
                               fraud_flags.c.id == flag_id)
                        .values(status=status, decided_by_staff_id=staff_id, decided_at=now,
                                note=note))
    return done.rowcount == 1
