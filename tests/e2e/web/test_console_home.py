"""Home: the last 30 days computed in SQL, checked against a shop built through the real
services (registrations, checkout commits, expiry), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from regulars.services.analytics import dashboard
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
    board = dashboard.last_30_days(rt, shop.tenant_id)
    assert (board.first_day, board.last_day) == (date(2026, 2, 1), date(2026, 3, 2))
    assert len(board.days) == 30
    assert (board.members_total, board.members_new) == (2, 1)
    assert (board.receipts_total, board.member_receipts) == (4, 2)
    assert board.identified_share_bp == 5000
    assert board.member_average_minor == 25_000  # (200.00 + 300.00) / 2, before points
    assert board.anonymous_average_minor == 5_000  # (30.00 + 70.00) / 2
    assert (board.points_issued, board.points_spent, board.points_expired) == (54, 10, 15)
    assert board.outstanding_points == 44  # 5 + 20 - 10 + 29; the old member has none
    assert board.outstanding_minor == 4_400
    first, expiry, last = board.days[0], board.days[24], board.days[29]
    assert (first.day, first.member_receipts, first.anonymous_receipts) == (
        date(2026, 2, 1), 1, 1)
    assert (first.points_issued, first.points_spent) == (25, 0)
    assert (expiry.day, expiry.points_expired) == (date(2026, 2, 25), 15)
    assert (last.member_receipts, last.anonymous_receipts, last.points_issued,
            last.points_spent, last.member_gross_minor, last.anonymous_gross_minor) == (
        1, 1, 29, 10, 30_000, 7_000)
    assert sum(d.member_receipts + d.anonymous_receipts for d in board.days[1:29]) == 0


def test_an_empty_business_has_no_averages(rt: Runtime, shop: Shop) -> None:
    board = dashboard.last_30_days(rt, shop.tenant_id)
    assert board.receipts_total == 0 and board.identified_share_bp is None
    assert board.member_average_minor is None and board.outstanding_points == 0


def test_the_page_shows_the_figures_and_charts(client: TestClient, rt: Runtime, shop: Shop,
                                              clock: FakeClock) -> None:
    build(rt, shop, clock)
    add_staff(rt, shop.tenant_id, role="analyst", email="a@example.com", language=None)
    sign_in(client, "a@example.com")
    page = client.get("/console")
    assert page.status_code == 200
    text = page.text
    assert 'id="kpi-identified"' in text and "50\xa0%" in text
    assert "250,00\xa0₽" in text and "50,00\xa0₽" in text  # averages, ru_RU
    assert "44,00\xa0₽" in text  # 44 points worth 1 ₽ each
    assert text.count('<rect class="bar') >= 6  # receipts on two days, points on three
    assert "<svg" in text and "<script" not in text.split("<main")[1].split("</main>")[0]


def test_days_are_local_across_a_clock_change() -> None:
    starts = dashboard.day_starts(date(2026, 3, 30), ZoneInfo("Europe/London"), days=3)
    assert starts == [datetime(2026, 3, 28, 0, 0, tzinfo=UTC),
                      datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
                      datetime(2026, 3, 29, 23, 0, tzinfo=UTC),  # BST from 29 March
                      datetime(2026, 3, 30, 23, 0, tzinfo=UTC)]
