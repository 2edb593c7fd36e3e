"""The rewards catalogue on both databases: a reward claimed at the till or in advance, its
points spent once and returned once by the refund of its line, an unused code expiring back to
points (or not), and stock limits exact under 20 concurrent claims."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select

from regulars.db.analytics.tables import sales_days
from regulars.domain.analytics.ranges import Preset
from regulars.domain.rewards.catalog import RewardDraft
from regulars.errors import CodeRefused, InsufficientPoints, RegularsError, RewardRefused
from regulars.services.analytics import breakdowns, figures
from regulars.services.audit import audit
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.program import programs
from regulars.services.promotions import budgets
from regulars.services.results import to_json
from regulars.services.rewards import catalog, claims
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, migrating, run_together, set_program

THREADS = 20
BASKET = (line("CAP-M", 350, category="coffee"), line("BUN", 200, category="bakery"))
ACTOR = audit.SYSTEM


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Reward Café"))


def reward(rt: Runtime, pos: Pos, **terms: Any) -> int:
    values: dict[str, Any] = {"kind": "product", "points_cost": 200, "sku": "CAP-M",
                              "titles": {"en": "Free coffee"}, "descriptions": {}, **terms}
    return catalog.create(rt, pos.tenant_id, RewardDraft(**values), actor=ACTOR).id


def commit(pos: Pos, member_id: int, receipt: str, *, reward_id: int | None = None,
           code: str | None = None, till: int = 0,
           occurred_at: datetime | None = None) -> dict[str, Any]:
    sale = Sale(member=MemberRef(id=member_id), lines=BASKET, reward_id=reward_id,
                reward_code=code)
    body = checkout_commit.commit(
        pos.rt, pos.till(till),
        CommitRequest(sale=sale, receipt_id=receipt, occurred_at=occurred_at),
        key=f"key-{receipt}", payload={"receipt": receipt, "reward_id": reward_id,
                                       "reward_code": code}).body
    return body


def assert_clean(rt: Runtime) -> None:
    assert ledger_admin.check(rt) == []


def test_a_reward_claimed_at_the_till_spends_its_points_and_comes_off_its_line(
        pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    coffee = reward(rt, pos)
    reward(rt, pos, points_cost=900, titles={"en": "Too dear"})
    offered = pos.quote(member, BASKET)["rewards"]
    assert [(r["id"], r["discount_minor"]) for r in offered] == [(coffee, 350)]

    body = commit(pos, member, "R-1", reward_id=coffee)

    assert body["reward"] == {"id": coffee, "title": "Free coffee", "points": 200,
                              "discount_minor": 350, "line_nos": [1]}
    assert body["points_spent"] == 200 and body["points_discount_minor"] == 350
    assert body["paid_minor"] == 200
    assert body["lines"][0]["points_spent"] == 200 and body["lines"][0]["paid_minor"] == 0
    assert any(e["code"] == "reward_claimed" for e in body["explanations"])
    assert pos.balance(member) == 500 - 200 + body["points_earned"]
    used = catalog.list_claims(rt, pos.tenant_id, member_id=member).items
    assert [(c.status, c.receipt_id, c.line_no, c.cost_minor) for c in used] == [
        ("used", body["receipt"]["id"], 1, 350)]
    assert catalog.get(rt, pos.tenant_id, coffee).issued == 1
    assert_clean(rt)


def test_a_reward_with_no_matching_line_or_too_few_points_is_refused(
        pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 150)
    coffee = reward(rt, pos)
    tea = reward(rt, pos, sku="TEA", points_cost=100)
    with pytest.raises(RewardRefused) as dear:
        commit(pos, member, "R-1", reward_id=coffee)
    assert dear.value.field == "reward_id"
    with pytest.raises(RewardRefused, match="no line"):
        commit(pos, member, "R-2", reward_id=tea)
    assert pos.balance(member) == 150
    assert catalog.list_claims(rt, pos.tenant_id).items == ()


def test_refunding_the_rewarded_line_returns_its_points_once(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    coffee = reward(rt, pos)
    body = commit(pos, member, "R-1", reward_id=coffee)
    receipt = body["receipt"]["id"]
    after_sale = pos.balance(member)

    refunded = pos.refund(receipt, [(1, 1000)], key="refund-1")

    assert refunded["refund"]["points_returned"] == 200
    assert pos.balance(member) == after_sale + 200
    again = pos.refund(receipt, [(2, 1000)], key="refund-2")
    assert again["refund"]["points_returned"] == 0
    assert pos.balance(member) == after_sale + 200 - body["points_earned"]
    assert [c.status for c in catalog.list_claims(rt, pos.tenant_id).items] == ["refunded"]
    assert_clean(rt)


def test_a_code_claimed_in_advance_is_used_once_and_its_refund_returns_the_points_once(
        pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    coffee = reward(rt, pos, claim_days=7)
    claimed = claims.claim_in_advance(rt, pos.tenant_id, member, coffee)
    assert pos.balance(member) == 300

    body = commit(pos, member, "R-1", code=claimed.code.lower())

    assert body["reward"]["points"] == 0 and body["reward"]["discount_minor"] == 350
    assert body["points_spent"] == 0
    with pytest.raises(CodeRefused):
        commit(pos, member, "R-2", code=claimed.code)
    before = pos.balance(member)
    pos.refund(body["receipt"]["id"], [(1, 1000)], key="refund-1")
    pos.refund(body["receipt"]["id"], None, key="refund-2")
    assert pos.balance(member) == before + 200 - body["points_earned"]
    assert [c.status for c in catalog.list_claims(rt, pos.tenant_id).items] == ["refunded"]
    assert_clean(rt)


def test_an_unused_code_expires_back_to_points_or_not_as_the_reward_says(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    back = reward(rt, pos, claim_days=3)
    kept = reward(rt, pos, claim_days=3, refund_on_expiry=False, titles={"en": "Gift"},
                  kind="perk", sku="", points_cost=100)
    code = claims.claim_in_advance(rt, pos.tenant_id, member, back).code
    claims.claim_in_advance(rt, pos.tenant_id, member, kept)
    assert pos.balance(member) == 200
    clock.advance(days=2)
    assert claims.expire_claims(rt) == claims.ExpiryReport(expired=0, points_returned=0)

    clock.advance(days=2)
    assert claims.expire_claims(rt) == claims.ExpiryReport(expired=2, points_returned=200)
    assert claims.expire_claims(rt) == claims.ExpiryReport(expired=0, points_returned=0)

    assert pos.balance(member) == 400
    with pytest.raises(CodeRefused):
        commit(pos, member, "R-1", code=code)
    assert {c.status for c in catalog.list_claims(rt, pos.tenant_id).items} == {"expired"}
    assert_clean(rt)


def test_a_claim_in_advance_without_the_points_is_refused_and_writes_nothing(
        pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 100)
    coffee = reward(rt, pos, stock_total=1)
    with pytest.raises(RewardRefused):
        claims.claim_in_advance(rt, pos.tenant_id, member, coffee)
    assert catalog.get(rt, pos.tenant_id, coffee).issued == 0
    assert pos.balance(member) == 100


def _split(results: list[Any]) -> tuple[list[Any], list[RegularsError]]:
    return ([r for r in results if not isinstance(r, RegularsError)],
            [r for r in results if isinstance(r, RegularsError)])


def test_twenty_concurrent_till_claims_never_pass_the_total_stock(
        pos: Pos, rt: Runtime) -> None:
    members = [pos.register(i)["id"] for i in range(THREADS)]
    for member in members:
        pos.grant(member, 300)
    coffee = reward(rt, pos, stock_total=5)

    results = run_together(THREADS, lambda i: commit(pos, members[i], f"R-{i}",
                                                     reward_id=coffee, till=i % 2))

    wins, losses = _split(results)
    assert len(wins) == 5, losses
    assert all(isinstance(e, RewardRefused) for e in losses), losses
    assert catalog.get(rt, pos.tenant_id, coffee).issued == 5
    assert len(catalog.list_claims(rt, pos.tenant_id).items) == 5
    assert sum(pos.balance(m) for m in members) == (
        300 * THREADS - 200 * 5 + sum(w["points_earned"] for w in wins))
    assert_clean(rt)


def test_twenty_concurrent_claims_in_advance_never_pass_the_days_stock(
        pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 100 * THREADS)
    bun = reward(rt, pos, sku="BUN", points_cost=100, stock_per_day=3)

    results = run_together(THREADS, lambda _: claims.claim_in_advance(
        rt, pos.tenant_id, member, bun))

    wins, losses = _split(results)
    assert len(wins) == 3, losses
    assert all(isinstance(e, RewardRefused | InsufficientPoints) for e in losses), losses
    assert len({w.code for w in wins}) == 3
    assert pos.balance(member) == 100 * THREADS - 300
    assert_clean(rt)


def test_a_refunded_or_expired_claim_gives_its_stock_back_once(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)
    coffee = reward(rt, pos, stock_total=1, stock_per_day=1, claim_days=1)
    body = commit(pos, member, "R-1", reward_id=coffee)
    assert catalog.get(rt, pos.tenant_id, coffee).issued == 1
    with pytest.raises(RewardRefused):  # out of stock, in total and for the day
        claims.claim_in_advance(rt, pos.tenant_id, member, coffee)
    pos.refund(body["receipt"]["id"], [(1, 1000)], key="r-1")
    pos.refund(body["receipt"]["id"], [(1, 1000)], key="r-1")  # a replay gives nothing more
    assert catalog.get(rt, pos.tenant_id, coffee).issued == 0
    claims.claim_in_advance(rt, pos.tenant_id, member, coffee)  # the unit is back today
    assert catalog.get(rt, pos.tenant_id, coffee).issued == 1
    clock.advance(days=2)
    assert claims.expire_claims(rt).expired == 1
    assert claims.expire_claims(rt).expired == 0
    assert catalog.get(rt, pos.tenant_id, coffee).issued == 0
    assert_clean(rt)


def _five_rewarded_receipts(pos: Pos, rt: Runtime) -> tuple[int, int, list[Any]]:
    """R-1 to R-5 of the two tests below (R-5's coffee refunded): the member, the reward with
    a stated cost of 0.90, and the commits' answers."""
    member = pos.register(1)["id"]
    pos.grant(member, 5000)
    stated = reward(rt, pos, cost_minor=90, claim_days=7)
    gift = reward(rt, pos, kind="perk", sku="", cost_minor=500, titles={"en": "Mug"})
    plain = reward(rt, pos, titles={"en": "Coffee on us"})
    bodies = [commit(pos, member, "R-1", reward_id=stated),
              commit(pos, member, "R-2", reward_id=gift),
              commit(pos, member, "R-3", reward_id=plain)]
    code = claims.claim_in_advance(rt, pos.tenant_id, member, stated).code
    bodies.append(commit(pos, member, "R-4", code=code))
    bodies.append(commit(pos, member, "R-5", reward_id=stated))
    pos.refund(bodies[-1]["receipt"]["id"], [(1, 1000)], key="refund-coffee")
    return member, stated, bodies


def test_the_reports_count_a_catalogue_reward_at_its_stated_cost(pos: Pos, rt: Runtime) -> None:
    """Five receipts with a member, each on BASKET (coffee 3.50, bun 2.00), by hand:

    - R-1 free coffee, stated cost 0.90, at the till          reward cost 0.90 (not 3.50)
    - R-2 a gift at the counter (a perk), stated cost 5.00    reward cost 5.00 (took off 0)
    - R-3 free coffee with no stated cost                     reward cost 3.50 (what it took off)
    - R-4 free coffee (cost 0.90) by a code claimed before    reward cost 0.90
    - R-5 free coffee (cost 0.90), its coffee refunded        reward cost 0 (claim closed)
    Total 0.90 + 5.00 + 3.50 + 0.90 = 10.30; the discounts alone would make 14.00.
    """
    member, stated, bodies = _five_rewarded_receipts(pos, rt)
    assert [b["points_discount_minor"] for b in bodies] == [350, 0, 350, 350, 350]
    receipt_of = {b["receipt"]["id"]: n for n, b in enumerate(bodies, start=1)}
    assert sorted((receipt_of[c.receipt_id or 0], c.discount_minor, c.cost_minor, c.status)
                  for c in catalog.list_claims(rt, pos.tenant_id).items) == [
        (1, 350, 90, "used"), (2, 0, 500, "used"), (3, 350, 350, "used"), (4, 350, 90, "used"),
        (5, 350, 90, "refunded")]

    sales = figures.overview(rt, pos.tenant_id,
                             figures.Request(preset=Preset.THIS_MONTH)).current.sales

    assert sales.revenue_minor == 200 + 550 + 200 + 200 + 200
    assert sales.reward_cost_minor == 90 + 500 + 350 + 90 + 0


def test_the_budget_counts_a_catalogue_reward_in_the_base_bucket_of_its_receipts_month(
        pos: Pos, rt: Runtime) -> None:
    """Seven receipts with a member, each on BASKET (coffee 3.50, bun 2.00), the business in
    Moscow (UTC+3), today 2 March, a point worth 1.00 (the default for RUB); each reward
    takes 200 points, worth 200.00. By hand, the March burn counts, per reward, its stated
    cost less its points' value:

    - R-1 free coffee, stated cost 0.90, at the till                0.90 - 200.00 = -199.10
    - R-2 a gift at the counter (a perk), stated cost 5.00          5.00 - 200.00 = -195.00
    - R-3 free coffee with no stated cost                           3.50 - 200.00 = -196.50
    - R-4 free coffee (cost 0.90) by a code claimed before          0.90 - 200.00 = -199.10
    - R-5 free coffee (cost 0.90), its coffee refunded              0    (claim closed)
    - R-6 free coffee (cost 0.90), offline, 28 Feb 23:59 in Moscow  0    (February's)
    - R-7 free coffee (cost 0.90), offline, 1 March 00:00 in Moscow 0.90 - 200.00 = -199.10
    5 claims, stated cost 11.20, points worth 5 x 200.00 = 1000.00, difference -988.80.
    No receipt earns a base point (3 % of at most 5.50 is under one point), so the base
    bucket is the rewards' difference alone: -988.80 (the member's points were granted by
    hand, which the base bucket never counted, so here the rewards look cheaper than
    nothing); the promotion buckets get nothing.
    """
    member, stated, bodies = _five_rewarded_receipts(pos, rt)
    bodies.append(commit(pos, member, "R-6", reward_id=stated,
                         occurred_at=datetime(2026, 2, 28, 20, 59, tzinfo=UTC)))
    bodies.append(commit(pos, member, "R-7", reward_id=stated,
                         occurred_at=datetime(2026, 2, 28, 21, 0, tzinfo=UTC)))
    assert [b["points_earned"] for b in bodies] == [0] * 7

    report = to_json(budgets.burn(rt, pos.tenant_id))

    assert report["month"] == "2026-03-01"
    assert report["catalog_rewards"] == {
        "claims": 5, "cost_minor": 90 + 500 + 350 + 90 + 90, "points_value_minor": 100_000,
        "difference_minor": 1120 - 100_000}
    assert report["buckets"]["base"]["spent_minor"] == -98_880
    assert report["buckets"]["mass"]["spent_minor"] == 0
    assert report["buckets"]["targeted"]["spent_minor"] == 0

    pos.refund(bodies[1]["receipt"]["id"], key="refund-gift")  # the whole receipt: claim closed
    after = to_json(budgets.burn(rt, pos.tenant_id))
    assert after["catalog_rewards"] == {"claims": 4, "cost_minor": 620,
                                        "points_value_minor": 80_000,
                                        "difference_minor": 620 - 80_000}
    assert after["buckets"]["base"]["spent_minor"] == -79_380


def test_a_point_earned_and_spent_on_a_reward_counts_once_in_the_base_bucket(
        pos: Pos, rt: Runtime) -> None:
    """A point worth 0.01, the base level earning 3 % of what is paid, rounded down; today
    2 March. By hand:

    - E-1 BASKET, paid 5.50: earns 16 points (16.5), counted at 0.16
    - R-2 BASKET with a free coffee for 16 points, stated cost 0.90: pays the bun 2.00 and
      earns 6 points, counted at 0.06; the reward counts 0.90 - 16 x 0.01 = 0.74
    The base bucket: 0.16 + 0.06 + 0.74 = 0.96, which is the reward's cost 0.90 plus the 6
    points the member still holds (0.06): the 16 points spent are counted once, as the
    reward. Counted at the reward's cost instead, it would be 1.12.
    """
    programs.save_edit(rt, pos.tenant_id, {"point_value_minor": 1}, note="a point is 0.01",
                       actor=audit.SYSTEM)
    member = pos.register(1)["id"]
    coffee = reward(rt, pos, points_cost=16, cost_minor=90)
    assert commit(pos, member, "E-1")["points_earned"] == 16
    rewarded = commit(pos, member, "R-2", reward_id=coffee)
    assert (rewarded["points_spent"], rewarded["points_earned"]) == (16, 6)

    report = to_json(budgets.burn(rt, pos.tenant_id))

    assert report["catalog_rewards"] == {"claims": 1, "cost_minor": 90,
                                         "points_value_minor": 16, "difference_minor": 74}
    assert report["buckets"]["base"]["spent_minor"] == 16 + 6 + 74


def _reward_cost(rt: Runtime, pos: Pos) -> int:
    """This month's reward cost as the reports read it (the day aggregates alone)."""
    return figures.overview(rt, pos.tenant_id, figures.Request(
        preset=Preset.THIS_MONTH)).current.sales.reward_cost_minor


def test_a_refund_of_the_rewarded_line_and_a_void_take_the_stated_cost_back_once(
        pos: Pos, rt: Runtime) -> None:
    """Three receipts on BASKET (coffee 3.50, bun 2.00), each with a free coffee whose stated
    cost is 0.90 (it takes 3.50 off); by hand, the month's reward cost:

    - A-1, A-2, A-3 committed                          0.90 x 3 = 2.70 (the discounts: 10.50)
    - A-1's coffee refunded: its claim closes          0.90 x 2 = 1.80
    - A-2's bun refunded: the claim stands, the money kept is 0, the coffee's 0.90 stays 1.80
    - A-3 voided                                       0.90     = 0.90
    - A-1's bun refunded too (the receipt is gone)     0.90
    The aggregates agree with the receipts and claims at every step.
    """
    member = pos.register(1)["id"]
    pos.grant(member, 5000)
    coffee = reward(rt, pos, cost_minor=90)
    ids = [commit(pos, member, f"A-{n}", reward_id=coffee)["receipt"]["id"] for n in (1, 2, 3)]
    assert _reward_cost(rt, pos) == 270
    steps = [(lambda: pos.refund(ids[0], [(1, 1000)], key="a1-coffee"), 180),
             (lambda: pos.refund(ids[1], [(2, 1000)], key="a2-bun"), 180),
             (lambda: pos.void(ids[2], key="a3-void"), 90),
             (lambda: pos.refund(ids[0], [(2, 1000)], key="a1-bun"), 90)]
    for step, expected in steps:
        step()
        assert _reward_cost(rt, pos) == expected
        assert_clean(rt)
    assert [c.status for c in sorted(catalog.list_claims(rt, pos.tenant_id).items,
                                     key=lambda c: c.id)] == ["refunded", "used", "refunded"]


def test_migration_0041_moves_the_stated_cost_into_the_day_aggregates(
        pos: Pos, rt: Runtime) -> None:
    """The five receipts of the reports test, aggregated as before 0041 (what points took
    off: 3.50 + 0 + 3.50 + 3.50 + 3.50 = 14.00, R-5 keeping all its money), then as 0041
    leaves them: 0.90 + 5.00 + 3.50 + 0.90 + 0 = 10.30, equal to the receipts and claims."""
    _five_rewarded_receipts(pos, rt)
    assert _reward_cost(rt, pos) == 1030
    with migrating(rt.db.engine) as (config, conn):
        command.downgrade(config, "0040")
        conn.commit()
        assert conn.execute(select(func.sum(sales_days.c.member_reward_cost_minor)).where(
            sales_days.c.tenant_id == pos.tenant_id)).scalar_one() == 1400
        command.upgrade(config, "head")
        conn.commit()
    assert _reward_cost(rt, pos) == 1030
    assert_clean(rt)


def _spending(pos: Pos, member_id: int, receipt: str, basket: tuple[Any, ...], *,
              reward_id: int, spend: int) -> dict[str, Any]:
    sale = Sale(member=MemberRef(id=member_id), lines=basket, reward_id=reward_id,
                points_to_spend=spend)
    body: dict[str, Any] = checkout_commit.commit(
        pos.rt, pos.till(), CommitRequest(sale=sale, receipt_id=receipt),
        key=f"key-{receipt}", payload={"receipt": receipt, "reward_id": reward_id,
                                       "spend": spend}).body
    return body


def _points_beside_rewards(pos: Pos, rt: Runtime) -> list[tuple[Callable[[], Any], int]]:
    """R-1 and R-2 of the test below, committed; the refunds it makes, each with the month's
    reward cost after it."""
    set_program(rt, pos.tenant_id, redeem_share_max_bp=10000,
                redeem_excluded_categories=["bakery"])
    member = pos.register(1)["id"]
    pos.grant(member, 5000)
    bun = line("BUN", 1000, category="bakery")
    named = _spending(pos, member, "R-1", (BASKET[0], line("CAKE", 1000, category="cake"), bun),
                      reward_id=reward(rt, pos, cost_minor=90), spend=5)
    assert named["reward"]["line_nos"] == [1]
    assert [ln["points_discount_minor"] for ln in named["lines"]] == [350, 500, 0]
    spread = _spending(pos, member, "R-2", (line("CAP-M", 1000, category="coffee"),
                                            line("CAP-L", 1000, category="coffee"), bun),
                       reward_id=reward(rt, pos, kind="fixed", amount_minor=300, sku="",
                                        category="coffee", points_cost=100), spend=5)
    assert spread["reward"]["line_nos"] == [1, 2]
    assert [ln["points_discount_minor"] for ln in spread["lines"]] == [350, 450, 0]
    assert _reward_cost(rt, pos) == (500 + 90) + (500 + 300)
    return [
        (lambda: pos.refund(named["receipt"]["id"], [(1, 1000)], key="r1-coffee"), 500 + 800),
        (lambda: pos.refund(named["receipt"]["id"], [(3, 1000)], key="r1-bun"), 500 + 800),
        (lambda: pos.refund(spread["receipt"]["id"], [(1, 1000)], key="r2-coffee"),
         500 + 282 + 300)]


def test_the_points_beside_a_reward_count_by_the_lines_a_partial_refund_kept(
        pos: Pos, rt: Runtime) -> None:
    """Points pay for a cake beside a free coffee named by its line (R-1), and for two coffees
    beside a 3.00 discount spread over both (R-2); the bun is paid in money. By hand:

    - R-1: the coffee's 3.50 is the reward's (stated cost 0.90), the cake's 5.00 points.
      Its coffee refunded (the claim closes): 5.00, not 5.00 - 3.50. Its bun refunded: still
      5.00, not 5.00 x 5/15 of the money kept.
    - R-2: points 3.50 and 4.50 on the coffees, 1.50 of each the reward's (stated cost: the
      3.00 it took): 2.18 and 2.81 of points besides (its 3.00 taken off in proportion, each
      line's share rounded up). Its first coffee refunded: 5.00 - 2.18 = 2.82 and the 3.00
      of the reward standing, not 5.00 x 15.50/22.00 = 3.52.
    """
    for step, expected in _points_beside_rewards(pos, rt):
        step()
        assert _reward_cost(rt, pos) == expected
        assert_clean(rt)
    request = figures.Request(preset=Preset.THIS_MONTH)
    assert breakdowns.by_segment(rt, pos.tenant_id, request).all_members.reward_cost_minor == \
        500 + 282 + 300


def test_migration_0059_moves_the_points_of_partly_refunded_receipts_to_the_lines_kept(
        pos: Pos, rt: Runtime) -> None:
    """The receipts of the test above, aggregated as before 0059 (the points discount beside
    the rewards in the proportion of the money kept: R-1 5.00 x 5/15 = 1.66, R-2 5.00 x
    15.50/22.00 = 3.52 and its reward's 3.00), then as 0059 leaves them: 5.00 + 2.82 + 3.00,
    equal to the receipts and claims."""
    for step, _ in _points_beside_rewards(pos, rt):
        step()

    def aggregated(conn: Any) -> int:
        return int(conn.execute(select(func.sum(sales_days.c.member_reward_cost_minor)).where(
            sales_days.c.tenant_id == pos.tenant_id)).scalar_one())

    with migrating(rt.db.engine) as (config, conn):
        command.downgrade(config, "0057")
        conn.commit()
        assert aggregated(conn) == 166 + 352 + 300
        command.upgrade(config, "head")
        conn.commit()
        assert aggregated(conn) == 500 + 282 + 300
    assert _reward_cost(rt, pos) == 500 + 282 + 300
    assert_clean(rt)
