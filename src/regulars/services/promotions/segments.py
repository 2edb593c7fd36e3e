"""Segments: save and change a tenant's rule sets, count and list their members at the
clock's now, and answer whether one member is in one at checkout.

Rules are validated strictly on save (kind from :data:`~regulars.domain.promotions.segments.RULES`,
every
field typed, stores of the tenant's own); membership is computed by SQL each time it is asked
for, never stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, time
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection, Select
from sqlalchemy.sql import ColumnElement

from regulars.db.engine import cache_for
from regulars.db.promotions import segments as store
from regulars.db.tenancy import tenancy
from regulars.domain.program.program import window_starts
from regulars.domain.promotions.segments import (
    RULES,
    LevelIn,
    RfmIn,
    Rule,
    Segment,
    kind_of,
)
from regulars.errors import InvalidInput, NotFound
from regulars.services.analytics import rfm_groups
from regulars.services.program import programs
from regulars.services.runtime import Runtime

MAX_PAGE = 1000


@cache
def _adapter(kind: str) -> TypeAdapter[Any]:
    """The validator of a rule kind, built on first use (building them all at import costs
    every process a quarter of a second at start)."""
    return TypeAdapter(RULES[kind])


@dataclass(frozen=True, kw_only=True)
class Draft:
    name: str
    rules: tuple[Rule, ...]


def rule_of(data: dict[str, Any]) -> Rule:
    """A rule from its stored or sent form ``{"kind": ..., **fields}``. Raises
    ``ValueError``."""
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in RULES:
        raise ValueError(f"kind: unknown rule kind {kind!r}")
    unknown = sorted(set(data) - {"kind"} - {f.name for f in fields(RULES[kind])})
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown field of a {kind} rule")
    try:
        rule: Rule = _adapter(kind).validate_python(
            {k: v for k, v in data.items() if k != "kind"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind
        raise ValueError(f"{where}: {first['msg']}") from exc
    return rule


def _dump(rule: Rule) -> dict[str, Any]:
    kind = kind_of(rule)
    data: dict[str, Any] = _adapter(kind).dump_python(rule, mode="json")
    for name in ("tags", "values", "levels", "groups"):
        if name in data:
            data[name] = sorted(data[name])
    return {"kind": kind, **data}


def _build(segment_id: int, draft: Draft) -> Segment:
    try:
        return Segment(id=segment_id, name=draft.name, rules=draft.rules)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=str(exc).split(" ", 1)[0].rstrip(":")) from exc


def _loaded(row: store.SegmentRow) -> Segment:
    return Segment(id=row.id, name=row.name, rules=tuple(rule_of(r) for r in row.rules))


def _validate(conn: Connection, tenant_id: int, draft: Draft) -> Segment:
    segment = _build(0, draft)
    for store_id in sorted(segment.store_ids):
        if tenancy.get_store(conn, tenant_id, store_id) is None:
            raise InvalidInput(f"rules: no store {store_id}", field="rules")
    if segment.needs_levels:
        _, program = programs.load_current(conn, tenant_id)
        known = {lv.code for lv in program.levels} | {lv.name for lv in program.levels}
        for rule in segment.rules:
            unknown = sorted(rule.levels - known) if isinstance(rule, LevelIn) else []
            if unknown:
                raise InvalidInput(f"rules: no level {unknown[0]!r} in the current program",
                                   field="rules")
    return segment


def _basis(conn: Connection, tenant_id: int, rules: Sequence[Rule],
           at: datetime) -> store.LevelBasis | None:
    """The program and windows a ``level`` rule is computed with (``None`` without one)."""
    if not any(isinstance(r, LevelIn) for r in rules):
        return None
    return level_basis(conn, tenant_id, at)


def _rfm(conn: Connection, tenant_id: int, rules: Sequence[Rule],
         at: datetime) -> store.RfmLookup | None:
    """The RFM groups at ``at`` an ``rfm`` rule reads (``None`` without one)."""
    if not any(isinstance(r, RfmIn) for r in rules):
        return None
    return rfm_groups.lookup(conn, tenant_id, at)


def rfm_lookup(conn: Connection, tenant_id: int, at: datetime) -> store.RfmLookup:
    """The RFM groups at ``at``, for a statement built with an ``rfm`` rule."""
    return rfm_groups.lookup(conn, tenant_id, at)


def level_basis(conn: Connection, tenant_id: int, at: datetime) -> store.LevelBasis:
    """The current program and the level windows at ``at`` in the tenant's time zone."""
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    _, program = programs.load_current(conn, tenant_id)
    zone = ZoneInfo(tenant.timezone)
    rolling, this_year, last_year = (datetime.combine(d, time(), zone)
                                     for d in window_starts(at.astimezone(zone).date()))
    return store.LevelBasis(program=program, rolling_from=rolling, year_from=this_year,
                            last_year_from=last_year)


