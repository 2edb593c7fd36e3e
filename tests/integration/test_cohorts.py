"""Monthly cohorts and the retention curve against values computed by hand (SQLite, and
PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from regulars.domain.analytics.ranges import Preset
from regulars.services.analytics import cohorts
from regulars.services.analytics.figures import Request
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line

QUARTER = Request(preset=Preset.CUSTOM, first_day=date(2026, 1, 1), last_day=date(2026, 3, 31))


def test_cohorts_and_curve(rt: Runtime, clock: FakeClock) -> None:
    """A and B join in January, C in February, D in March. A buys in January and March, B
    in February (and in March, refunded), C in February and March, D never."""
    clock.now = datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
    pos = Pos(rt, make_shop(rt, "Cohorts"))
    a, b = pos.register(1)["id"], pos.register(2)["id"]
    pos.commit(a, (line("tea", 1_000),), receipt="a-jan")
    clock.now = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
    c = pos.register(3)["id"]
    pos.commit(b, (line("tea", 1_000),), receipt="b-feb")
    pos.commit(c, (line("tea", 1_000),), receipt="c-feb")
    clock.now = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    pos.register(4)
    pos.commit(a, (line("tea", 1_000),), receipt="a-mar")
    pos.commit(c, (line("tea", 1_000),), receipt="c-mar")
    refunded = pos.commit(b, (line("tea", 1_000),), receipt="b-mar")
    pos.refund(refunded["receipt"]["id"], key="refund-b")
    clock.now = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)

    found = cohorts.cohorts(rt, pos.tenant_id, QUARTER)
    assert found.months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert [(row.month, row.members, row.active, row.shares_bp) for row in found.cohorts] == [
        (date(2026, 1, 1), 2, [1, 1, 1], [5000, 5000, 5000]),
        (date(2026, 2, 1), 1, [1, 1], [10000, 10000]),
        (date(2026, 3, 1), 1, [0], [0])]
    assert found.curve_bp == [5000, 6667, 5000]

    march = cohorts.cohorts(rt, pos.tenant_id, Request(preset=Preset.THIS_MONTH))
    assert [(row.members, row.active) for row in march.cohorts] == [(1, [0])]
    assert march.curve_bp == [0]
