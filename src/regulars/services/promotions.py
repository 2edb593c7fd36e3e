"""Promotions: validate and version them, evaluate their CEL conditions, offer them to the
engine, record what each receipt got.

A condition is a CEL expression (see :mod:`regulars.services.conditions`), compiled once per
promotion version and process.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import cel
from pydantic import TypeAdapter
from sqlalchemy import Connection

from regulars.db import budgets as budget_store
from regulars.db import coupons as coupon_store
from regulars.db import promotions as store
from regulars.db import segments as segment_store
from regulars.db import tenancy
from regulars.db.engine import cache_for
from regulars.db.members import MemberRow
from regulars.domain.budgets import NO_LIMITS, NOTHING, UNLIMITED, Bucket, Limits, Split
from regulars.domain.control_groups import Group
from regulars.domain.engine import BasketLine, Quote
from regulars.domain.promotions import (
    STRATEGIES,
    Candidate,
    Effect,
    IssueCoupon,
    Offers,
    Promotion,
    Schedule,
    Stacking,
    kind_of,
)
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services import budgets, programs, segments
from regulars.services.condition_subset import compile_subset, fits
from regulars.services.conditions import (
    birthday_today,
    cel_context,
    check_condition,
    compile_condition,
    holds,
    variables_of,
)
from regulars.services.runtime import Runtime

_SCHEDULE: TypeAdapter[Schedule] = TypeAdapter(Schedule)
_LIMITS: TypeAdapter[Limits] = TypeAdapter(Limits)
_EFFECTS: dict[str, TypeAdapter[Any]] = {kind: TypeAdapter(cls)
                                         for kind, (cls, _) in STRATEGIES.items()}


@dataclass(frozen=True, kw_only=True)
class Draft:
    """What a marketer sends to create a promotion or change it."""

    name: str
    condition: str = "true"
    effects: tuple[Effect, ...]
    stacking: Stacking = Stacking.STACKABLE
    priority: int = 0
    schedule: Schedule = Schedule()
    store_ids: frozenset[int] | None = None
    limits: Limits = NO_LIMITS
    segment_id: int | None = None
    control_share_bp: int = 0


# Storage form ---------------------------------------------------------------------------------

def definition_of(draft: Draft) -> dict[str, Any]:
    schedule = _SCHEDULE.dump_python(draft.schedule, mode="json")
    schedule["weekdays"] = sorted(schedule["weekdays"])
    effects = []
    for effect in draft.effects:
        kind = kind_of(effect)
        data = _EFFECTS[kind].dump_python(effect, mode="json")
        for name in ("categories", "skus"):
            if name in data:
                data[name] = sorted(data[name])
        effects.append({"kind": kind, **data})
    return {"name": draft.name, "condition": draft.condition, "stacking": draft.stacking.value,
            "priority": draft.priority, "schedule": schedule,
            "store_ids": None if draft.store_ids is None else sorted(draft.store_ids),
            "effects": effects, "limits": _LIMITS.dump_python(draft.limits, mode="json"),
            "segment_id": draft.segment_id, "control_share_bp": draft.control_share_bp}


def draft_of(definition: dict[str, Any]) -> Draft:
    effects = tuple(_EFFECTS[e["kind"]].validate_python(
        {k: v for k, v in e.items() if k != "kind"}) for e in definition["effects"])
    ids = definition["store_ids"]
    return Draft(name=definition["name"], condition=definition["condition"], effects=effects,
                 stacking=Stacking(definition["stacking"]), priority=definition["priority"],
                 schedule=_SCHEDULE.validate_python(definition["schedule"]),
                 store_ids=None if ids is None else frozenset(ids),
                 # Versions saved before budgets existed have no limits.
                 limits=_LIMITS.validate_python(definition.get("limits", {})),
                 # Versions saved before segments existed are for everyone.
                 segment_id=definition.get("segment_id"),
                 # ... and before control groups existed hold nobody back.
                 control_share_bp=definition.get("control_share_bp", 0))


def _build(promotion_id: int, version: int, draft: Draft, *,
           control_seed: str = "") -> Promotion:
    try:
        return Promotion(id=promotion_id, version=version, name=draft.name,
                         effects=draft.effects, stacking=draft.stacking,
                         priority=draft.priority, schedule=draft.schedule,
                         store_ids=draft.store_ids, limits=draft.limits,
                         segment_id=draft.segment_id,
                         control_share_bp=draft.control_share_bp, control_seed=control_seed)
    except ValueError as exc:
        field = str(exc).split(" ", 1)[0].rstrip(":")
        raise InvalidInput(str(exc), field=field) from exc


@dataclass(frozen=True, kw_only=True)
class _Loaded:
    """A stored version as checkout needs it: parsed, its condition compiled (``None`` for
    the condition ``true``, which needs no evaluating), the variables the condition names,
    and which of the member facts that cost a query it can read."""

    promotion: Promotion
    program: cel.Program | None
    python: Callable[[dict[str, Any]], bool] | None  # the condition without CEL, if it can
    variables: frozenset[str]
    reads: frozenset[str]


# Member facts that cost a query each; a condition that does not name one never pays it.
_COSTLY_FACTS = ("visits", "spend_minor", "first_purchase")


def _loaded(conn: Connection, tenant_id: int, promotion_id: int, version: int,
            control_seed: str) -> _Loaded:
    """A stored version, parsed and compiled once per engine (versions never change)."""
    cache = cache_for(conn)
    key = ("promotion", promotion_id, version)
    found = cache.get(key)
    if isinstance(found, _Loaded):
        return found
    draft = draft_of(store.version_definition(conn, tenant_id, promotion_id, version))
    program = compile_condition(draft.condition)
    constant = draft.condition.strip() == "true"
    loaded = _Loaded(promotion=_build(promotion_id, version, draft, control_seed=control_seed),
                     program=None if constant else program,
                     python=None if constant else compile_subset(draft.condition),
                     variables=frozenset() if constant else variables_of(program),
                     reads=frozenset(f for f in _COSTLY_FACTS if f in draft.condition))
    cache[key] = loaded
    return loaded


@dataclass(frozen=True, kw_only=True)
class _Lineup:
    """One answer of the active-offers statement, prepared once per process and reused while
    the statement answers the same (same versions, segment rules and budget split): the
    loaded versions, and what :func:`offers_for` would otherwise work out on every receipt."""

    rows: list[store.ActiveRow]
    split_row: dict[str, Any] | None
    items: tuple[tuple[_Loaded, store.ActiveRow], ...]
    variables: frozenset[str]  # what the conditions to evaluate name, together
    reads: frozenset[str]
    budgeted: bool  # some promotion has a budget, a per-member cap or a use limit
    split: Split
    seen: dict[int, list[dict[str, Any]]]  # segment id -> rules, of the targeted ones


def _lineup(conn: Connection, tenant_id: int, active: store.ActiveOffers) -> _Lineup:
    cache = cache_for(conn)
    key = ("lineup", tenant_id)
    found = cache.get(key)
    if (isinstance(found, _Lineup) and found.rows == active.rows
            and found.split_row == active.split):
        return found
    items = tuple((_loaded(conn, tenant_id, r.id, r.version, r.control_seed), r)
                  for r in active.rows)
    limits = [item.promotion.limits for item, _ in items]
    lineup = _Lineup(
        rows=active.rows, split_row=active.split, items=items,
        variables=frozenset().union(*(item.variables for item, _ in items)),
        reads=frozenset().union(*(item.reads for item, _ in items)),
        budgeted=any(x.budget_minor is not None or x.budget_points is not None
                     or x.per_member for x in limits),
        split=budgets.split_of(active.split),
        seen={r.segment_id: r.segment_rules for r in active.rows
              if r.segment_id is not None and r.segment_rules is not None})
    cache[key] = lineup  # replaced whole: readers in other threads see either
    return lineup


# Use cases ------------------------------------------------------------------------------------

def _validate(conn: Connection, tenant_id: int, draft: Draft) -> None:
    _build(0, 1, draft)
    check_condition(draft.condition)
    for store_id in sorted(draft.store_ids or ()):
        if tenancy.get_store(conn, tenant_id, store_id) is None:
            raise InvalidInput(f"store_ids: no store {store_id}", field="store_ids")
    if draft.segment_id is not None and not segments.exists(conn, tenant_id, draft.segment_id):
        raise InvalidInput(f"segment_id: no segment {draft.segment_id}", field="segment_id")
    for index, effect in enumerate(draft.effects):
        if isinstance(effect, IssueCoupon) and coupon_store.get_series(
                conn, tenant_id, effect.series_id) is None:
            raise InvalidInput(f"effects.{index}.series_id: no coupon series "
                               f"{effect.series_id}", field=f"effects.{index}.series_id")


def _view(row: store.PromotionRow) -> dict[str, Any]:
    return {"id": row.id, "version": row.version, "status": row.status, **row.definition,
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat()}


def _require(conn: Connection, tenant_id: int, promotion_id: int, *,
             for_update: bool = False) -> store.PromotionRow:
    row = store.get_promotion(conn, tenant_id, promotion_id, for_update=for_update)
    if row is None:
        raise NotFound("promotion not found")
    return row


def create(rt: Runtime, tenant_id: int, draft: Draft) -> dict[str, Any]:
    """Save a new promotion as version 1. Raises :class:`InvalidInput` naming the field."""
    now = rt.now()
    with rt.db.write() as conn:
        _validate(conn, tenant_id, draft)
        promotion_id = store.insert_promotion(conn, tenant_id=tenant_id,
                                              definition=definition_of(draft),
                                              control_seed=secrets.token_hex(16), now=now)
        budget_store.set_caps(conn, tenant_id, promotion_id,
                              budget_minor=draft.limits.budget_minor,
                              budget_points=draft.limits.budget_points)
        return _view(_require(conn, tenant_id, promotion_id))


def update(rt: Runtime, tenant_id: int, promotion_id: int, draft: Draft) -> dict[str, Any]:
    """Save ``draft`` as the promotion's next version. Raises :class:`NotFound`,
    :class:`InvalidInput`, and :class:`Conflict` for an archived promotion."""
    now = rt.now()
    with rt.db.write() as conn:
        row = _require(conn, tenant_id, promotion_id, for_update=True)
        if row.status == "archived":
            raise Conflict("an archived promotion cannot be changed")
        _validate(conn, tenant_id, draft)
        store.add_version(conn, tenant_id=tenant_id, promotion_id=promotion_id,
                          version=row.version + 1, definition=definition_of(draft), now=now)
        # The caps live on the counter row too, so that a commit's conditional update checks
        # the current caps even if it priced with the previous version.
        budget_store.set_caps(conn, tenant_id, promotion_id,
                              budget_minor=draft.limits.budget_minor,
                              budget_points=draft.limits.budget_points)
        return _view(_require(conn, tenant_id, promotion_id))


def archive(rt: Runtime, tenant_id: int, promotion_id: int) -> dict[str, Any]:
    """Stop a promotion for good (archiving it again changes nothing)."""
    now = rt.now()
    with rt.db.write() as conn:
        row = _require(conn, tenant_id, promotion_id, for_update=True)
        if row.status != "archived":
            store.set_status(conn, tenant_id, promotion_id, "archived", now)
        return _view(_require(conn, tenant_id, promotion_id))


def get(rt: Runtime, tenant_id: int, promotion_id: int) -> dict[str, Any]:
    with rt.db.read() as conn:
        return _view(_require(conn, tenant_id, promotion_id))


def groups(rt: Runtime, tenant_id: int, promotion_id: int) -> dict[str, Any]:
    """How many members commits have recorded in the promotion's test and control groups,
    and the current version's control share. Raises :class:`NotFound`."""
    with rt.db.read() as conn:
        row = _require(conn, tenant_id, promotion_id)
        counts = store.count_groups(conn, tenant_id, promotion_id)
    return {"test": counts.get(Group.TEST.value, 0),
            "control": counts.get(Group.CONTROL.value, 0),
            "control_share_bp": draft_of(row.definition).control_share_bp}


