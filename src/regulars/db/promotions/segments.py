"""Saved segments, and their members computed in SQL. Every query is scoped by
``tenant_id``; another tenant's segment is not found.

Each rule becomes one predicate over ``members``; the purchase rules are correlated
subqueries on ``receipts`` that the ``(tenant_id, member_id, occurred_at)`` index answers, so
the whole segment is one statement and one member's membership is the same statement
narrowed to that member. The ``level`` rule is one correlated subquery too: the member's
qualifying spend over the program's window mapped to a level's rank (the higher of this and
last calendar year's for a calendar-year window; at least the stored floor for a program that
never downgrades), the same rule as :func:`regulars.domain.program.program.level_status`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import BindParameter

from regulars.db.checkout.purchases import purchased
from regulars.db.checkout.tables import receipts
from regulars.db.members.tables import members
from regulars.db.promotions.tables import segments
from regulars.domain.program.program import DowngradePolicy, LevelWindow, Program
from regulars.domain.promotions.segments import (
    Compare,
    ConsentIn,
    Frequency,
    HasBirthday,
    LevelIn,
    Match,
    ProfileField,
    Recency,
    RfmIn,
    Rule,
    Spend,
    StoreShare,
    Tags,
)


@dataclass(frozen=True, kw_only=True)
class LevelBasis:
    """What the ``level`` rule needs: the current program and where its spend windows start
    (local midnights, see :func:`regulars.services.program.levels.spend_windows`)."""

    program: Program
    rolling_from: datetime
    year_from: datetime
    last_year_from: datetime


RfmLookup = Callable[[frozenset[str], "int | None"], list[int]]
"""What the ``rfm`` rule needs: the ids of the members in any of the groups, in id order
(only ``member_id``, if in them, when one is given). RFM scores rank each member among all
who bought, so they are computed outside SQL (see ``services.analytics.rfm_groups``)."""


def _rfm_name(groups: frozenset[str]) -> str:
    return "seg_rfm__" + "__".join(sorted(groups))


@dataclass(frozen=True, kw_only=True)
class SegmentRow:
    id: int
    name: str
    rules: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


def _row(row: Any) -> SegmentRow:
    return SegmentRow(id=row.id, name=row.name, rules=row.rules, created_at=row.created_at,
                      updated_at=row.updated_at)


def insert_segment(conn: Connection, *, tenant_id: int, name: str,
                   rules: list[dict[str, Any]], now: datetime) -> int:
    return int(conn.execute(insert(segments).values(
        tenant_id=tenant_id, name=name, rules=rules, created_at=now,
        updated_at=now).returning(segments.c.id)).scalar_one())


def update_segment(conn: Connection, *, tenant_id: int, segment_id: int, name: str,
                   rules: list[dict[str, Any]], now: datetime) -> None:
    conn.execute(update(segments).where(
        segments.c.tenant_id == tenant_id, segments.c.id == segment_id).values(
        name=name, rules=rules, updated_at=now))


def get_segment(conn: Connection, tenant_id: int, segment_id: int) -> SegmentRow | None:
    row = conn.execute(select(segments).where(
        segments.c.tenant_id == tenant_id, segments.c.id == segment_id)).one_or_none()
    return None if row is None else _row(row)


def list_segments(conn: Connection, tenant_id: int) -> list[SegmentRow]:
    return [_row(r) for r in conn.execute(select(segments).where(
        segments.c.tenant_id == tenant_id).order_by(segments.c.id))]


# Rules as SQL ----------------------------------------------------------------------------------

def _moment(name: str, value: datetime) -> Any:
    """A time the rules are evaluated at, as a named parameter (``seg_...``): a statement
    built once can then run again for another moment and member, with :func:`rebind`."""
    return bindparam(name, value, type_=receipts.c.occurred_at.type)


LEVEL_WINDOWS = frozenset({"seg_rolling_from", "seg_year_from", "seg_last_year_from"})


def rebind(names: Iterable[str], *, at: datetime, member_id: int | None,
           basis: LevelBasis | None, rfm: RfmLookup | None = None) -> dict[str, Any]:
    """Values of the named parameters of a membership statement for ``at`` and
    ``member_id`` (``basis``: the level windows at ``at``, when a ``level`` rule is in it;
    ``rfm``: the RFM groups at ``at``, when an ``rfm`` rule is)."""
    values: dict[str, Any] = {}
    for name in names:
        if name.startswith("seg_rfm__"):
            assert rfm is not None, "an rfm rule needs its groups"
            values[name] = rfm(frozenset(name.removeprefix("seg_rfm__").split("__")),
                               member_id)
        elif name == "seg_at":
            values[name] = at
        elif name == "seg_member":
            values[name] = member_id
        elif name.startswith("seg_since_"):
            values[name] = at - timedelta(days=int(name.removeprefix("seg_since_")))
        elif name in LEVEL_WINDOWS:
            assert basis is not None, "a level rule needs its basis"
            values[name] = getattr(basis, name.removeprefix("seg_"))
    return values


def _receipts_of(tenant_id: int, at: datetime, days: int | None = None) -> list[Any]:
    """The member's purchases up to ``at`` (in the last ``days`` days): net receipts only,
    as the figures count them (:func:`~regulars.db.checkout.purchases.purchased`): a voided or
    fully refunded receipt is no visit, a partly refunded one is, with its net spend."""
    where = [receipts.c.tenant_id == tenant_id, receipts.c.member_id == members.c.id,
             purchased(), receipts.c.occurred_at <= _moment("seg_at", at)]
    if days is not None:
        where.append(receipts.c.occurred_at
                     > _moment(f"seg_since_{days}", at - timedelta(days=days)))
    return where


def _compare(value: Any, compare: Compare, bound: int) -> ColumnElement[bool]:
    found: ColumnElement[bool] = value <= bound if compare is Compare.LE else value >= bound
    return found


def _tags(conn: Connection, rule: Tags) -> ColumnElement[bool]:
    wanted = sorted(rule.tags)
    if conn.dialect.name == "postgresql":
        tags = cast(members.c.profile, postgresql.JSONB)["tags"]
        operator = "?|" if rule.match is Match.ANY else "?&"
        held: ColumnElement[bool] = tags.op(operator)(postgresql.array(wanted))
        return held
    each = func.json_each(members.c.profile, "$.tags").table_valued("value")
    found = select(func.count(func.distinct(each.c.value))).where(
        each.c.value.in_(wanted)).scalar_subquery()
    need = 1 if rule.match is Match.ANY else len(wanted)
    return found >= need


def _greatest(a: Any, b: Any) -> Any:
    return case((a >= b, a), else_=b)


def _reached(basis: LevelBasis) -> Any:
    """The rank (index in the program's levels) a member holds: an aggregate over their
    ``receipts`` of the enclosing query (those :func:`_receipts_of` picks) and their own
    ``members`` row."""
    program = basis.program
    net = receipts.c.paid_minor - receipts.c.refunded_paid_minor

    def spend(since: Any = None, until: Any = None) -> Any:
        inside = []
        if since is not None:
            inside.append(receipts.c.occurred_at >= since)
        if until is not None:
            inside.append(receipts.c.occurred_at < until)
        amount = case((and_(*inside), net), else_=0) if inside else net
        return func.coalesce(func.sum(amount), 0)

    def rank(amount: Any) -> Any:
        return case(*((amount >= lv.threshold_minor, i)
                      for i, lv in reversed(list(enumerate(program.levels)))), else_=0)

    if program.level_window is LevelWindow.LIFETIME:
        reached = rank(spend())
    elif program.level_window is LevelWindow.ROLLING_12_MONTHS:
        reached = rank(spend(_moment("seg_rolling_from", basis.rolling_from)))
    else:
        year_from = _moment("seg_year_from", basis.year_from)
        reached = _greatest(rank(spend(year_from)),
                            rank(spend(_moment("seg_last_year_from", basis.last_year_from),
                                       year_from)))
    if program.downgrade_policy is DowngradePolicy.NEVER:
        floor = case(*((members.c.level_floor_code == lv.code, i)
                       for i, lv in enumerate(program.levels)), else_=0)
        reached = _greatest(reached, floor)
    return reached


def _level(tenant_id: int, rule: LevelIn, at: datetime,
           basis: LevelBasis | None) -> ColumnElement[bool]:
    if basis is None:
        raise AssertionError("the level rule needs the program's level basis")
    wanted = rule.ranks(tuple((lv.code, lv.name) for lv in basis.program.levels))
    if not wanted:
        return members.c.id.is_(None)  # names no current level: nobody (id is never null)
    held = select(_reached(basis)).where(*_receipts_of(tenant_id, at)).scalar_subquery()
    found: ColumnElement[bool] = held.in_(sorted(wanted))
    return found


def level_ranks(tenant_id: int, at: datetime, basis: LevelBasis) -> Select[Any]:
    """Every member's level at ``at`` (merged duplicates left out): ``member_id``, ``rank``
    (the level's index in the program's levels, as the ``level`` rule takes it) and
    ``joined`` (1 if they joined by ``at``, else 0), in one grouped pass over the members'
    receipts, where the rule looks each member's up on its own."""
    return (select(members.c.id.label("member_id"), _reached(basis).label("rank"),
                   case((members.c.created_at <= at, 1), else_=0).label("joined"))
            .select_from(members.outerjoin(receipts, and_(*_receipts_of(tenant_id, at))))
            .where(members.c.tenant_id == tenant_id, members.c.status == "active")
            .group_by(members.c.id, members.c.level_floor_code, members.c.created_at))


@dataclass(frozen=True, kw_only=True)
class Extras:
    """What some rules need beyond the moment: the level basis, the RFM groups, and the one
    member a statement asks about (None: all members)."""

    basis: LevelBasis | None = None
    rfm: RfmLookup | None = None
    member_id: int | None = None


def _rfm(rule: RfmIn, extras: Extras) -> ColumnElement[bool]:
    if extras.rfm is None:
        raise AssertionError("the rfm rule needs the RFM groups")
    # Rendered as literals when run: a large group is past SQLite's bound-variable limit.
    ids: BindParameter[Any] = bindparam(
        _rfm_name(rule.groups), extras.rfm(rule.groups, extras.member_id), expanding=True,
        literal_execute=True)
    return members.c.id.in_(ids)


def _predicate(conn: Connection, tenant_id: int, rule: Rule, at: datetime,
               extras: Extras) -> ColumnElement[bool]:
    basis = extras.basis
    if isinstance(rule, Recency):
        bought = exists().where(*_receipts_of(tenant_id, at, rule.days))
        return bought if rule.compare is Compare.LE else ~bought
    if isinstance(rule, Frequency):
        count = select(func.count()).where(
            *_receipts_of(tenant_id, at, rule.days)).scalar_subquery()
        return _compare(count, rule.compare, rule.count)
    if isinstance(rule, Spend):
        net = receipts.c.paid_minor - receipts.c.refunded_paid_minor
        total = select(func.coalesce(func.sum(net), 0)).where(
            *_receipts_of(tenant_id, at, rule.days)).scalar_subquery()
        return _compare(total, rule.compare, rule.amount_minor)
    if isinstance(rule, StoreShare):
        here = func.coalesce(func.sum(case((receipts.c.store_id == rule.store_id, 1),
                                           else_=0)), 0)
        share = select(case((and_(func.count() > 0,
                                  here * 100 >= func.count() * rule.min_percent), 1),
                            else_=0)).where(*_receipts_of(tenant_id, at, rule.days))
        return share.scalar_subquery() == 1
    if isinstance(rule, Tags):
        return _tags(conn, rule)
    if isinstance(rule, ProfileField):
        equal: ColumnElement[bool] = members.c.profile[rule.field].as_string() == rule.value
        return equal
    if isinstance(rule, HasBirthday):
        return members.c.birthday.is_not(None)
    if isinstance(rule, ConsentIn):
        return members.c.consent.in_(sorted(rule.values))
    if isinstance(rule, LevelIn):
        return _level(tenant_id, rule, at, basis)
    if isinstance(rule, RfmIn):
        return _rfm(rule, extras)
    raise AssertionError(f"no SQL for {type(rule).__name__}")


def _where(conn: Connection, tenant_id: int, rules: Sequence[Rule], at: datetime,
           basis: LevelBasis | None, rfm: RfmLookup | None,
           member_id: int | None = None) -> list[ColumnElement[bool]]:
    extras = Extras(basis=basis, rfm=rfm, member_id=member_id)
    return [members.c.tenant_id == tenant_id, members.c.status == "active",
            *(_predicate(conn, tenant_id, r, at, extras) for r in rules)]


def member_query(conn: Connection, tenant_id: int, rules: Sequence[Rule], at: datetime, *,
                 basis: LevelBasis | None = None,
                 rfm: RfmLookup | None = None) -> Select[tuple[int]]:
    """The ids of the members the rules hold at ``at``, as a select to filter other
    queries by (a report's figures of one segment or level)."""
    return select(members.c.id).where(*_where(conn, tenant_id, rules, at, basis, rfm))


def count_members(conn: Connection, tenant_id: int, rules: Sequence[Rule],
                  at: datetime, *, basis: LevelBasis | None = None,
                  rfm: RfmLookup | None = None) -> int:
    """How many members the rules hold at ``at`` (``basis``: for a ``level`` rule;
    ``rfm``: for an ``rfm`` rule)."""
    return int(conn.execute(select(func.count()).select_from(members).where(
        *_where(conn, tenant_id, rules, at, basis, rfm))).scalar_one())


def member_ids(conn: Connection, tenant_id: int, rules: Sequence[Rule], at: datetime, *,
               limit: int, offset: int, basis: LevelBasis | None = None,
               rfm: RfmLookup | None = None) -> list[int]:
    """The segment's members at ``at``, by id."""
    return [int(r) for r in conn.execute(select(members.c.id).where(
        *_where(conn, tenant_id, rules, at, basis, rfm)).order_by(members.c.id).limit(limit)
        .offset(offset)).scalars()]


def member_in(conn: Connection, tenant_id: int, rules: Sequence[Rule], member_id: int,
              at: datetime, *, basis: LevelBasis | None = None,
              rfm: RfmLookup | None = None) -> ColumnElement[bool]:
    """Whether ``member_id`` is in the segment, as an expression to select with others
    (run it again for another member through :func:`rebind`)."""
    found: ColumnElement[bool] = exists().where(
        members.c.id == bindparam("seg_member", member_id),
        *_where(conn, tenant_id, rules, at, basis, rfm, member_id))
    return found


def holds_member(conn: Connection, tenant_id: int, rules: Sequence[Rule], member_id: int,
                 at: datetime, *, basis: LevelBasis | None = None,
                 rfm: RfmLookup | None = None) -> bool:
    """Whether the one member ``member_id`` is in the segment at ``at`` (one statement)."""
    return conn.execute(select(members.c.id).where(
        members.c.id == member_id,
        *_where(conn, tenant_id, rules, at, basis, rfm, member_id))).first() is not None


