"""The figures against values computed by hand on a small history: refunds, voids, an offline
receipt on either side of local midnight, a store and a cashier filter (SQLite, and
PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from regulars.domain.analytics.ranges import Preset
from regulars.errors import InvalidInput, NotFound
from regulars.services.analytics import figures
from regulars.services.analytics.figures import Request, Windows
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Figures Café"))


def history(pos: Pos) -> dict[str, int]:
    """Today is 2 March 2026, 13:00 in Moscow (UTC+3). This month so far (1-2 March):

    - r1: member A, 2 x 100.00, 10.00 paid with 10 points           kept: 190.00, 2 items
    - r2: anonymous, 50.00                                          kept: 50.00, 1 item
    - r3: member B, 100.00, refunded in full                        no sale
    - r4: anonymous, 30.00, voided                                  no sale
    - r5: member A, 2 x 100.00, one returned                        kept: 100.00, 1 item
    - r6: member B, 40.00 at 00:30 local on 1 March (offline)       kept: 40.00, 1 item
    And in the period before (27-28 February): r0, member A, 60.00 at 23:00 local on 28 Feb.
    """
    a, b = pos.register(1)["id"], pos.register(2)["id"]
    pos.grant(a, 500)
    r0 = pos.commit(a, (line("tea", 6000),), receipt="r0",
                    occurred_at=datetime(2026, 2, 28, 20, 0, tzinfo=UTC))
    r6 = pos.commit(b, (line("tea", 4000),), receipt="r6",
                    occurred_at=datetime(2026, 2, 28, 21, 30, tzinfo=UTC))
    r1 = pos.commit(a, (line("cake", 10000, 2),), receipt="r1", spend=10)
    pos.commit(None, (line("beans", 5000),), receipt="r2")
    r3 = pos.commit(b, (line("cake", 10000),), receipt="r3")
    pos.refund(r3["receipt"]["id"], key="refund-r3")
    r4 = pos.commit(None, (line("tea", 3000),), receipt="r4")
    pos.void(r4["receipt"]["id"], key="void-r4")
    r5 = pos.commit(a, (line("cake", 10000, 2),), receipt="r5")
    refund5 = pos.refund(r5["receipt"]["id"], [(1, 1000)], key="refund-r5")["refund"]
    earned = r1["points_earned"] + r5["points_earned"] + r6["points_earned"]
    return {"a": a, "b": b, "r0_earned": r0["points_earned"],
            "r1_discount": r1["points_discount_minor"],
            "issued": earned - refund5["points_reversed"]}


def test_this_month_net_of_refunds_and_voids(pos: Pos, rt: Runtime) -> None:
    made = history(pos)
    board = figures.overview(rt, pos.tenant_id, Request(preset=Preset.THIS_MONTH))
    now = board.current
    assert (now.first_day, now.last_day) == (date(2026, 3, 1), date(2026, 3, 2))
    assert made["r1_discount"] == 1000
    sales = now.sales
    assert (sales.receipts, sales.member_receipts, sales.anonymous_receipts) == (4, 3, 1)
    assert sales.revenue_minor == 19000 + 5000 + 10000 + 4000
    assert sales.reward_cost_minor == 1000
    assert sales.discount_minor == 0
    assert sales.member_average_minor == 11000          # (19000 + 10000 + 4000) / 3
    assert sales.anonymous_average_minor == 5000
    assert sales.member_uplift_minor == 6000
    assert sales.average_minor == 9500                  # 38000 / 4
    assert sales.items_per_receipt_milli == 1250        # 5 items / 4 receipts
    assert sales.identified_share_bp == 7500
    points = now.points
    assert points.issued == made["issued"] > 0
    assert points.redeemed == 10 and points.expired == 0
    assert points.reward_cost_share_bp == 263           # 1000 / 38000 = 2.63 %
    members = now.members
    assert members.new == 2
    assert (members.active, members.visits_per_active_milli) == (2, 2000)  # A: r0 r1 r5, B: r6
    # B's first purchase (r6) is this month and B has none after: A's first was in February.
    assert (members.first_time_buyers, members.repeat_rate_bp) == (1, 0)
    assert (members.at_risk, members.churned) == (0, 0)


def test_previous_period_of_equal_length(pos: Pos, rt: Runtime) -> None:
    made = history(pos)
    before = figures.overview(rt, pos.tenant_id, Request(preset=Preset.THIS_MONTH)).previous
    assert (before.first_day, before.last_day) == (date(2026, 2, 27), date(2026, 2, 28))
    assert (before.sales.receipts, before.sales.revenue_minor) == (1, 6000)
    assert before.sales.anonymous_average_minor is None
    assert before.sales.member_uplift_minor is None
    assert before.points.issued == made["r0_earned"]
    assert (before.members.first_time_buyers, before.members.repeat_rate_bp) == (1, 10000)


def test_series_puts_the_offline_receipt_on_its_local_day(pos: Pos, rt: Runtime) -> None:
    history(pos)
    series = figures.overview(rt, pos.tenant_id, Request(preset=Preset.THIS_MONTH)).series
    assert [(b.first_day, b.member_receipts, b.anonymous_receipts, b.revenue_minor)
            for b in series] == [(date(2026, 3, 1), 1, 0, 4000),
                                 (date(2026, 3, 2), 2, 1, 34000)]


def test_churned_and_at_risk_count_from_the_period_end(pos: Pos, rt: Runtime,
                                                       clock: FakeClock) -> None:
    history(pos)
    clock.advance(days=100)       # 10 June: everyone last bought 100 days ago
    board = figures.overview(rt, pos.tenant_id, Request(preset=Preset.LAST_30_DAYS))
    assert (board.current.members.at_risk, board.current.members.churned) == (2, 0)
    assert board.current.members.active == 0
    clock.advance(days=100)
    board = figures.overview(rt, pos.tenant_id, Request(preset=Preset.LAST_30_DAYS))
    assert (board.current.members.at_risk, board.current.members.churned) == (0, 2)


def test_store_and_cashier_filters(pos: Pos, rt: Runtime) -> None:
    history(pos)
    other = make_shop(rt, "Elsewhere")
    store = figures.overview(rt, pos.tenant_id, Request(preset=Preset.THIS_MONTH,
                                                        store_id=pos.shop.store_id))
    assert store.current.sales.receipts == 4
    with pytest.raises(NotFound):
        figures.overview(rt, pos.tenant_id, Request(store_id=other.store_id))
    with pytest.raises(NotFound):
        figures.overview(rt, pos.tenant_id, Request(staff_id=10**9))


def test_custom_range_and_bad_input(pos: Pos, rt: Runtime) -> None:
    history(pos)
    board = figures.overview(rt, pos.tenant_id, Request(
        preset=Preset.CUSTOM, first_day=date(2026, 2, 1), last_day=date(2026, 3, 2)))
    assert board.current.sales.receipts == 5
    assert board.previous.last_day == date(2026, 1, 31)
    assert len(board.series) == 30
    for request, field in [
            (Request(preset=Preset.CUSTOM, last_day=date(2026, 3, 2)), "from"),
            (Request(preset=Preset.CUSTOM, first_day=date(2026, 3, 2)), "to"),
            (Request(preset=Preset.CUSTOM, first_day=date(2026, 3, 2),
                     last_day=date(2026, 3, 1)), "to"),
            (Request(preset=Preset.CUSTOM, first_day=date(2000, 1, 1),
                     last_day=date(2026, 3, 1)), "to"),
            (Request(windows=Windows(active_days=0)), "active_days"),
            (Request(windows=Windows(at_risk_days=200, churn_days=100)), "churn_days")]:
        with pytest.raises(InvalidInput) as caught:
            figures.overview(rt, pos.tenant_id, request)
        assert caught.value.field == field