def list_all(rt: Runtime, tenant_id: int, *, status: str | None = None) -> list[dict[str, Any]]:
    if status not in (None, "active", "archived"):
        raise InvalidInput("status must be active or archived", field="status")
    with rt.db.read() as conn:
        return [_view(r) for r in store.list_promotions(conn, tenant_id, status=status)]


# Checkout -------------------------------------------------------------------------------------

def offers_for(conn: Connection, tenant: tenancy.TenantRow, lines: tuple[BasketLine, ...],
               member: MemberRow | None, level_code: str | None, *, store_id: int | None,
               at: datetime, spend_minor: Callable[[MemberRow], int],
               excluded: frozenset[int] = frozenset()) -> Offers | None:
    """The tenant's active promotions with their conditions evaluated for this receipt and
    what their budgets leave (``excluded`` ones: nothing), or ``None`` when it has none.

    One statement reads the active promotions, their segments' rules and the loyalty budget
    split, and tests the member against the segments this process saw last time; what
    depends only on that answer is prepared once per process (:class:`_Lineup`), so every
    change shows on the next receipt. A segment whose rules changed since (or was not seen
    yet) is tested by a statement of its own, and only for a targeted promotion that could
    otherwise apply. Conditions are evaluated over the CEL variables they name (``true``
    needs none); member facts that cost a query (``visits``, ``first_purchase``,
    ``spend_minor``, the last through ``spend_minor``) are read only when an active
    condition names them; budgets only for promotions that have one and could apply."""
    cache = cache_for(conn)
    seen_key = ("segments seen", tenant.id)
    seen = cache.get(seen_key)
    known: dict[int, list[dict[str, Any]]] = seen if isinstance(seen, dict) else {}
    active = store.active_offers(conn, *_offers_query(conn, tenant.id, known, member, at))
    if not active.rows:
        return None
    lineup = _lineup(conn, tenant.id, active)
    if lineup.seen != known:
        cache[seen_key] = lineup.seen  # replaced whole: readers in other threads see either

    def in_segment(row: store.ActiveRow, member_id: int) -> bool:
        if row.segment_rules is None or row.segment_id is None:
            return False
        if row.segment_id in active.member_in and known.get(row.segment_id) == row.segment_rules:
            return active.member_in[row.segment_id]
        return segments.holds_rules(conn, tenant.id, row.segment_rules, member_id, at)

    local = at.astimezone(ZoneInfo(tenant.timezone))
    facts: dict[str, Any] | None = None
    if member is not None and "member" in lineup.variables:
        facts = {"id": member.id, "level": level_code, "consent": member.consent,
                 "birthday_today": birthday_today(member.birthday, local.date())}
        if lineup.reads & {"visits", "first_purchase"}:
            visits = store.visits(conn, tenant.id, member.id, until=at)
            facts.update(visits=visits, first_purchase=visits == 0)
        if "spend_minor" in lineup.reads:
            facts["spend_minor"] = spend_minor(member)
    # The receipt's variables, only those some condition names; conditions in the subset of
    # regulars.services.condition_subset read them as they are, the others through one CEL
    # context for all, converted to CEL values once and only if one needs it.
    variables = cel_context(lines, facts, store_id, local, names=lineup.variables)
    in_python = fits(variables)
    context: cel.Context | None = None
    # A targeted promotion is for its segment's members only: one query for this member, and
    # only for promotions that could otherwise apply. Members of its control group are left
    # out like non-members, so that nothing tells them apart (recorded by :func:`record`).
    met: list[tuple[Promotion, bool]] = []
    for item, row in lineup.items:
        p = item.promotion
        if item.program is None:
            ok = True
        elif item.python is not None and in_python:
            ok = item.python(variables)
        else:
            if context is None:
                context = cel.Context(variables=variables)
            ok = holds(item.program, context)
        if ok and p.segment_id is not None:
            ok = (member is not None and p.group_of(member.id) is Group.TEST
                  and p.runs(store_id=store_id, local=local) and in_segment(row, member.id))
        met.append((p, ok))
    day = local.date()
    allowed_promotions = [p for p, ok in met if ok and p.runs(store_id=store_id, local=local)]
    if lineup.budgeted:  # budgets are read only for promotions that could apply
        allowed = budgets.allowances(
            conn, tenant.id, allowed_promotions,
            member_id=None if member is None else member.id, day=day, excluded=excluded)
    else:
        allowed = {p.id: NOTHING if p.id in excluded else UNLIMITED
                   for p in allowed_promotions}
    candidates = tuple(Candidate(promotion=p, condition_met=ok,
                                 allowance=allowed.get(p.id, NOTHING)) for p, ok in met)
    split = lineup.split
    mass = budgets.pool(conn, tenant.id, day, split=split) if allowed else None
    targeted = (budgets.pool(conn, tenant.id, day, bucket=Bucket.TARGETED, split=split)
                if any(p.targeted for p in allowed_promotions) else None)
    return Offers(candidates=candidates, store_id=store_id,
                  local_now=local.replace(tzinfo=None), pool_minor=mass,
                  targeted_pool_minor=targeted)


