"""The demo's measured marketing: a finished targeted campaign with a control group and a
finished experiment between two promotions, so that the uplift pages have something to read.

Cheap by design: the year of receipts is already there, so the campaign's groups are written
in one bulk insert (each member who came during the campaign, in the group the promotion's
seed gives them, first seen at their first receipt in it), and the experiment runs over the
last month and is stopped at the end. Both promotions of the experiment and the campaign are
archived, so live checkout is as before. Neither moved anyone's spend (the history was made
without them): the pages honestly show no clear difference.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from regulars.db.checkout.tables import receipts
from regulars.db.promotions import promotions as promotion_store
from regulars.domain.promotions.control_groups import group_of
from regulars.domain.promotions.promotions import BonusPoints, PercentDiscount, Schedule
from regulars.domain.promotions.segments import ConsentIn
from regulars.services.audit import audit
from regulars.services.demo.history import SettableClock
from regulars.services.promotions import experiments, promotions, segments
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime

CONTROL_SHARE_BP = 2000
CAMPAIGN_DAYS = 28
EXPERIMENT_DAYS = 30


def add(rt: Runtime, tenant_id: int, clock: SettableClock, *, end: datetime,
        today: date) -> None:
    """The campaign (ended a month before ``today``) and the experiment (the last month)."""
    _campaign(rt, tenant_id, clock, end=end, today=today)
    _experiment(rt, tenant_id, clock, end=end)
    clock.now = end


def _campaign(rt: Runtime, tenant_id: int, clock: SettableClock, *, end: datetime,
              today: date) -> None:
    last = today - timedelta(days=EXPERIMENT_DAYS + 1)
    first = last - timedelta(days=CAMPAIGN_DAYS - 1)
    start = end - timedelta(days=(today - first).days)
    clock.now = start - timedelta(days=3)
    everyone = segments.create(rt, tenant_id, segments.Draft(
        name="Everyone who gets offers",
        rules=(ConsentIn(values=frozenset({"full"})),)))
    made = promotions.create(rt, tenant_id, Draft(
        name="Autumn double points", effects=(BonusPoints(points=20),),
        segment_id=everyone.id, control_share_bp=CONTROL_SHARE_BP,
        schedule=Schedule(starts_on=first, ends_on=last)), actor=audit.SYSTEM)
    stop = start + timedelta(days=CAMPAIGN_DAYS)
    with rt.db.write() as conn:
        seed = promotion_store.get_promotion(conn, tenant_id, made.id)
        assert seed is not None
        came = conn.execute(
            select(receipts.c.member_id, func.min(receipts.c.occurred_at))
            .where(receipts.c.tenant_id == tenant_id, receipts.c.member_id.is_not(None),
                   receipts.c.status != "voided", receipts.c.occurred_at >= start,
                   receipts.c.occurred_at < stop)
            .group_by(receipts.c.member_id))
        promotion_store.insert_groups(conn, [
            {"tenant_id": tenant_id, "promotion_id": made.id, "member_id": int(m),
             "group": group_of(seed=seed.control_seed, promotion_id=made.id,
                               member_id=int(m), control_share_bp=CONTROL_SHARE_BP).value,
             "first_seen_at": at} for m, at in came])
    clock.now = stop
    promotions.archive(rt, tenant_id, made.id, actor=audit.SYSTEM)


def _experiment(rt: Runtime, tenant_id: int, clock: SettableClock, *, end: datetime) -> None:
    clock.now = end - timedelta(days=EXPERIMENT_DAYS)
    five = promotions.create(rt, tenant_id, Draft(
        name="5 % off", effects=(PercentDiscount(rate_bp=500),)), actor=audit.SYSTEM)
    points = promotions.create(rt, tenant_id, Draft(
        name="30 bonus points", effects=(BonusPoints(points=30),)), actor=audit.SYSTEM)
    made = experiments.create(rt, tenant_id, experiments.ExperimentDraft(
        name="Discount or points", variants=(
            experiments.VariantDraft(name="5 % off", promotion_id=five.id),
            experiments.VariantDraft(name="30 points", promotion_id=points.id))),
        actor=audit.SYSTEM)
    clock.now = end
    experiments.stop(rt, tenant_id, made.id, actor=audit.SYSTEM)
    for promotion_id in (five.id, points.id):
        promotions.archive(rt, tenant_id, promotion_id, actor=audit.SYSTEM)