def _require(conn: Connection, tenant_id: int, segment_id: int) -> store.SegmentRow:
    row = store.get_segment(conn, tenant_id, segment_id)
    if row is None:
        raise NotFound("segment not found")
    return row


@dataclass(frozen=True, kw_only=True, slots=True)
class SegmentView:
    """A saved segment, its rules in storage form (each with its ``kind``) and how many members
    it holds at the moment asked."""

    id: int
    name: str
    rules: tuple[Mapping[str, Any], ...]
    members_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class SegmentMembers:
    """A page of a segment's member ids, by id, and how many it holds in all."""

    total: int
    member_ids: tuple[int, ...]
    limit: int
    offset: int


def _view(conn: Connection, tenant_id: int, row: store.SegmentRow, at: datetime
          ) -> SegmentView:
    rules = _loaded(row).rules
    count = store.count_members(conn, tenant_id, rules, at,
                                basis=_basis(conn, tenant_id, rules, at),
                                rfm=_rfm(conn, tenant_id, rules, at))
    return SegmentView(id=row.id, name=row.name, rules=tuple(row.rules), members_count=count,
                       created_at=row.created_at, updated_at=row.updated_at)


def create(rt: Runtime, tenant_id: int, draft: Draft) -> SegmentView:
    """Save a new segment. Raises :class:`InvalidInput` naming the field."""
    now = rt.now()
    with rt.db.write() as conn:
        _validate(conn, tenant_id, draft)
        segment_id = store.insert_segment(conn, tenant_id=tenant_id, name=draft.name,
                                          rules=[_dump(r) for r in draft.rules], now=now)
        return _view(conn, tenant_id, _require(conn, tenant_id, segment_id), now)


def update(rt: Runtime, tenant_id: int, segment_id: int, draft: Draft) -> SegmentView:
    """Replace a segment's name and rules; promotions naming it follow at once. Raises
    :class:`NotFound` and :class:`InvalidInput`."""
    now = rt.now()
    with rt.db.write() as conn:
        _require(conn, tenant_id, segment_id)
        _validate(conn, tenant_id, draft)
        store.update_segment(conn, tenant_id=tenant_id, segment_id=segment_id,
                             name=draft.name, rules=[_dump(r) for r in draft.rules], now=now)
        return _view(conn, tenant_id, _require(conn, tenant_id, segment_id), now)


def get(rt: Runtime, tenant_id: int, segment_id: int) -> SegmentView:
    """The segment with its member count at the clock's now. Raises :class:`NotFound`."""
    now = rt.now()
    with rt.db.read() as conn:
        return _view(conn, tenant_id, _require(conn, tenant_id, segment_id), now)


def list_all(rt: Runtime, tenant_id: int) -> list[SegmentView]:
    now = rt.now()
    with rt.db.read() as conn:
        return [_view(conn, tenant_id, r, now) for r in store.list_segments(conn, tenant_id)]