def _offers_query(conn: Connection, tenant_id: int, known: dict[int, list[dict[str, Any]]],
                  member: MemberRow | None, at: datetime
                  ) -> tuple[store.ActiveOffersQuery, dict[str, Any]]:
    """The active-offers statement with the member's tests against the segments seen last
    time, and its parameters for this member and moment. The statement is built once per
    tenant, program version and segment rules (the rules, and a level rule's thresholds,
    are part of it), then only run: building it cost more than running it."""
    cache = cache_for(conn)
    if member is None or not known:
        key: tuple[Any, ...] = ("active offers query", tenant_id)
    else:
        key = ("active offers query", tenant_id, *_known_key(cache, tenant_id, known))
        if key[-1]:
            # A level rule holds the program's thresholds: a new version is a new statement.
            key += (programs.load_current(conn, tenant_id)[0],)
    query = cache.get(key)
    if not isinstance(query, store.ActiveOffersQuery):
        tests = ({sid: segments.member_test(conn, tenant_id, stored, member.id, at)
                  for sid, stored in known.items()} if member is not None else {})
        query = store.active_offers_query(tenant_id, member_in=tests)
        cache[key] = query
    if member is None or not query.parameters:
        return query, {}
    basis = (segments.level_basis(conn, tenant_id, at)
             if query.parameters & segment_store.LEVEL_WINDOWS else None)
    return query, segment_store.rebind(query.parameters, at=at, member_id=member.id,
                                       basis=basis)


