"""Uplift of a targeted promotion against a small fixture computed by hand: the reads of each
window (net of refunds, voids and other tenants) and what the service makes of them (SQLite,
and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from regulars.db.analytics import uplift as queries
from regulars.db.promotions.tables import promotions as promotion_table
from regulars.domain.promotions.control_groups import Group, group_of
from regulars.domain.promotions.promotions import BonusPoints, Schedule
from regulars.services.analytics import uplift
from regulars.services.audit import audit
from regulars.services.promotions import promotions, segments
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, set_program

MSK = 3  # Moscow is UTC+3 all year


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - MSK)


@dataclass
class Campaign:
    pos: Pos
    promotion_id: int
    t1: int
    t2: int
    c1: int
    c2: int


@pytest.fixture
def campaign(rt: Runtime, clock: FakeClock) -> Campaign:
    """A promotion giving 50 bonus points (worth 1.00 each) from 10 to 19 March to half of
    everyone, half held back. Two test members T1, T2 and two control members C1, C2:

    - pre-period (20 Feb): T1 pays 100.00, C1 80.00
    - campaign (12 Mar): T1 200.00, T2 100.00, C1 100.00; C2 50.00 refunded in full
    - follow-up (25 Mar): T1 60.00, C1 40.00; today is 1 April.
    """
    clock.now = at(date(2026, 2, 1))
    shop = Pos(rt, make_shop(rt, "Uplift Café"))
    set_program(rt, shop.tenant_id, levels=[{"code": "base", "name": "Base",
                                             "threshold_minor": 0, "rate_bp": 1000}],
                point_value_minor=100, redeem_share_max_bp=5000)
    everyone = segments.create(rt, shop.tenant_id, segments.Draft(
        name="Everyone", rules=(segments.rule_of({"kind": "consent", "values": ["full"]}),)))
    made = promotions.create(rt, shop.tenant_id, promotions.Draft(
        name="Bonus week", effects=(BonusPoints(points=50),), segment_id=everyone.id,
        control_share_bp=5000,
        schedule=Schedule(starts_on=date(2026, 3, 10), ends_on=date(2026, 3, 19))),
                             actor=audit.SYSTEM)
    with rt.db.read() as conn:
        seed = conn.execute(select(promotion_table.c.control_seed).where(
            promotion_table.c.id == made.id)).scalar_one()
    ids = [shop.register(n)["id"] for n in range(16)]
    test = [m for m in ids if group_of(seed=seed, promotion_id=made.id, member_id=m,
                                       control_share_bp=5000) is Group.TEST][:2]
    control = [m for m in ids if m not in test and group_of(
        seed=seed, promotion_id=made.id, member_id=m, control_share_bp=5000)
        is Group.CONTROL][:2]
    (t1, t2), (c1, c2) = test, control

    def buy(member: int, minor: int, day: date, receipt: str, till: Pos = shop
            ) -> dict[str, Any]:
        clock.now = at(day)
        return till.commit(member, (line("tea", minor),), receipt=receipt)

    buy(t1, 10_000, date(2026, 2, 20), "p1")
    buy(c1, 8_000, date(2026, 2, 20), "p2")
    buy(t1, 20_000, date(2026, 3, 12), "c1")
    buy(t2, 10_000, date(2026, 3, 12), "c2")
    buy(c1, 10_000, date(2026, 3, 12), "c3")
    refunded = buy(c2, 5_000, date(2026, 3, 12), "c4")
    shop.refund(refunded["receipt"]["id"], key="refund-c4")
    buy(t1, 6_000, date(2026, 3, 25), "f1")
    buy(c1, 4_000, date(2026, 3, 25), "f2")
    # Another tenant's receipts are never counted.
    other = Pos(rt, make_shop(rt, "Elsewhere"))
    buy(other.register(900)["id"], 99_000, date(2026, 3, 12), "x1", till=other)
    clock.now = at(date(2026, 4, 1))
    return Campaign(pos=shop, promotion_id=made.id, t1=t1, t2=t2, c1=c1, c2=c2)


def _window(rt: Runtime, c: Campaign, first: date, last: date) -> dict[int, tuple[str, int, int]]:
    with rt.db.read() as conn:
        rows = queries.group_members(conn, c.pos.tenant_id, c.promotion_id,
                                     since=at(first, 0), until=at(last, 24))
    return {r.member_id: (r.group, r.paid_minor, r.visits) for r in rows}


def test_each_window_reads_net_spend_and_visits_per_member(rt: Runtime, campaign: Campaign
                                                           ) -> None:
    c = campaign
    assert _window(rt, c, date(2026, 3, 10), date(2026, 3, 19)) == {
        c.t1: ("test", 20_000, 1), c.t2: ("test", 10_000, 1),
        c.c1: ("control", 10_000, 1), c.c2: ("control", 0, 0)}
    assert _window(rt, c, date(2026, 1, 1), date(2026, 3, 9)) == {
        c.t1: ("test", 10_000, 1), c.t2: ("test", 0, 0),
        c.c1: ("control", 8_000, 1), c.c2: ("control", 0, 0)}
    with rt.db.read() as conn:
        given = queries.promotion_given(conn, c.pos.tenant_id, c.promotion_id,
                                        since=at(date(2026, 3, 1), 0),
                                        until=at(date(2026, 4, 1), 24))
    assert (given.discount_minor, given.points, given.points_value_minor) == (0, 100, 10_000)


def test_the_report_compares_groups_by_window_and_says_the_sample_is_too_small(
        rt: Runtime, campaign: Campaign) -> None:
    found = uplift.promotion_uplift(rt, campaign.pos.tenant_id, campaign.promotion_id)
    assert (found.test_members, found.control_members, found.too_small) == (2, 2, True)
    assert (found.pre.first_day, found.pre.last_day) == (date(2026, 2, 10), date(2026, 3, 9))
    assert (found.pre.test_mean_minor, found.pre.control_mean_minor) == (5_000, 4_000)
    run, follow = found.windows
    assert (run.first_day, run.last_day) == (date(2026, 3, 10), date(2026, 3, 19))
    assert (follow.first_day, follow.last_day) == (date(2026, 3, 20), date(2026, 4, 1))
    assert (run.spend.test_mean_minor, run.spend.control_mean_minor) == (15_000, 5_000)
    assert run.spend.difference_minor == 10_000 and run.spend.verdict == "too_small"
    assert (run.visits.test_mean, run.visits.control_mean) == (1.0, 0.5)
    assert (run.bought.test_mean, run.bought.control_mean) == (1.0, 0.5)
    # Pooled pre-period x = [100, 0, 80, 0] and campaign y = [200, 100, 100, 0] (in 100s):
    # cov = 100e6 / 3, var = 83e6 / 3.
    assert run.cuped_theta == pytest.approx(100 / 83)
    assert run.spend_relative.estimate == pytest.approx(2.0)
    assert (follow.spend.test_mean_minor, follow.spend.control_mean_minor) == (3_000, 2_000)
    back = found.campaign_return
    assert back.points_value_minor == 10_000 and back.points == 100
    assert back.return_minor == back.incremental_revenue_minor - 10_000
    assert back.verdict == "too_small"


def _outcomes(rt: Runtime, c: Campaign, first: date, last: date) -> list[tuple[int, int, int]]:
    with rt.db.read() as conn:
        return queries.member_outcomes(conn, c.pos.tenant_id, since=at(first, 0),
                                       until=at(last, 24))


def test_a_wholly_refunded_receipt_is_neither_spend_nor_a_visit_of_either_group(
        rt: Runtime, clock: FakeClock, campaign: Campaign) -> None:
    c = campaign
    first, last = date(2026, 3, 10), date(2026, 3, 19)
    groups, everyone = _window(rt, c, first, last), _outcomes(rt, c, first, last)
    report = uplift.promotion_uplift(rt, c.pos.tenant_id, c.promotion_id)
    clock.now = at(date(2026, 3, 15))
    for member, receipt in ((c.t2, "r1"), (c.c1, "r2")):
        sold = c.pos.commit(member, (line("cake", 30_000),), receipt=receipt)
        c.pos.refund(sold["receipt"]["id"], key=f"refund-{receipt}")
    clock.now = at(date(2026, 4, 1))
    assert _window(rt, c, first, last) == groups
    assert _outcomes(rt, c, first, last) == everyone
    assert uplift.promotion_uplift(rt, c.pos.tenant_id, c.promotion_id) == report
