"""Home ("Is it paying?"): the figures computed in SQL, checked against a shop built through
the real services (registrations, checkout commits, expiry), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from regulars.domain.analytics.ranges import Preset
from regulars.services.analytics import figures
from regulars.services.analytics.figures import Request, local_start
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.web.support import add_staff, sign_in
from tests.integration.support import Pos, line, set_program


def build(rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    """A Moscow shop (UTC+3): the window is 1 February to 2 March 2026, local days."""
    pos = Pos(rt, shop)
    clock.now = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
    set_program(rt, shop.tenant_id, levels=[{"code": "base", "name": "Base",
                                             "threshold_minor": 0, "rate_bp": 1000}],
                point_value_minor=100, redeem_share_max_bp=5000, welcome_bonus_points=5,
                expire_after_days=30)
    old = pos.register(1)["id"]  # 5 welcome points, before the window
    pos.commit(old, (line("tea", 10_000),), receipt="r1")  # 10 points, before the window
    clock.now = datetime(2026, 1, 31, 20, 30, tzinfo=UTC)  # 23:30 in Moscow: still January
    pos.commit(None, (line("tea", 5_000),), receipt="r2")
    clock.now = datetime(2026, 1, 31, 21, 30, tzinfo=UTC)  # 00:30 on 1 February in Moscow
    new = pos.register(2)["id"]  # 5 welcome points
    pos.commit(new, (line("cake", 20_000),), receipt="r3")  # 20 points
    pos.commit(None, (line("cake", 3_000),), receipt="r4")
    clock.now = datetime(2026, 2, 25, 10, 0, tzinfo=UTC)
    assert ledger_admin.expire(rt).points == 15  # the old member's points, due 19 February
    clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    body = pos.commit(new, (line("beans", 30_000),), receipt="r5", spend=10)
    assert body["points_earned"] == 29  # 10 % of 290.00 paid after 10 points
    pos.commit(None, (line("beans", 7_000),), receipt="r6")
    clock.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_the_figures_of_the_last_30_days(rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    build(rt, shop, clock)
    board = figures.overview(rt, shop.tenant_id, Request(preset=Preset.LAST_30_DAYS))
    now = board.current
    assert (now.first_day, now.last_day) == (date(2026, 2, 1), date(2026, 3, 2))
    assert len(board.series) == 30
    assert now.members.new == 1
    assert (now.sales.receipts, now.sales.member_receipts) == (4, 2)
    assert now.sales.identified_share_bp == 5000
    assert now.sales.member_average_minor == 24_500  # (200.00 + 290.00 paid) / 2
    assert now.sales.anonymous_average_minor == 5_000  # (30.00 + 70.00) / 2
    assert (now.points.issued, now.points.redeemed, now.points.expired) == (54, 10, 15)
    assert now.sales.reward_cost_minor == 1_000
    first, last = board.series[0], board.series[29]
    assert (first.first_day, first.member_receipts, first.anonymous_receipts) == (
        date(2026, 2, 1), 1, 1)
    assert (last.member_receipts, last.anonymous_receipts, last.revenue_minor) == (
        1, 1, 36_000)
    assert sum(b.member_receipts + b.anonymous_receipts for b in board.series[1:29]) == 0
    before = board.previous  # 2 to 31 January: r1 and r2 (23:30 on 31 January in Moscow)
    assert (before.sales.receipts, before.sales.revenue_minor) == (2, 15_000)


def test_an_empty_business_has_no_averages(rt: Runtime, shop: Shop) -> None:
    board = figures.overview(rt, shop.tenant_id, Request())
    assert board.current.sales.receipts == 0 and board.current.sales.identified_share_bp is None
    assert board.current.sales.member_average_minor is None


def test_the_page_shows_the_figures_and_charts(client: TestClient, rt: Runtime, shop: Shop,
                                              clock: FakeClock) -> None:
    build(rt, shop, clock)
    add_staff(rt, shop.tenant_id, role="analyst", email="a@example.com", language=None)
    sign_in(client, "a@example.com")
    page = client.get("/console")
    assert page.status_code == 200
    text = page.text
    assert 'id="kpi-identified"' in text and "50\xa0%" in text
    assert "245,00\xa0₽" in text and "50,00\xa0₽" in text  # averages, ru_RU
    assert text.count('<rect class="bar') >= 4  # receipts and revenue on two days
    assert "Данные актуальны" in text  # how fresh the figures are (the language is ru)
    # What the reward cost counts, and that the simulator's is a forecast.
    assert '<p class="hint" id="reward-cost-hint">Стоимость вознаграждений: ' in text
    main = text.split("<main")[1].split("</main>")[0]
    assert "<svg" in main and "<script" not in main and "style=" not in main


def test_the_page_takes_a_range_and_names_a_bad_one(client: TestClient, rt: Runtime,
                                                    shop: Shop, clock: FakeClock) -> None:
    build(rt, shop, clock)
    add_staff(rt, shop.tenant_id, role="analyst", email="a@example.com", language="en")
    sign_in(client, "a@example.com")
    page = client.get("/console", params={"range": "custom", "date_from": "2026-01-31",
                                          "date_to": "2026-01-31"})
    assert page.status_code == 200
    assert '<tr id="figure-receipts"><td>Receipts</td><td class="num">1</td>' in page.text
    bad = client.get("/console", params={"range": "custom", "date_from": "2026-02-02",
                                         "date_to": "2026-02-01"})
    assert bad.status_code == 422
    assert "the range ends before it starts" in bad.text
    csv = client.get("/console/analytics/overview.csv",
                     params={"range": "custom", "date_from": "2026-01-31",
                             "date_to": "2026-01-31"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "figure,2026-01-31..2026-01-31,2026-01-30..2026-01-30"
    assert "receipts,1,0" in lines and "revenue_minor,5000,0" in lines


def test_days_are_local_across_a_clock_change() -> None:
    zone = ZoneInfo("Europe/London")
    assert [local_start(date(2026, 3, d), zone) for d in (28, 29, 30)] == [
        datetime(2026, 3, 28, 0, 0, tzinfo=UTC), datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 23, 0, tzinfo=UTC)]  # BST from 29 March