def _known_key(cache: dict[object, object], tenant_id: int,
               known: dict[int, list[dict[str, Any]]]) -> tuple[str, bool]:
    """The segments seen as text, and whether one has a level rule: worked out again only
    when the seen segments are a new dictionary (they are replaced whole, never changed)."""
    found = cache.get(("segments seen key", tenant_id))
    if isinstance(found, tuple) and found[0] is known:
        return found[1], found[2]
    text = json.dumps(known, sort_keys=True)
    level = any(rule.get("kind") == "level" for rules in known.values() for rule in rules)
    cache[("segments seen key", tenant_id)] = (known, text, level)
    return text, level


def record(conn: Connection, tenant_id: int, receipt_id: int, quote: Quote, *,
           day: date, member_id: int | None, offers: Offers | None, at: datetime) -> None:
    """What each promotion gave the receipt, per line too, in ``day``'s budget month and the
    bucket it counted in; and the group of the receipt's member in every promotion of
    ``offers`` (as priced at ``at``) with a control share whose segment holds the member and
    whose schedule and stores hold, whether or not its condition did. A member keeps the
    group first recorded."""
    targeted = store.targeted_versions(conn, tenant_id,
                                       [(p.id, p.version) for p in quote.promotions])
    store.insert_applied(conn, [
        {"tenant_id": tenant_id, "receipt_id": receipt_id, "promotion_id": p.id,
         "version": p.version, "discount_minor": p.discount_minor, "points": p.points,
         "month": day.replace(day=1),
         "bucket": (Bucket.TARGETED if (p.id, p.version) in targeted else Bucket.MASS).value,
         "lines": [[d, n] for d, n in zip(p.discount_by_line, p.points_by_line,
                                          strict=True)]}
        for p in quote.promotions])
    if member_id is None or offers is None:
        return
    store.insert_groups(conn, [
        {"tenant_id": tenant_id, "promotion_id": p.id, "member_id": member_id,
         "group": p.group_of(member_id).value, "first_seen_at": at}
        for p in (c.promotion for c in offers.candidates)
        if p.segment_id is not None and p.control_share_bp
        and p.runs(store_id=offers.store_id, local=offers.local_now)
        and segments.holds(conn, tenant_id, p.segment_id, member_id, at)])


def applied_view(quote: Quote) -> list[dict[str, Any]]:
    return [{"id": p.id, "version": p.version, "name": p.name,
             "discount_minor": p.discount_minor, "points": p.points}
            for p in quote.promotions]
