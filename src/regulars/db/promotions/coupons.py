"""Coupon series, their codes (as keyed digests only), holds, uses and wrong-code attempts.
Every query is scoped by ``tenant_id``; another tenant's row is not found. Nothing here
commits.

A code's uses are its ``coupon_uses`` rows not given back, counted when asked for. What it has
left is split over slot rows (``coupon_code_slots``, charged as budgets are, see
:mod:`regulars.db.promotions.budget_slots`), so that the tills taking one shared code do not
all wait on one row; they are made at the code's first use or hold, from its uses and holds.
A hold takes its use off the slots when placed and keeps it: its till's commit consumes the
hold instead of charging a slot; an expired hold's use goes back to the slots when another
till finds none left. So a use is granted only while ``uses + holds < max_uses`` and
the uses never exceed ``max_uses`` under any interleaving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from regulars.db.checkout.receipts import Children
from regulars.db.engine import cache_for
from regulars.db.promotions import budget_slots as slots
from regulars.db.promotions.tables import (
    coupon_attempts,
    coupon_code_slots,
    coupon_codes,
    coupon_holds,
    coupon_secrets,
    coupon_series,
    coupon_uses,
    issued_coupons,
)


@dataclass(frozen=True, kw_only=True)
class SeriesRow:
    id: int
    name: str
    effect: dict[str, Any]
    max_uses: int
    starts_on: date | None
    ends_on: date | None
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class CodeRow:
    id: int
    series_id: int
    member_id: int | None
    uses: int
    max_uses: int


def secret(conn: Connection, tenant_id: int) -> str | None:
    """The tenant's key for code digests, None before its first code; read once per engine
    (a tenant's key is made once and never changes)."""
    cache = cache_for(conn)
    key = ("coupon_secret", tenant_id)
    cached = cache.get(key)
    if isinstance(cached, str):
        return cached
    found = conn.execute(select(coupon_secrets.c.secret).where(
        coupon_secrets.c.tenant_id == tenant_id)).scalar_one_or_none()
    if found is None:
        return None
    cache[key] = str(found)
    return str(found)


def insert_secret(conn: Connection, tenant_id: int, value: str, now: datetime) -> None:
    """Raises :class:`~regulars.db.engine.UniqueViolation` if the tenant has one already."""
    conn.execute(insert(coupon_secrets).values(tenant_id=tenant_id, secret=value,
                                               created_at=now))


def _series(row: Any) -> SeriesRow:
    return SeriesRow(id=row.id, name=row.name, effect=row.effect, max_uses=row.max_uses,
                     starts_on=row.starts_on, ends_on=row.ends_on, created_at=row.created_at)


def insert_series(conn: Connection, *, tenant_id: int, name: str, effect: dict[str, Any],
                  max_uses: int, starts_on: date | None, ends_on: date | None,
                  now: datetime) -> int:
    return int(conn.execute(insert(coupon_series).values(
        tenant_id=tenant_id, name=name, effect=effect, max_uses=max_uses,
        starts_on=starts_on, ends_on=ends_on, created_at=now
    ).returning(coupon_series.c.id)).scalar_one())


def get_series(conn: Connection, tenant_id: int, series_id: int) -> SeriesRow | None:
    row = conn.execute(select(coupon_series).where(
        coupon_series.c.tenant_id == tenant_id, coupon_series.c.id == series_id)).one_or_none()
    return None if row is None else _series(row)


def list_series(conn: Connection, tenant_id: int) -> list[SeriesRow]:
    return [_series(r) for r in conn.execute(select(coupon_series).where(
        coupon_series.c.tenant_id == tenant_id).order_by(coupon_series.c.id))]


def _uses(tenant_id: Any, code_id: Any, *, besides: int | None = None) -> Any:
    """A code's uses: its receipts' uses not given back (but that of receipt ``besides``)."""
    u = coupon_uses.c
    query = select(func.count()).select_from(coupon_uses).where(
        u.tenant_id == tenant_id, u.code_id == code_id, u.returned_at.is_(None))
    if besides is not None:
        query = query.where(u.receipt_id != besides)
    return query.scalar_subquery()


def _uses_now(tenant_id: Any) -> Any:
    """A code's uses as a checkout needs them: once it has slots, ``max_uses`` less what they
    hold and its holds (a few rows, however many receipts used it), else :func:`_uses`."""
    code = coupon_codes.c
    left = select(func.sum(coupon_code_slots.c.left_uses)).where(
        coupon_code_slots.c.tenant_id == tenant_id,
        coupon_code_slots.c.code_id == code.id).scalar_subquery()
    holds = select(func.count()).select_from(coupon_holds).where(
        coupon_holds.c.tenant_id == tenant_id, coupon_holds.c.code_id == code.id
    ).scalar_subquery()
    return func.coalesce(code.max_uses - left - holds, _uses(tenant_id, code.id))


def code_counts(conn: Connection, tenant_id: int, series_id: int) -> tuple[int, int]:
    """(codes issued, uses taken) of a series."""
    issued = select(func.count()).where(coupon_codes.c.tenant_id == tenant_id,
                                        coupon_codes.c.series_id == series_id)
    used = select(func.count()).select_from(coupon_uses).where(
        coupon_uses.c.tenant_id == tenant_id, coupon_uses.c.series_id == series_id,
        coupon_uses.c.returned_at.is_(None))
    row = conn.execute(select(issued.scalar_subquery(), used.scalar_subquery())).one()
    return int(row[0]), int(row[1])


def insert_codes(conn: Connection, *, tenant_id: int, series_id: int, digests: list[str],
                 member_id: int | None, max_uses: int, now: datetime) -> None:
    """Raises :class:`~regulars.db.engine.UniqueViolation` if a digest exists already."""
    conn.execute(insert(coupon_codes), [
        {"tenant_id": tenant_id, "series_id": series_id, "code_hash": d,
         "member_id": member_id, "uses": 0, "max_uses": max_uses, "created_at": now}
        for d in digests])


@dataclass(frozen=True, kw_only=True)
class SaleCode:
    """A code as checkout needs it: the code, its series, and the live holds on it of tills
    other than the one asking."""

    code: CodeRow
    series: SeriesRow
    held_by_others: int


def _sale_codes_statement() -> Any:
    tenant_id: Any = bindparam("tenant_id")
    a, code, series, h = coupon_attempts.c, coupon_codes.c, coupon_series.c, coupon_holds.c
    wrong = select(func.count()).select_from(coupon_attempts).where(
        a.tenant_id == tenant_id, a.terminal_id == bindparam("terminal_id"),
        a.at > bindparam("since", type_=a.at.type)).scalar_subquery()
    others = select(func.count()).select_from(coupon_holds).where(
        h.tenant_id == tenant_id, h.code_id == code.id,
        h.terminal_id != bindparam("terminal_id"),
        h.expires_at > bindparam("now", type_=h.expires_at.type)).scalar_subquery()
    one = select(literal(1).label("one")).subquery()
    with_series = coupon_codes.join(coupon_series, and_(series.tenant_id == code.tenant_id,
                                                        series.id == code.series_id))
    return (select(wrong.label("wrong"), code.code_hash, code.id, code.series_id,
                   code.member_id, _uses_now(tenant_id).label("uses"), code.max_uses,
                   series.name, series.effect, series.max_uses.label("s_max"),
                   series.starts_on, series.ends_on, series.created_at,
                   others.label("held_by_others"))
            .select_from(one.outerjoin(with_series, and_(
                code.tenant_id == tenant_id,
                code.code_hash.in_(bindparam("digests", expanding=True))))))


# Built once: it runs in every quote and commit that presents a code.
_SALE_CODES = _sale_codes_statement()


def codes_for_sale(conn: Connection, tenant_id: int, digests: list[str], *, terminal_id: int,
                   since: datetime, now: datetime) -> tuple[int, dict[str, SaleCode]]:
    """How many wrong codes the till sent after ``since``, and the tenant's codes among
    ``digests`` (by digest) with their uses, series and the live holds of tills other than
    ``terminal_id`` at ``now``: in one statement."""
    rows = conn.execute(_SALE_CODES, {"tenant_id": tenant_id, "digests": digests or [""],
                                      "terminal_id": terminal_id, "since": since,
                                      "now": now}).all()
    return int(rows[0].wrong), {row.code_hash: SaleCode(
        code=CodeRow(id=row.id, series_id=row.series_id, member_id=row.member_id,
                     uses=row.uses, max_uses=row.max_uses),
        series=SeriesRow(id=row.series_id, name=row.name, effect=row.effect,
                         max_uses=row.s_max, starts_on=row.starts_on, ends_on=row.ends_on,
                         created_at=row.created_at),
        held_by_others=int(row.held_by_others)) for row in rows if row.code_hash is not None}


def lock_code(conn: Connection, tenant_id: int, code_id: int) -> None:
    """Hold the code's row until the transaction ends, so that one till's holds on it are
    placed one at a time (PostgreSQL; SQLite's writers queue). ``FOR NO KEY UPDATE``: the
    receipts' use rows referring to the code (a key-share lock) do not wait for it."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(coupon_codes.c.id).where(
            coupon_codes.c.tenant_id == tenant_id, coupon_codes.c.id == code_id)
            .with_for_update(key_share=True))


def _slots(tenant_id: int, code_id: int) -> slots.Owner:
    return slots.Owner(coupon_code_slots, {"tenant_id": tenant_id, "code_id": code_id})


def _left(conn: Connection, tenant_id: int, code_id: int,
          receipt_id: int | None) -> dict[str, int | None]:
    """What a code without slots has left: its uses and holds off its ``max_uses``; the use
    of ``receipt_id`` (the one being counted, recorded already) is not one of them."""
    h = coupon_holds.c
    holds = select(func.count()).select_from(coupon_holds).where(
        h.tenant_id == tenant_id, h.code_id == code_id).scalar_subquery()
    row = conn.execute(select(coupon_codes.c.max_uses,
                              _uses(tenant_id, code_id, besides=receipt_id), holds).where(
        coupon_codes.c.tenant_id == tenant_id, coupon_codes.c.id == code_id)).one()
    return {"left_uses": max(0, row[0] - row[1] - row[2])}


def _take(conn: Connection, tenant_id: int, code_id: int, *, uses: int, spread: int,
          now: datetime, receipt_id: int | None = None) -> bool:
    """Take ``uses`` off the code's slots (made first if it has none); when they do not hold
    them, the uses of expired holds go back to the slots and the charge is tried again."""
    owner = _slots(tenant_id, code_id)

    def charge() -> bool:
        return slots.take(conn, owner, {"left_uses": uses}, spread=spread,
                          start=lambda: _left(conn, tenant_id, code_id, receipt_id),
                          count=None)

    return charge() or (_reclaim_expired(conn, tenant_id, code_id, spread=spread, now=now)
                        and charge())


def _reclaim_expired(conn: Connection, tenant_id: int, code_id: int, *, spread: int,
                     now: datetime) -> bool:
    """Delete the code's expired holds and give their uses back to a slot; of two callers
    each hold is deleted, and given back, by one."""
    h = coupon_holds.c
    gone = len(conn.execute(delete(coupon_holds).where(
        h.tenant_id == tenant_id, h.code_id == code_id, h.expires_at <= now)
        .returning(h.id)).all())
    if gone:
        slots.give(conn, _slots(tenant_id, code_id), {"left_uses": gone}, slot=spread)
    return gone > 0


def place_hold(conn: Connection, tenant_id: int, code_id: int, terminal_id: int, *,
               expires_at: datetime, now: datetime) -> int | None:
    """Reserve one use for ``terminal_id`` until ``expires_at``: the till's earlier hold on the
    code is extended (it has its use), or one use is taken off the slots. ``None`` (nothing
    changed) when no use is left. The caller has locked the code (:func:`lock_code`)."""
    h = coupon_holds.c
    renewed = conn.execute(update(coupon_holds).where(
        h.tenant_id == tenant_id, h.code_id == code_id, h.terminal_id == terminal_id)
        .values(expires_at=expires_at).returning(h.id)).scalars().first()
    if renewed is not None:
        return int(renewed)
    if not _take(conn, tenant_id, code_id, uses=1, spread=terminal_id, now=now):
        return None
    return int(conn.execute(insert(coupon_holds).values(
        tenant_id=tenant_id, code_id=code_id, terminal_id=terminal_id, expires_at=expires_at
    ).returning(h.id)).scalar_one())


def take_use(conn: Connection, tenant_id: int, code_id: int, terminal_id: int, *,
             receipt_id: int, now: datetime) -> bool:
    """Count the use of receipt ``receipt_id`` (its row recorded) for the till: its own hold
    on the code is consumed (the hold has the use, expired or not, unless another till took
    it back), else one use is taken off the slots. Returns ``False`` (nothing changed) when
    no use is left."""
    h = coupon_holds.c
    if conn.execute(delete(coupon_holds).where(
            h.tenant_id == tenant_id, h.code_id == code_id, h.terminal_id == terminal_id)
            .returning(h.id)).first() is not None:
        return True
    return _take(conn, tenant_id, code_id, uses=1, spread=terminal_id, now=now,
                 receipt_id=receipt_id)


def _hold_deleted() -> Any:
    h = coupon_holds.c
    return delete(coupon_holds).where(
        h.tenant_id == bindparam("h_tenant_id"), h.code_id == bindparam("h_code_id"),
        h.terminal_id == bindparam("h_terminal_id")).returning(h.id)


# Built once: it runs in every commit that presents a code.
_HOLD_DELETED = _hold_deleted()


def take_use_quick(conn: Connection, tenant_id: int, code_id: int, terminal_id: int) -> None:
    """:func:`take_use` in one statement (PostgreSQL) that never waits: the till's hold is
    consumed, or one use is taken off a slot no other transaction holds. Raises
    :class:`~regulars.db.promotions.budget_slots.Busy` when neither happened (no use left
    in a free slot, the code has no slots yet, or only expired holds would give one back): a
    slot may then stay locked, so the caller rolls its transaction back whole and counts
    the use with :func:`take_use`."""
    slots.take_unless(conn, _slots(tenant_id, code_id), {"left_uses": 1}, spread=terminal_id,
                      before=_HOLD_DELETED,
                      params={"h_tenant_id": tenant_id, "h_code_id": code_id,
                              "h_terminal_id": terminal_id})


def use_rows(rows: list[dict[str, Any]]) -> Children:
    """A receipt's uses of codes (``coupon_uses`` rows without the tenant and receipt), to be
    written with the receipt (:func:`regulars.db.checkout.receipts.insert_receipt_with_lines`)."""
    return Children(coupon_uses, rows)


def uses_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    query = select(coupon_uses.c.id, coupon_uses.c.code_id, coupon_uses.c.series_id,
                   coupon_uses.c.discount_minor, coupon_uses.c.points,
                   coupon_uses.c.returned_at).where(
        coupon_uses.c.tenant_id == tenant_id,
        coupon_uses.c.receipt_id == receipt_id).order_by(coupon_uses.c.id)
    return [dict(r._mapping) for r in conn.execute(query)]


def give_back_use(conn: Connection, tenant_id: int, use_id: int, code_id: int,
                  now: datetime) -> bool:
    """Mark a use returned and take it off its code, once; ``False`` if already returned."""
    changed = conn.execute(update(coupon_uses).where(
        coupon_uses.c.tenant_id == tenant_id, coupon_uses.c.id == use_id,
        coupon_uses.c.returned_at.is_(None)).values(returned_at=now)).rowcount
    if changed != 1:
        return False
    slots.give(conn, _slots(tenant_id, code_id), {"left_uses": 1}, slot=use_id)
    return True


def record_attempt(conn: Connection, tenant_id: int, terminal_id: int, at: datetime) -> None:
    conn.execute(insert(coupon_attempts).values(tenant_id=tenant_id, terminal_id=terminal_id,
                                                at=at))


def attempts_since(conn: Connection, tenant_id: int, terminal_id: int,
                   since: datetime) -> list[datetime]:
    """Times of the till's wrong codes after ``since``, oldest first."""
    return [r.at for r in conn.execute(select(coupon_attempts.c.at).where(
        coupon_attempts.c.tenant_id == tenant_id, coupon_attempts.c.terminal_id == terminal_id,
        coupon_attempts.c.at > since).order_by(coupon_attempts.c.at))]


def member_codes(conn: Connection, tenant_id: int, member_id: int) -> list[dict[str, Any]]:
    """The codes bound to a member (never their text: only digests are kept) with their
    series, newest first."""
    query = (select(coupon_codes.c.id, coupon_codes.c.series_id,
                    _uses(tenant_id, coupon_codes.c.id).label("uses"),
                    coupon_codes.c.max_uses, coupon_codes.c.created_at,
                    coupon_series.c.name, coupon_series.c.effect, coupon_series.c.starts_on,
                    coupon_series.c.ends_on)
             .join(coupon_series, (coupon_series.c.id == coupon_codes.c.series_id)
                   & (coupon_series.c.tenant_id == coupon_codes.c.tenant_id))
             .where(coupon_codes.c.tenant_id == tenant_id,
                    coupon_codes.c.member_id == member_id)
             .order_by(coupon_codes.c.id.desc()))
    return [dict(r._mapping) for r in conn.execute(query)]


# Codes issued by promotions -----------------------------------------------------------------

def insert_code(conn: Connection, *, tenant_id: int, series_id: int, digest: str,
                member_id: int, max_uses: int, now: datetime) -> int:
    """One code bound to ``member_id``; raises the unique violation for a digest in use."""
    return int(conn.execute(insert(coupon_codes).values(
        tenant_id=tenant_id, series_id=series_id, code_hash=digest, member_id=member_id,
        uses=0, max_uses=max_uses, created_at=now).returning(coupon_codes.c.id)).scalar_one())


def record_issued(conn: Connection, **values: Any) -> None:
    conn.execute(insert(issued_coupons).values(**values))


def issued_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(issued_coupons).where(
        issued_coupons.c.tenant_id == tenant_id, issued_coupons.c.receipt_id == receipt_id)
        .order_by(issued_coupons.c.id))]


def void_issued(conn: Connection, tenant_id: int, issued_id: int, code_id: int,
                now: datetime) -> bool:
    """Void an issued code that was never used nor is held: all its uses are taken off its
    slots at once (so a concurrent commit of the code and the void cannot both win) and no
    use is left on it from then on. ``False`` when it was used or held, or voided already.
    The code's row is locked before its slots, as a till placing a hold on it does, so the
    two never wait for each other in a circle."""
    lock_code(conn, tenant_id, code_id)
    most = conn.execute(select(coupon_codes.c.max_uses).where(
        coupon_codes.c.tenant_id == tenant_id, coupon_codes.c.id == code_id)).scalar_one()
    if not most or not _take(conn, tenant_id, code_id, uses=most, spread=0, now=now):
        return False
    conn.execute(update(coupon_codes).where(
        coupon_codes.c.tenant_id == tenant_id, coupon_codes.c.id == code_id)
        .values(max_uses=0))
    conn.execute(update(issued_coupons).where(
        issued_coupons.c.tenant_id == tenant_id, issued_coupons.c.id == issued_id,
        issued_coupons.c.voided_at.is_(None)).values(voided_at=now))
    return True