def members(rt: Runtime, tenant_id: int, segment_id: int, *, limit: int,
            offset: int) -> SegmentMembers:
    """A page of the segment's member ids at the clock's now, by id. Raises
    :class:`NotFound` and :class:`InvalidInput` for a page out of range."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must lie between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset must not be negative", field="offset")
    now = rt.now()
    with rt.db.read() as conn:
        rules = _loaded(_require(conn, tenant_id, segment_id)).rules
        basis, rfm = _basis(conn, tenant_id, rules, now), _rfm(conn, tenant_id, rules, now)
        return SegmentMembers(
            total=store.count_members(conn, tenant_id, rules, now, basis=basis, rfm=rfm),
            member_ids=tuple(store.member_ids(conn, tenant_id, rules, now, limit=limit,
                                              offset=offset, basis=basis, rfm=rfm)),
            limit=limit, offset=offset)


# For promotions -------------------------------------------------------------------------------

def exists(conn: Connection, tenant_id: int, segment_id: int) -> bool:
    return store.get_segment(conn, tenant_id, segment_id) is not None


def _parsed(conn: Connection, stored: list[dict[str, Any]]) -> tuple[Rule, ...]:
    """Stored rules, parsed once per engine and content (a changed segment is new content)."""
    cache = cache_for(conn)
    key = ("segment rules", json.dumps(stored, sort_keys=True))
    found = cache.get(key)
    if isinstance(found, tuple):
        return found
    rules = tuple(rule_of(r) for r in stored)
    cache[key] = rules
    return rules


def member_test(conn: Connection, tenant_id: int, stored: list[dict[str, Any]],
                member_id: int, at: datetime) -> ColumnElement[bool]:
    """Membership of ``member_id`` by a segment's stored rules at ``at``, as an expression
    to select together with other things."""
    rules = _parsed(conn, stored)
    return store.member_in(conn, tenant_id, rules, member_id, at,
                           basis=_basis(conn, tenant_id, rules, at),
                           rfm=_rfm(conn, tenant_id, rules, at))


def holds_rules(conn: Connection, tenant_id: int, stored: list[dict[str, Any]],
                member_id: int, at: datetime) -> bool:
    """Whether ``member_id`` is held by a segment's stored rules at ``at`` (one statement)."""
    rules = _parsed(conn, stored)
    return store.holds_member(conn, tenant_id, rules, member_id, at,
                              basis=_basis(conn, tenant_id, rules, at),
                              rfm=_rfm(conn, tenant_id, rules, at))


def holds(conn: Connection, tenant_id: int, segment_id: int, member_id: int,
          at: datetime) -> bool:
    """Whether ``member_id`` is in the segment at ``at`` (a missing segment holds nobody)."""
    row = store.get_segment(conn, tenant_id, segment_id)
    if row is None:
        return False
    rules = _loaded(row).rules
    return store.holds_member(conn, tenant_id, rules, member_id, at,
                              basis=_basis(conn, tenant_id, rules, at),
                              rfm=_rfm(conn, tenant_id, rules, at))


def member_ids_at(conn: Connection, tenant_id: int, segment_id: int, at: datetime
                  ) -> list[int]:
    """Every member of the segment at ``at``, by id (one statement; a campaign's audience)."""
    rules = _loaded(_require(conn, tenant_id, segment_id)).rules
    return store.member_ids(conn, tenant_id, rules, at, limit=10_000_000, offset=0,
                            basis=_basis(conn, tenant_id, rules, at),
                            rfm=_rfm(conn, tenant_id, rules, at))


# For reports ----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MemberGroup:
    """A saved segment, and its members at a moment as a select of member ids."""

    key: str
    """The segment's id as text."""
    name: str
    member_ids: Select[tuple[int]]


def segment_groups(conn: Connection, tenant_id: int, at: datetime) -> list[MemberGroup]:
    """Each saved segment, by id, with its members at ``at``."""
    found = []
    for row in store.list_segments(conn, tenant_id):
        rules = _loaded(row).rules
        found.append(MemberGroup(key=str(row.id), name=row.name, member_ids=store.member_query(
            conn, tenant_id, rules, at, basis=_basis(conn, tenant_id, rules, at),
            rfm=_rfm(conn, tenant_id, rules, at))))
    return found
