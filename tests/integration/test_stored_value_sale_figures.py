"""A receipt that only sells a gift card (no lines) is no purchase in the figures: not a
receipt of the sales figures, not a member's visit, not a purchase day of the CLV summary, not
a receipt of the fraud scan; the card it sold still shows in the stored-value report; and
migration 0065 takes such receipts out of aggregates that counted them (SQLite, and
PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import select, update

from regulars.db.analytics import days, fraud, purchases
from regulars.db.analytics.tables import member_purchases, sales_days
from regulars.db.rewards.costs import rewards_by_receipt
from regulars.domain.analytics.local_days import offset_spans
from regulars.domain.analytics.ranges import Preset
from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.services.analytics import figures
from regulars.services.analytics.figures import Request
from regulars.services.audit import audit
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates
from regulars.services.stored_value.certificates import IssueOrder
from regulars.services.stored_value.sales import CertificateSale
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, migrating

ZONE = ZoneInfo("Europe/Moscow")  # the test shop's


def cards_for_sale(pos: Pos, count: int) -> list[str]:
    """Codes of gift cards for the tills to sell, of 10.00 to 1000.00."""
    series = certificates.create_series(pos.rt, pos.tenant_id, SeriesTerms(
        name="Gift", min_minor=1000, max_minor=100_000, valid_days=365), actor=audit.SYSTEM)
    return list(certificates.issue(pos.rt, pos.tenant_id, IssueOrder(
        series_id=series.id, count=count, amount_minor=1000, for_sale=True),
        actor=audit.SYSTEM).codes)


def sell_card(pos: Pos, member_id: int | None, code: str, amount_minor: int, *,
              receipt: str, occurred_at: datetime | None = None) -> int:
    """Sell the card ``code`` alone (a receipt with no lines); the receipt's id."""
    request = CommitRequest(
        sale=Sale(member=None if member_id is None else MemberRef(id=member_id), lines=()),
        receipt_id=receipt, occurred_at=occurred_at,
        certificates_sold=(CertificateSale(code=code, amount_minor=amount_minor),))
    body = checkout_commit.commit(pos.rt, pos.till(), request, key=f"commit-{receipt}",
                                  payload={"receipt_id": receipt, "card": code}).body
    return int(body["receipt"]["id"])


def _history(pos: Pos, clock: FakeClock) -> int:
    """A member buys tea for 40.00 two days ago, then a 25.00 gift card alone yesterday and
    today; an anonymous customer buys a 50.00 card alone today. The member's id."""
    member = pos.register(1)["id"]
    codes = cards_for_sale(pos, 3)
    pos.commit(member, (line("tea", 4000),), receipt="t1",
               occurred_at=clock.now - timedelta(days=2))
    sell_card(pos, member, codes[0], 2500, receipt="g1",
              occurred_at=clock.now - timedelta(days=1))
    sell_card(pos, member, codes[1], 2500, receipt="g2")
    sell_card(pos, None, codes[2], 5000, receipt="g3")
    return int(member)


def test_a_gift_card_sold_alone_is_no_receipt_visit_or_purchase_day(
        rt: Runtime, clock: FakeClock) -> None:
    pos = Pos(rt, make_shop(rt, "Gift Café"))
    member = _history(pos, clock)
    assert ledger_admin.check(rt, pos.tenant_id) == []
    board = figures.overview(rt, pos.tenant_id, Request(preset=Preset.LAST_30_DAYS))
    sales = board.current.sales
    # One receipt of 40.00 with one item, a member's: the cards' receipts are not there.
    assert (sales.receipts, sales.revenue_minor, sales.average_minor) == (1, 4000, 4000)
    assert (sales.items_per_receipt_milli, sales.identified_share_bp) == (1000, 10_000)
    assert (board.current.members.active, board.current.members.first_time_buyers) == (1, 1)
    assert board.current.members.visits_per_active_milli == 1000
    with rt.db.read() as conn:
        row = conn.execute(select(member_purchases.c.receipts, member_purchases.c.second_at)
                           .where(member_purchases.c.tenant_id == pos.tenant_id,
                                  member_purchases.c.member_id == member)).one()
        assert (row.receipts, row.second_at) == (1, None)
        until = clock.now + timedelta(days=1)
        start = datetime.combine(date(2000, 1, 1), time(), UTC)
        spans = offset_spans(ZONE, start, until)
        # (member, purchase days, first day, last day, spend, first day's spend)
        bought = list(purchases.member_purchases(conn, pos.tenant_id, until=until,
                                                 spans=spans))
        assert [(b[0], b[1], b[4]) for b in bought] == [(member, 1, 4000)]
        facts = fraud.counted_groups(conn, pos.tenant_id, start=start, end=until,
                                      burst_window_minutes=120)
        assert [f.member_id for f in facts] == []  # t1 has no cashier; the cards none at all
    # The cards sold are owed to their holders: 25.00 + 25.00 + 50.00.
    assert certificates.report(rt, pos.tenant_id).certificates_liability_minor == 10_000


def test_migration_0065_takes_stored_value_sales_out_of_aggregates_that_counted_them(
        rt: Runtime, clock: FakeClock) -> None:
    pos = Pos(rt, make_shop(rt, "Old Gift Café"))
    member = _history(pos, clock)
    with rt.db.read() as conn:
        rewards = rewards_by_receipt(conn, pos.tenant_id)
        before = days.expected(conn, pos.tenant_id, ZONE, rewards)
    # What the aggregates held before: each card's receipt counted, and the member's two
    # card receipts as purchases.
    with rt.db.write() as conn:
        conn.execute(update(sales_days).where(sales_days.c.tenant_id == pos.tenant_id)
                     .values(member_receipts=sales_days.c.member_receipts + 1,
                             anonymous_receipts=sales_days.c.anonymous_receipts + 1))
        conn.execute(update(member_purchases)
                     .where(member_purchases.c.tenant_id == pos.tenant_id,
                            member_purchases.c.member_id == member)
                     .values(receipts=3, second_at=clock.now - timedelta(days=1),
                             last_at=clock.now))
    assert ledger_admin.check(rt, pos.tenant_id) != []
    with migrating(rt.db.engine) as (config, conn):
        command.downgrade(config, "0062")
        conn.commit()
        command.upgrade(config, "head")
        conn.commit()
    assert ledger_admin.check(rt, pos.tenant_id) == []
    with rt.db.read() as conn:
        assert days.expected(conn, pos.tenant_id, ZONE, rewards) == before
    board = figures.overview(rt, pos.tenant_id, Request(preset=Preset.LAST_30_DAYS))
    assert board.current.sales.receipts == 1
