"""Promotions: validate and version them, offer them to the engine (the work is in
:mod:`regulars.services.promotions.offers`), record what each receipt got.

A condition is a CEL expression (see :mod:`regulars.services.promotions.conditions`), compiled once
per
promotion version and process.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection

from regulars.db.checkout.receipts import Children
from regulars.db.members.members import MemberRow
from regulars.db.promotions import budgets as budget_store
from regulars.db.promotions import coupons as coupon_store
from regulars.db.promotions import promotions as store
from regulars.db.tenancy import tenancy
from regulars.domain.checkout.quote import AppliedPromotion, BasketLine, Quote
from regulars.domain.money import allocate
from regulars.domain.promotions.budgets import NO_LIMITS, Bucket, Limits
from regulars.domain.promotions.control_groups import Group
from regulars.domain.promotions.promotions import (
    STRATEGIES,
    Effect,
    IssueCoupon,
    Offers,
    Promotion,
    Schedule,
    Stacking,
    kind_of,
)
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.promotions import experiments, segments
from regulars.services.promotions import offers as promotion_offers
from regulars.services.promotions.conditions import check_condition
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


def effects_of(view: PromotionView) -> tuple[Effect, ...]:
    """The effects of a promotion as saved (storage form, as :class:`PromotionView` holds
    them)."""
    return tuple(_EFFECTS[e["kind"]].validate_python({k: v for k, v in e.items()
                                                      if k != "kind"}) for e in view.effects)


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


def parsed_draft(draft: Draft, *, promotion_id: int) -> Promotion:
    """``draft`` as the engine takes it, as version 1 of ``promotion_id`` (the simulator's
    draft promotions, which are never stored as promotions)."""
    return _build(promotion_id, 1, draft)


def _parsed(definition: dict[str, Any], promotion_id: int, version: int,
            control_seed: str) -> tuple[Promotion, str]:
    draft = draft_of(definition)
    return _build(promotion_id, version, draft, control_seed=control_seed), draft.condition


# Use cases ------------------------------------------------------------------------------------

def validate_draft(conn: Connection, tenant_id: int, draft: Draft) -> None:
    """Check ``draft`` as :func:`create` does (its stores, segment and coupon series are the
    tenant's own); raises :class:`InvalidInput` naming the field."""
    _validate(conn, tenant_id, draft)


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


@dataclass(frozen=True, kw_only=True, slots=True)
class PromotionView:
    """A promotion at its current version: its definition in storage form
    (:func:`definition_of`: effects, schedule and limits as sent), status and times."""

    id: int
    version: int
    status: str
    name: str
    condition: str
    stacking: str
    priority: int
    schedule: Mapping[str, Any]
    store_ids: tuple[int, ...] | None
    effects: tuple[Mapping[str, Any], ...]
    limits: Mapping[str, Any]
    segment_id: int | None
    control_share_bp: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Groups:
    """Members recorded at commit in a promotion's test and control groups."""

    test: int
    control: int
    control_share_bp: int


def _view(row: store.PromotionRow) -> PromotionView:
    # A version saved before limits, segments or control groups existed reads with their
    # defaults, as checkout reads it (:func:`draft_of`).
    d = definition_of(draft_of(row.definition))
    ids = d["store_ids"]
    return PromotionView(
        id=row.id, version=row.version, status=row.status, name=d["name"],
        condition=d["condition"], stacking=d["stacking"], priority=d["priority"],
        schedule=d["schedule"], store_ids=None if ids is None else tuple(ids),
        effects=tuple(d["effects"]), limits=d["limits"], segment_id=d["segment_id"],
        control_share_bp=d["control_share_bp"], created_at=row.created_at,
        updated_at=row.updated_at)


def _require(conn: Connection, tenant_id: int, promotion_id: int, *,
             for_update: bool = False) -> store.PromotionRow:
    row = store.get_promotion(conn, tenant_id, promotion_id, for_update=for_update)
    if row is None:
        raise NotFound("promotion not found")
    return row


def create(rt: Runtime, tenant_id: int, draft: Draft,
           *, actor: audit.Actor) -> PromotionView:
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
        audit.record(conn, tenant_id, actor, "promotion.create", f"promotion {promotion_id}",
                     at=now, version=1)
        return _view(_require(conn, tenant_id, promotion_id))


def update(rt: Runtime, tenant_id: int, promotion_id: int, draft: Draft,
           *, actor: audit.Actor) -> PromotionView:
    """Save ``draft`` as the promotion's next version. Raises :class:`NotFound`,
    :class:`InvalidInput`, and :class:`Conflict` for an archived promotion."""
    now = rt.now()
    with rt.db.write() as conn:
        budget_store.lock_caps(conn, tenant_id)
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
        audit.record(conn, tenant_id, actor, "promotion.version", f"promotion {promotion_id}",
                     at=now, version=row.version + 1)
        return _view(_require(conn, tenant_id, promotion_id))


def archive(rt: Runtime, tenant_id: int, promotion_id: int,
            *, actor: audit.Actor) -> PromotionView:
    """Stop a promotion for good (archiving it again changes nothing)."""
    now = rt.now()
    with rt.db.write() as conn:
        row = _require(conn, tenant_id, promotion_id, for_update=True)
        if row.status != "archived":
            store.set_status(conn, tenant_id, promotion_id, "archived", now)
            audit.record(conn, tenant_id, actor, "promotion.archive",
                         f"promotion {promotion_id}", at=now)
        return _view(_require(conn, tenant_id, promotion_id))


def _set_running(rt: Runtime, tenant_id: int, promotion_id: int, actor: audit.Actor, *,
                 running: bool) -> PromotionView:
    now = rt.now()
    before, after = ("paused", "active") if running else ("active", "paused")
    with rt.db.write() as conn:
        row = _require(conn, tenant_id, promotion_id, for_update=True)
        if row.status == "archived":
            raise Conflict("an archived promotion cannot be changed")
        if row.status == before:
            store.set_status(conn, tenant_id, promotion_id, after, now)
            audit.record(conn, tenant_id, actor,
                         "promotion.resume" if running else "promotion.pause",
                         f"promotion {promotion_id}", at=now)
        return _view(_require(conn, tenant_id, promotion_id))


def pause(rt: Runtime, tenant_id: int, promotion_id: int,
          *, actor: audit.Actor) -> PromotionView:
    """Stop offering the promotion to receipts until :func:`resume` (pausing it again changes
    nothing; its budget, versions and groups stay). Raises :class:`NotFound`, and
    :class:`Conflict` for an archived promotion."""
    return _set_running(rt, tenant_id, promotion_id, actor, running=False)


def resume(rt: Runtime, tenant_id: int, promotion_id: int,
           *, actor: audit.Actor) -> PromotionView:
    """Offer a paused promotion again (resuming a running one changes nothing). Raises
    :class:`NotFound`, and :class:`Conflict` for an archived promotion."""
    return _set_running(rt, tenant_id, promotion_id, actor, running=True)


def get(rt: Runtime, tenant_id: int, promotion_id: int) -> PromotionView:
    with rt.db.read() as conn:
        return _view(_require(conn, tenant_id, promotion_id))


def groups(rt: Runtime, tenant_id: int, promotion_id: int) -> Groups:
    """How many members commits have recorded in the promotion's test and control groups,
    and the current version's control share. Raises :class:`NotFound`."""
    with rt.db.read() as conn:
        row = _require(conn, tenant_id, promotion_id)
        counts = store.count_groups(conn, tenant_id, promotion_id)
    return Groups(test=counts.get(Group.TEST.value, 0),
                  control=counts.get(Group.CONTROL.value, 0),
                  control_share_bp=draft_of(row.definition).control_share_bp)


def list_all(rt: Runtime, tenant_id: int, *, status: str | None = None) -> list[PromotionView]:
    if status not in (None, "active", "paused", "archived"):
        raise InvalidInput("status must be active, paused or archived", field="status")
    with rt.db.read() as conn:
        return [_view(r) for r in store.list_promotions(conn, tenant_id, status=status)]


# Checkout -------------------------------------------------------------------------------------

def offers_for(conn: Connection, tenant: tenancy.TenantRow, lines: tuple[BasketLine, ...],
               member: MemberRow | None, level_code: str | None, *, store_id: int | None,
               at: datetime, spend_minor: Callable[[MemberRow], int],
               excluded: frozenset[int] = frozenset()) -> Offers | None:
    """The tenant's active promotions with their conditions evaluated for this receipt and
    what their budgets leave (``excluded`` ones: nothing), or ``None`` when it has none: see
    :func:`regulars.services.promotions.offers.offers_for`."""
    return promotion_offers.offers_for(conn, tenant, lines, member, level_code,
                                       store_id=store_id, at=at, spend_minor=spend_minor,
                                       parse=_parsed, excluded=excluded)


def applied(conn: Connection, tenant_id: int, quote: Quote, *, day: date,
            offers: Offers | None, point_value_minor: int) -> Children:
    """What each promotion gave the receipt, per line too, in ``day``'s budget month and the
    bucket it counted in (its points at ``point_value_minor``): rows written with the
    receipt."""
    targeted = _targeted(conn, tenant_id, quote, offers)
    paid = [line.paid_minor for line in quote.lines]
    return store.applied_rows([
        {"promotion_id": p.id, "version": p.version, "discount_minor": p.discount_minor,
         "cashback_minor": p.cashback_minor, "points": p.points, "month": day.replace(day=1),
         "point_value_minor": point_value_minor,
         "bucket": (Bucket.TARGETED if (p.id, p.version) in targeted else Bucket.MASS).value,
         "lines": [[d, n, c] for d, n, c in zip(p.discount_by_line, p.points_by_line,
                                                _cashback_by_line(p, paid), strict=True)]}
        for p in quote.promotions])


def record_groups(conn: Connection, tenant_id: int, *, member_id: int | None,
                  offers: Offers | None, at: datetime) -> None:
    """The group of the receipt's member in every promotion of ``offers`` (as priced at
    ``at``) with a control share whose segment holds the member and whose schedule and stores
    hold, whether or not its condition did. A member keeps the group first recorded."""
    if member_id is None or offers is None:
        return
    tested = [p for p in (c.promotion for c in offers.candidates)
              if p.segment_id is not None and p.control_share_bp]
    if not tested:  # a mass promotion has no groups: the plan is not needed
        return
    plan = experiments.plan_for(conn, tenant_id)
    store.insert_groups(conn, [
        {"tenant_id": tenant_id, "promotion_id": p.id, "member_id": member_id,
         "group": p.group_of(member_id).value, "first_seen_at": at}
        for p in tested
        if p.segment_id is not None and plan.allows(p.id, member_id)
        and p.runs(store_id=offers.store_id, local=offers.local_now)
        and segments.holds(conn, tenant_id, p.segment_id, member_id, at)])


def _cashback_by_line(applied: AppliedPromotion, paid: list[int]) -> list[int]:
    """A promotion's cashback spread over the lines by what was paid on each (so a refund of
    a line gives back its share)."""
    if not applied.cashback_minor:
        return [0] * len(paid)
    return allocate(applied.cashback_minor, paid)


def _targeted(conn: Connection, tenant_id: int, quote: Quote,
              offers: Offers | None) -> set[tuple[int, int]]:
    """The (promotion, version) pairs of the quote that name a segment: known from the offers
    the receipt was priced with, read only for a promotion they do not hold."""
    known = {} if offers is None else {
        (c.promotion.id, c.promotion.version): c.promotion.segment_id is not None
        for c in offers.candidates}
    missing = [(p.id, p.version) for p in quote.promotions if (p.id, p.version) not in known]
    return ({pair for pair, named in known.items() if named}
            | store.targeted_versions(conn, tenant_id, missing))


def applied_view(quote: Quote) -> list[dict[str, Any]]:
    return [{"id": p.id, "version": p.version, "name": p.name,
             "discount_minor": p.discount_minor, "points": p.points,
             **({"cashback_minor": p.cashback_minor} if p.cashback_minor else {})}
            for p in quote.promotions]
