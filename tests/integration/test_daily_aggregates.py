"""The daily aggregates the figures read stay equal to the receipts and entries they sum
through commits, refunds, voids, expiry and merges, and migration 0037 back-fills them from
an existing history (SQLite, and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import event, func, select

from regulars.db.analytics import days, gaps, repeats
from regulars.db.analytics.tables import (
    member_purchases,
    purchase_gaps,
    sales_days,
)
from regulars.db.rewards.costs import rewards_by_receipt
from regulars.domain.analytics.ranges import Preset
from regulars.services.analytics import figures
from regulars.services.analytics.figures import Request
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, migrating, set_program

ZONE = ZoneInfo("Europe/Moscow")


def _history(pos: Pos, clock: FakeClock) -> dict[str, int]:
    """Two members, one a duplicate of the other; purchases over two days, a partial refund,
    a full refund, a void, points that expire unspent, then the merge."""
    keep, dup = pos.register(1)["id"], pos.register(2)["id"]
    pos.grant(keep, 300)
    first = pos.commit(dup, (line("tea", 4000),), receipt="d1",
                       occurred_at=clock.now - timedelta(hours=30))
    pos.commit(keep, (line("cake", 10000, 2),), receipt="k1", spend=100)
    gone = pos.commit(dup, (line("cake", 5000),), receipt="d2")
    pos.refund(gone["receipt"]["id"], key="refund-d2")
    part = pos.commit(None, (line("beans", 3000, 3),), receipt="a1")
    pos.refund(part["receipt"]["id"], [(1, 1000)], key="refund-a1")
    void = pos.commit(None, (line("tea", 2000),), receipt="a2")
    pos.void(void["receipt"]["id"], key="void-a2")
    clock.advance(days=31)
    expired = ledger_admin.expire(pos.rt)
    member_ledger.merge(pos.rt, pos.tenant_id, source_id=dup, target_id=keep, key="merge-1")
    return {"keep": keep, "dup": dup, "first_id": first["receipt"]["id"],
            "expired": expired.points}


def _purchases(rt: Runtime, tenant_id: int) -> dict[int, tuple[Any, ...]]:
    c = member_purchases.c
    with rt.db.read() as conn:
        return {r.member_id: (r.first_at, r.second_at, r.receipts) for r in conn.execute(
            select(c.member_id, c.first_at, c.second_at, c.receipts)
            .where(c.tenant_id == tenant_id))}


def test_aggregates_follow_refunds_voids_expiry_and_merges(rt: Runtime,
                                                          clock: FakeClock) -> None:
    pos = Pos(rt, make_shop(rt, "Counted Café"))
    set_program(rt, pos.tenant_id, expire_after_days=30, redeem_share_max_bp=10_000)
    made = _history(pos, clock)
    assert made["expired"] > 0
    assert ledger_admin.check(rt, pos.tenant_id) == []
    board = figures.overview(rt, pos.tenant_id, Request(preset=Preset.LAST_90_DAYS))
    assert board.current.points.expired == made["expired"]
    assert board.current.sales.receipts == 3        # d1, k1 and a1; d2 refunded, a2 voided
    purchases = _purchases(rt, pos.tenant_id)
    # The duplicate's receipts are the kept member's now: d1 first, k1 second.
    assert purchases[made["keep"]][2] == 2
    assert purchases[made["keep"]][0] < purchases[made["keep"]][1]
    assert made["dup"] not in purchases


def test_a_tampered_aggregate_is_reported_by_the_ledger_check(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt))
    pos.commit(None, (line("tea", 4000),), receipt="r1")
    with rt.db.write() as conn:
        conn.execute(sales_days.update().where(sales_days.c.tenant_id == pos.tenant_id)
                     .values(anonymous_revenue_minor=sales_days.c.anonymous_revenue_minor + 1))
    problems = ledger_admin.check(rt, pos.tenant_id)
    assert [(p["kind"], p["counter"], p["expected"], p["stored"]) for p in problems] == [
        ("sales_day", "anonymous_revenue_minor", 4000, 4001)]


def _down_and_up(rt: Runtime, revision: str) -> None:
    """Migrate down to ``revision`` and up again: the back-fills run over what is there."""
    with migrating(rt.db.engine) as (config, conn):
        command.downgrade(config, revision)
        conn.commit()
        command.upgrade(config, "head")
        conn.commit()


def test_migration_0037_backfills_an_existing_history(rt: Runtime, clock: FakeClock) -> None:
    pos = Pos(rt, make_shop(rt, "Old Café"))
    set_program(rt, pos.tenant_id, expire_after_days=30, redeem_share_max_bp=10_000)
    _history(pos, clock)
    with rt.db.read() as conn:
        before = days.expected(conn, pos.tenant_id, ZONE, rewards_by_receipt(conn, pos.tenant_id))
    purchases = _purchases(rt, pos.tenant_id)
    _down_and_up(rt, "0037-1")
    with rt.db.read() as conn:
        rewards = rewards_by_receipt(conn, pos.tenant_id)
        assert days.problems(conn, pos.tenant_id, ZONE, rewards) == []
        assert days.expected(conn, pos.tenant_id, ZONE, rewards) == before
    assert {k: v for k, v in _purchases(rt, pos.tenant_id).items() if v[2]} == \
        {k: v for k, v in purchases.items() if v[2]}


@pytest.mark.parametrize("cashback_bp", [0, 500])
def test_a_commit_writes_its_aggregates_last_in_one_statement_on_postgresql(
        rt: Runtime, cashback_bp: int) -> None:
    """The day's and the member's upserts wait in memory until the end of the unit of work:
    no statement before touches an aggregate row, and on PostgreSQL one statement writes both
    (SQLite: the member's rows recomputed from the receipts, then the day); the cashback a
    commit credits joins its receipt's day row there."""
    pos = Pos(rt, make_shop(rt))
    if cashback_bp:
        set_program(rt, pos.tenant_id, cashback_rate_bp=cashback_bp)
    member = pos.register(1)["id"]
    pos.commit(member, (line("tea", 4000),), receipt="warm-up")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(rt.db.engine, "before_cursor_execute", count)
    try:
        pos.commit(member, (line("tea", 4000),), receipt="counted")
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", count)
    touching = [i for i, s in enumerate(statements)
                if any(table in s for table in ("sales_days", "member_purchases", "purchase_gaps",
                                                "repeat_gaps", "join_days"))]
    if rt.db.engine.dialect.name == "postgresql":
        assert touching == [len(statements) - 1]
    else:
        # the member's purchases recomputed from the receipts, the time zone, then the day
        assert touching[-1] == len(statements) - 1
        assert all(statements[i].lstrip().startswith("SELECT")
                   for i in range(touching[0], len(statements)) if i not in touching)
    assert "member_purchases" in statements[touching[0]]
    assert "sales_days" in statements[-1]
    with rt.db.read() as conn:
        rows = conn.execute(select(func.count()).select_from(sales_days)
                            .where(sales_days.c.tenant_id == pos.tenant_id)).scalar_one()
        bought = conn.execute(select(member_purchases.c.receipts)
                              .where(member_purchases.c.tenant_id == pos.tenant_id,
                                     member_purchases.c.member_id == member)).scalar_one()
    assert rows == 1                  # one till, one day, no cashier: one row
    assert bought == 2
    assert figures.overview(rt, pos.tenant_id, Request(preset=Preset.THIS_MONTH)) \
        .current.sales.reward_cost_minor == 2 * 4000 * cashback_bp // 10_000


def test_the_repeat_rate_counts_a_next_purchase_up_to_the_last_microsecond(
        rt: Runtime, clock: FakeClock) -> None:
    """Of three first-time buyers, one buys again exactly 90 days later, one a microsecond
    after that, one never: the days to the next purchase, rounded up in the unit of work's
    last statement (PostgreSQL) or in Python (SQLite), keep only the first within 90 days,
    and none within 89."""
    pos = Pos(rt, make_shop(rt))
    inside, outside, once = (pos.register(n)["id"] for n in range(3))
    start = clock.now - timedelta(minutes=5, microseconds=250_001)
    for member in (inside, outside, once):
        pos.commit(member, (line("tea", 1000),), receipt=f"first-{member}", occurred_at=start)
    clock.advance(days=90)
    again = {inside: timedelta(days=90), outside: timedelta(days=90, microseconds=1)}
    for member, after in again.items():
        pos.commit(member, (line("tea", 1000),), receipt=f"again-{member}",
                   occurred_at=start + after)
    day = start.astimezone(ZONE).date()
    end = day + timedelta(days=1)
    today = clock.now.astimezone(ZONE).date() + timedelta(days=1)
    with rt.db.read() as conn:
        assert gaps.first_buyers(conn, pos.tenant_id, day, end) == 3
        assert repeats.within(conn, pos.tenant_id, day, end, days=90) == 1
        assert repeats.within(conn, pos.tenant_id, day, end, days=89) == 0
        assert gaps.first_buyers(conn, pos.tenant_id, end, today) == 0
        assert repeats.within(conn, pos.tenant_id, end, today, days=90) == 0
    assert ledger_admin.check(rt, pos.tenant_id) == []


def test_a_tampered_purchase_gap_is_reported_by_the_ledger_check(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt))
    member = pos.register(1)["id"]
    at = pos.commit(member, (line("tea", 4000),), receipt="r1")["receipt"]["occurred_at"]
    day = datetime.fromisoformat(at).astimezone(ZONE).date()
    with rt.db.write() as conn:
        conn.execute(purchase_gaps.update().where(purchase_gaps.c.tenant_id == pos.tenant_id)
                     .values(members=purchase_gaps.c.members + 1))
    problems = ledger_admin.check(rt, pos.tenant_id)
    assert [(p["kind"], p["day"], p["previous_day"], p["expected"], p["stored"])
            for p in problems] == [("purchase_gap", day.isoformat(), "1970-01-01", 1, 2)]


