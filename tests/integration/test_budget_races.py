"""Budgets under concurrency: 20 commits released together by a barrier, on SQLite (writers
queue on ``BEGIN IMMEDIATE``) and PostgreSQL (READ COMMITTED, conditional updates). No commit
is refused for a budget: a losing commit is priced again without the promotion."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select, text

from regulars.db.promotions import budgets as budget_store
from regulars.db.promotions.tables import promotion_budget_slots
from regulars.domain.promotions.budgets import Limits
from regulars.domain.promotions.promotions import BonusPoints, FixedDiscount
from regulars.errors import RegularsError
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.promotions import budgets, promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos, line, run_together

THREADS = 20
CUPS = (line("cup", 1000, 2),)


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Rush Café"))


def offer(pos: Pos, name: str, *, amount_minor: int = 100, points: int = 0,
          **limits: Any) -> int:
    effects = (FixedDiscount(amount_minor=amount_minor),) + (
        (BonusPoints(points=points),) if points else ())
    return int(promotions.create(pos.rt, pos.tenant_id, Draft(
        name=name, effects=effects, limits=Limits(**limits)), actor=audit.SYSTEM).id)


def bodies(results: list[Any]) -> list[dict[str, Any]]:
    assert not any(isinstance(r, RegularsError) for r in results), results
    return list(results)


def got(results: list[dict[str, Any]], promotion_id: int) -> int:
    return sum(promotion_id in [p["id"] for p in r["promotions"]] for r in results)


def test_twenty_commits_never_overshoot_a_promotion_budget(pos: Pos, rt: Runtime) -> None:
    money = offer(pos, "Money", budget_minor=1000)  # ten receipts' worth
    points = offer(pos, "Points", amount_minor=50, points=10, budget_points=70)  # seven
    members = [pos.register(i)["id"] for i in range(THREADS)]

    results = bodies(run_together(THREADS, lambda i: pos.commit(
        members[i], CUPS, receipt=f"R-{i}", till=i % 2)))

    assert got(results, money) == 10 and got(results, points) == 7
    for r in results:  # every receipt is priced by what it got
        assert r["discount_minor"] == sum(p["discount_minor"] for p in r["promotions"])
    view = to_json(budgets.promotion_burn(rt, pos.tenant_id, money))["budget"]
    assert (view["spent_minor"], view["remaining_minor"]) == (1000, 0)
    view = to_json(budgets.promotion_burn(rt, pos.tenant_id, points))["budget"]
    assert view["spent_points"] == 70
    assert ledger_admin.check(rt) == []


def test_a_budget_split_over_slots_runs_out_exactly_under_twenty_commits(
        pos: Pos, rt: Runtime) -> None:
    # Each of the sixteen slots holds one receipt's 0.70 and 0.11 or 0.12 besides: the last
    # receipts that fit are charged across slots, and the total is exact however they
    # interleave.
    offer_id = offer(pos, "Slots", amount_minor=70, budget_minor=1300)
    members = [pos.register(i)["id"] for i in range(THREADS)]

    results = bodies(run_together(THREADS, lambda i: pos.commit(
        members[i], CUPS, receipt=f"R-{i}", till=i % 2)))

    assert got(results, offer_id) == 1300 // 70 == 18
    view = to_json(budgets.promotion_burn(rt, pos.tenant_id, offer_id))["budget"]
    assert (view["spent_minor"], view["remaining_minor"]) == (1260, 40)
    with rt.db.read() as conn:  # what the slots hold agrees with what the receipts got
        assert budget_store.spent_by_slots(conn, pos.tenant_id, [offer_id]) == {
            offer_id: (1260, 0)}
    assert ledger_admin.check(rt) == []


def test_one_member_racing_a_daily_use_limit_and_a_member_cap(pos: Pos, rt: Runtime) -> None:
    daily = offer(pos, "Daily", uses_per_day=3)
    capped = offer(pos, "Capped", amount_minor=70, member_minor=500)  # seven uses' worth
    member = pos.register(1)["id"]

    results = bodies(run_together(THREADS, lambda i: pos.commit(
        member, CUPS, receipt=f"R-{i}", till=i % 2)))

    assert got(results, daily) == 3
    assert got(results, capped) == 7
    assert ledger_admin.check(rt) == []


def test_the_mass_bucket_holds_under_twenty_commits(pos: Pos, rt: Runtime) -> None:
    first = offer(pos, "First", amount_minor=100)
    second = offer(pos, "Second", amount_minor=100, points=1)  # costs 2.00
    budgets.put_split(rt, pos.tenant_id, total_minor=4000, base_bp=5000, mass_bp=2500,
                      targeted_bp=2500, actor=audit.SYSTEM)  # mass: 10.00
    members = [pos.register(i)["id"] for i in range(THREADS)]

    results = bodies(run_together(THREADS, lambda i: pos.commit(
        members[i], CUPS, receipt=f"R-{i}", till=i % 2)))

    spent = to_json(budgets.burn(rt, pos.tenant_id))["buckets"]["mass"]["spent_minor"]
    costs = sum(p["discount_minor"] + p["points"] * 100 for r in results
                for p in r["promotions"])
    assert spent == costs <= 1000
    assert spent >= 1000 - 300  # it stops only when no promotion fits any more
    assert got(results, first) + got(results, second) > 0
    assert ledger_admin.check(rt) == []


def test_a_cap_set_among_twenty_commits_counts_every_receipt_once(
        pos: Pos, rt: Runtime) -> None:
    # The new cap's slots hold the cap less what the receipts got: a commit priced without
    # the cap must have finished before they are filled, or it prices under the cap.
    offer_id = offer(pos, "Capped later", amount_minor=100)
    members = [pos.register(i)["id"] for i in range(THREADS)]

    def step(i: int) -> Any:
        if i == THREADS:
            return promotions.update(rt, pos.tenant_id, offer_id, Draft(
                name="Capped later", effects=(FixedDiscount(amount_minor=100),),
                limits=Limits(budget_minor=1000)), actor=audit.SYSTEM)
        return pos.commit(members[i], CUPS, receipt=f"R-{i}", till=i % 2)

    results = bodies(run_together(THREADS + 1, step)[:THREADS])

    with rt.db.read() as conn:
        by_receipts = budget_store.promotion_spent(conn, pos.tenant_id, [offer_id])[offer_id]
        by_slots = budget_store.spent_by_slots(conn, pos.tenant_id, [offer_id])[offer_id]
    assert by_receipts == by_slots == (100 * got(results, offer_id), 0)
    assert ledger_admin.check(rt) == []


def test_a_commit_that_finds_every_slot_busy_at_its_end_commits_the_careful_way(
        pos: Pos, rt: Runtime) -> None:
    # The slots are charged last by a statement that never waits; with all of them held
    # elsewhere it charges nothing, the commit is rolled back and runs again charging right
    # after pricing, where it waits for a slot: once they are free it commits, charged once.
    if rt.db.engine.dialect.name != "postgresql":
        pytest.skip("nothing is ever busy on SQLite")
    offer_id = offer(pos, "Busy", amount_minor=100, budget_minor=3200)  # 2.00 a slot
    member = pos.register(1)["id"]
    s = promotion_budget_slots.c
    with rt.db.engine.connect() as holder, ThreadPoolExecutor(max_workers=1) as pool:
        holder.begin()
        assert len(holder.execute(select(s.id).where(s.promotion_id == offer_id)
                                  .with_for_update()).all()) == 16
        started = pool.submit(pos.commit, member, CUPS, receipt="R-busy")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not holder.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar_one():
            time.sleep(0.05)
        assert not started.done()
        holder.rollback()
        result = started.result(timeout=30)
    assert got([result], offer_id) == 1 and result["discount_minor"] == 100
    with rt.db.read() as conn:
        assert budget_store.spent_by_slots(conn, pos.tenant_id, [offer_id]) == {
            offer_id: (100, 0)}
        assert budget_store.promotion_spent(conn, pos.tenant_id, [offer_id]) == {
            offer_id: (100, 0)}
    assert ledger_admin.check(rt) == []


def test_a_commit_with_an_uncapped_promotion_locks_none_of_its_rows(
        pos: Pos, rt: Runtime) -> None:
    # A chain-wide promotion without a cap: a commit that applies it must not wait for a
    # transaction holding the promotion's rows (as an edit holds them), as it would if it
    # locked them itself, which every till's commit would then queue on.
    if rt.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks")
    offer_id = offer(pos, "Everywhere", amount_minor=100)
    member = pos.register(1)["id"]
    with rt.db.engine.connect() as holder, ThreadPoolExecutor(max_workers=1) as pool:
        holder.begin()
        for table in ("promotions", "promotion_budgets", "promotion_budget_slots"):
            column = "id" if table == "promotions" else "promotion_id"
            holder.execute(text(f"SELECT 1 FROM {table} WHERE {column} = :id FOR UPDATE"),
                           {"id": offer_id})
        started = pool.submit(pos.commit, member, CUPS, receipt="R-uncapped")
        try:
            result = started.result(timeout=20)
        finally:
            holder.rollback()
    assert got([result], offer_id) == 1 and result["discount_minor"] == 100
    assert ledger_admin.check(rt) == []
