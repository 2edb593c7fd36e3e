"""The points liability against values computed by hand: outstanding points by expiry month,
breakage from matured lots, the expected cost, and the IFRS 15 months and journal (SQLite,
and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from regulars.domain.analytics.liability import LIABILITY, REVENUE
from regulars.domain.analytics.ranges import Preset
from regulars.services.analytics import liability
from regulars.services.analytics.figures import Request
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, set_program

QUARTER = Request(preset=Preset.CUSTOM, first_day=date(2026, 1, 1), last_day=date(2026, 3, 31))


@pytest.fixture
def pos(rt: Runtime, clock: FakeClock) -> Pos:
    """A Moscow shop, 10 % back in points worth 1.00 each, expiring after 30 days:

    - 10 Jan: A buys for 100.00 (10 points, due 9 Feb); B for 200.00 (20 points, due 9 Feb)
    - 20 Jan: A spends 5 points on 100.00 and pays 95.00 (9 points, due 19 Feb)
    - 15 Feb: the expiry run takes A's 5 left and B's 20
    - 2 Mar: A buys for 200.00 (20 points, due 1 Apr); A's 9 points are overdue, not yet
      expired by the run.
    """
    clock.now = datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
    shop = Pos(rt, make_shop(rt, "Liability Café"))
    set_program(rt, shop.tenant_id, levels=[{"code": "base", "name": "Base",
                                             "threshold_minor": 0, "rate_bp": 1000}],
                point_value_minor=100, redeem_share_max_bp=5000, expire_after_days=30)
    a, b = shop.register(1)["id"], shop.register(2)["id"]
    shop.commit(a, (line("tea", 10_000),), receipt="r1")
    shop.commit(b, (line("cake", 20_000),), receipt="r2")
    clock.now = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
    assert shop.commit(a, (line("tea", 10_000),), receipt="r3", spend=5)["points_earned"] == 9
    clock.now = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
    assert ledger_admin.expire(rt).points == 25
    clock.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    shop.commit(a, (line("beans", 20_000),), receipt="r4")
    return shop


def test_outstanding_breakage_and_expected_cost(pos: Pos, rt: Runtime) -> None:
    found = liability.liability(rt, pos.tenant_id, QUARTER)
    assert (found.outstanding_points, found.outstanding_minor) == (29, 2_900)
    march, april = found.by_expiry[0], found.by_expiry[1]
    assert (march.month, march.points) == (date(2026, 3, 1), 9)  # overdue: due now
    assert (april.month, april.points, april.value_minor) == (date(2026, 4, 1), 20, 2_000)
    assert sum(b.points for b in found.by_expiry) == 29
    assert [b.kind for b in found.by_expiry[-2:]] == ["later", "never"]
    # Matured lots: A's 10 (5 spent, 5 expired), B's 20 (expired), A's 9 (overdue): 34 of 39.
    assert (found.matured_points, found.matured_unspent_points) == (39, 34)
    assert found.breakage_bp == 8718
    # 39 points of two members are no sample: the cost assumes no breakage (29.00, not 3.72).
    assert (found.matured_members, found.enough_history) == (2, False)
    assert found.expected_cost_minor == 2_900


def test_ifrs15_months_and_journal(pos: Pos, rt: Runtime) -> None:
    found = liability.liability(rt, pos.tenant_id, QUARTER)
    assert [(m.points.month, m.points.opening_points, m.points.issued_points,
             m.points.redeemed_points, m.points.expired_points, m.points.other_points,
             m.points.closing_points) for m in found.months] == [
        (date(2026, 1, 1), 0, 39, 5, 0, 0, 34),
        (date(2026, 2, 1), 34, 0, 0, 25, 0, 9),
        (date(2026, 3, 1), 9, 20, 0, 0, 0, 29)]
    assert found.months[1].money.released_expired_minor == 2_500
    lines = liability.journal(rt, pos.tenant_id, QUARTER)
    assert [(ln.day, ln.account, ln.debit_minor, ln.credit_minor) for ln in lines] == [
        (date(2026, 1, 31), REVENUE, 3_900, 0), (date(2026, 1, 31), LIABILITY, 0, 3_900),
        (date(2026, 1, 31), LIABILITY, 500, 0), (date(2026, 1, 31), REVENUE, 0, 500),
        (date(2026, 2, 28), LIABILITY, 2_500, 0), (date(2026, 2, 28), REVENUE, 0, 2_500),
        (date(2026, 3, 31), REVENUE, 2_000, 0), (date(2026, 3, 31), LIABILITY, 0, 2_000)]
    assert sum(ln.debit_minor for ln in lines) == sum(ln.credit_minor for ln in lines)


def test_an_empty_business_owes_nothing(rt: Runtime) -> None:
    shop = make_shop(rt, "Empty")
    found = liability.liability(rt, shop.tenant_id, Request())
    assert found.outstanding_points == 0 and found.breakage_bp is None
    assert not found.enough_history and found.matured_members == 0
    assert found.expected_cost_minor == 0 and liability.journal(rt, shop.tenant_id,
                                                                Request()) == []