def test_migration_0043_backfills_the_purchase_gaps(rt: Runtime, clock: FakeClock) -> None:
    pos = Pos(rt, make_shop(rt, "Old Café"))
    set_program(rt, pos.tenant_id, expire_after_days=30, redeem_share_max_bp=10_000)
    _history(pos, clock)
    pos.commit(pos.register(7)["id"], (line("tea", 1000),), receipt="late")
    c = purchase_gaps.c
    with rt.db.read() as conn:
        before = conn.execute(select(c.day, c.previous_day, c.members)
                              .where(c.tenant_id == pos.tenant_id, c.members != 0)
                              .order_by(c.day, c.previous_day)).all()
    assert sum(row.members for row in before) == 3   # keep: two days (d1 and k1), the late one
    _down_and_up(rt, "0043-1")
    with rt.db.read() as conn:
        assert conn.execute(select(c.day, c.previous_day, c.members)
                            .where(c.tenant_id == pos.tenant_id)
                            .order_by(c.day, c.previous_day)).all() == before
        assert days.problems(conn, pos.tenant_id, ZONE,
                             rewards_by_receipt(conn, pos.tenant_id)) == []


def test_members_active_and_buyers_before_a_day_match_each_members_local_days(
        rt: Runtime, clock: FakeClock) -> None:
    """Over 120 days of random purchases (some sent late by an offline till, several on one
    day or at one instant), refunds, voids and a merge by 6 members, the members active in
    spans of local days and the buyers before a day, from ``purchase_gaps``, equal a plain
    count over each member's net receipts' local days."""
    pos = Pos(rt, make_shop(rt))
    people = [pos.register(n)["id"] for n in range(6)]
    chance = random.Random(43)
    history: dict[int, tuple[int, datetime]] = {}
    for n in range(60):
        clock.advance(days=chance.choice((0, 0, 1, 2, 4)), hours=chance.randint(0, 23))
        member = chance.choice(people)
        at = clock.now - timedelta(days=chance.choice((0, 0, 0, 1, 6)))
        done = pos.commit(member, (line("tea", 1000),), receipt=f"r{n}", occurred_at=at)
        history[done["receipt"]["id"]] = (member, at)
        if chance.random() < 0.15:
            pos.refund(done["receipt"]["id"], key=f"refund-{n}")
            del history[done["receipt"]["id"]]
        elif chance.random() < 0.05:
            pos.void(done["receipt"]["id"], key=f"void-{n}")
            del history[done["receipt"]["id"]]
    member_ledger.merge(rt, pos.tenant_id, source_id=people[1], target_id=people[0],
                        key="merge-1")
    sold = [(people[0] if m == people[1] else m, at.astimezone(ZONE).date())
            for m, at in history.values()]
    today = clock.now.astimezone(ZONE).date()
    with rt.db.read() as conn:
        for back in range(0, 130, 3):
            end = today + timedelta(days=1) - timedelta(days=back)
            assert gaps.buyers_before(conn, pos.tenant_id, end) == len(
                {m for m, day in sold if day < end})
            for span in (1, 2, 7, 30, 90):
                first: date = end - timedelta(days=span)
                assert gaps.active(conn, pos.tenant_id, first, end) == len(
                    {m for m, day in sold if first <= day < end}), (back, span)
    assert ledger_admin.check(rt, pos.tenant_id) == []
