"""A/B experiments between promotions, and the programme holdout.

An experiment names two or more existing promotions as its variants; while it runs, each
member gets only the variant the hash of :mod:`regulars.domain.promotions.experiments` picks
(a receipt without a member gets the first). The holdout is a share of members who get no
promotion at all: messaging asks :func:`in_holdout` before it sends a marketing message.

Checkout asks :func:`plan_for` on every receipt with active promotions: the plan is cached
per engine for :data:`PLAN_TTL_SECONDS` (a change made in this process shows at once; in
another process within that time), so a tenant without experiments or holdout pays one
dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from regulars.db.engine import forget, remembered
from regulars.db.promotions import coupons as coupon_store
from regulars.db.promotions import experiments as store
from regulars.db.promotions import promotions as promotion_store
from regulars.domain.promotions.experiments import (
    MAX_HOLDOUT_BP,
    MAX_VARIANTS,
    MIN_VARIANTS,
    NO_PLAN,
    Arm,
    Plan,
)
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.promotions.coupons import secret_key
from regulars.services.runtime import Runtime

PLAN_TTL_SECONDS = 5.0


@dataclass(frozen=True, kw_only=True)
class VariantDraft:
    name: str
    promotion_id: int


@dataclass(frozen=True, kw_only=True)
class ExperimentDraft:
    name: str
    variants: tuple[VariantDraft, ...]


@dataclass(frozen=True, kw_only=True)
class VariantView:
    position: int
    name: str
    promotion_id: int


@dataclass(frozen=True, kw_only=True)
class ExperimentView:
    id: int
    name: str
    status: str
    started_at: datetime
    stopped_at: datetime | None
    variants: tuple[VariantView, ...]


@dataclass(frozen=True, kw_only=True)
class Holdout:
    share_bp: int


def _view(row: store.ExperimentRow) -> ExperimentView:
    return ExperimentView(id=row.id, name=row.name, status=row.status,
                          started_at=row.started_at, stopped_at=row.stopped_at,
                          variants=tuple(VariantView(position=v.position, name=v.name,
                                                     promotion_id=v.promotion_id)
                                         for v in row.variants))


def _forget(conn: Connection, tenant_id: int) -> None:
    forget(conn, ("experiment plan", tenant_id))


def _check(conn: Connection, tenant_id: int, draft: ExperimentDraft) -> None:
    if not MIN_VARIANTS <= len(draft.variants) <= MAX_VARIANTS:
        raise InvalidInput("variants: between %(least)s and %(most)s", field="variants",
                           params={"least": MIN_VARIANTS, "most": MAX_VARIANTS})
    ids = [v.promotion_id for v in draft.variants]
    if len(set(ids)) != len(ids):
        raise InvalidInput("variants: each promotion once", field="variants")
    for variant in draft.variants:
        row = promotion_store.get_promotion(conn, tenant_id, variant.promotion_id)
        if row is None or row.status != "active":
            raise InvalidInput("variants: no active promotion %(id)s", field="variants",
                               params={"id": variant.promotion_id})


def create(rt: Runtime, tenant_id: int, draft: ExperimentDraft,
           *, actor: audit.Actor) -> ExperimentView:
    """Start an experiment. Raises :class:`InvalidInput` naming ``variants`` for fewer than
    two or more than ten, a repeated or unknown promotion, or one already in an
    experiment."""
    now = rt.now()
    with rt.db.write() as conn:
        _check(conn, tenant_id, draft)
        secret_key(conn, tenant_id, now)
        try:
            with conn.begin_nested():
                experiment_id = store.insert_experiment(
                    conn, tenant_id=tenant_id, name=draft.name, now=now,
                    variants=[(v.name, v.promotion_id) for v in draft.variants])
        except IntegrityError as exc:
            raise InvalidInput("variants: a promotion is in another experiment already",
                               field="variants") from exc
        audit.record(conn, tenant_id, actor, "experiment.start", f"experiment {experiment_id}",
                     at=now, promotions=[v.promotion_id for v in draft.variants])
        _forget(conn, tenant_id)
        return _view(store.list_experiments(conn, tenant_id, experiment_id=experiment_id)[0])


def get(rt: Runtime, tenant_id: int, experiment_id: int) -> ExperimentView:
    """Raises :class:`NotFound`."""
    with rt.db.read() as conn:
        found = store.list_experiments(conn, tenant_id, experiment_id=experiment_id)
    if not found:
        raise NotFound("experiment not found")
    return _view(found[0])


def list_all(rt: Runtime, tenant_id: int) -> list[ExperimentView]:
    with rt.db.read() as conn:
        return [_view(r) for r in store.list_experiments(conn, tenant_id)]


def stop(rt: Runtime, tenant_id: int, experiment_id: int,
         *, actor: audit.Actor) -> ExperimentView:
    """Stop an experiment: every variant then applies as its promotion says. Raises
    :class:`NotFound`, and :class:`Conflict` when it was stopped already."""
    now = rt.now()
    with rt.db.write() as conn:
        if not store.list_experiments(conn, tenant_id, experiment_id=experiment_id):
            raise NotFound("experiment not found")
        if not store.stop(conn, tenant_id, experiment_id, now):
            raise Conflict("the experiment is stopped already")
        audit.record(conn, tenant_id, actor, "experiment.stop", f"experiment {experiment_id}",
                     at=now)
        _forget(conn, tenant_id)
        return _view(store.list_experiments(conn, tenant_id, experiment_id=experiment_id)[0])


def holdout(rt: Runtime, tenant_id: int) -> Holdout:
    with rt.db.read() as conn:
        return Holdout(share_bp=store.holdout_bp(conn, tenant_id))


def set_holdout(rt: Runtime, tenant_id: int, share_bp: int,
                *, actor: audit.Actor) -> Holdout:
    """Hold back ``share_bp`` of members from every promotion and marketing message. Raises
    :class:`InvalidInput` naming ``share_bp`` outside ``0..5000``."""
    if not 0 <= share_bp <= MAX_HOLDOUT_BP:
        raise InvalidInput("share_bp: between 0 and %(most)s", field="share_bp",
                           params={"most": MAX_HOLDOUT_BP})
    now = rt.now()
    with rt.db.write() as conn:
        secret_key(conn, tenant_id, now)
        store.set_holdout(conn, tenant_id, share_bp, now)
        audit.record(conn, tenant_id, actor, "holdout.set", "holdout", at=now,
                     share_bp=share_bp)
        _forget(conn, tenant_id)
    return Holdout(share_bp=share_bp)


def plan_for(conn: Connection, tenant_id: int) -> Plan:
    """What checkout must honour for the tenant (cached, see the module docstring)."""
    return remembered(conn, ("experiment plan", tenant_id), PLAN_TTL_SECONDS,
                      lambda: _read_plan(conn, tenant_id))


def _read_plan(conn: Connection, tenant_id: int) -> Plan:
    share = store.holdout_bp(conn, tenant_id)
    arms = store.running_arms(conn, tenant_id)
    secret = coupon_store.secret(conn, tenant_id) if share or arms else None
    return NO_PLAN if secret is None else Plan(
        key=bytes.fromhex(secret), holdout_bp=share,
        arms={p: Arm(experiment_id=e, position=pos, variants=n) for p, e, pos, n in arms})


def assignment_key(conn: Connection, tenant_id: int) -> bytes:
    """The tenant's secret the assignments hash under (empty before any experiment or
    holdout made it)."""
    found = coupon_store.secret(conn, tenant_id)
    return b"" if found is None else bytes.fromhex(found)


def held_out(conn: Connection, tenant_id: int, member_ids: Sequence[int]) -> set[int]:
    """Those of ``member_ids`` in the tenant's programme holdout (campaigns leave them out)."""
    plan = plan_for(conn, tenant_id)
    return {m for m in member_ids if plan.held_out(m)}


def in_holdout(rt: Runtime, tenant_id: int, member_id: int) -> bool:
    """Whether the member is in the tenant's programme holdout: no marketing promotions and
    no marketing messages for them."""
    with rt.db.read() as conn:
        return plan_for(conn, tenant_id).held_out(member_id)
