"""Promotion budgets, per-member caps and use limits, the mass bucket and refunds, through the
checkout services on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from regulars.db.promotions import budgets as budget_store
from regulars.domain.analytics.ranges import Preset
from regulars.domain.promotions.budgets import Limits, Period
from regulars.domain.promotions.promotions import (
    BonusPoints,
    Effect,
    FixedDiscount,
    PercentDiscount,
)
from regulars.services.analytics import breakdowns, figures
from regulars.services.analytics.figures import Request
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.promotions import budgets, promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, set_program, statements

CUPS = (line("cup", 1000, 2),)  # 20.00


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Budget Café"))


def make(pos: Pos, *effects: Effect, name: str = "Offer", **limits: Any) -> int:
    made = promotions.create(pos.rt, pos.tenant_id, Draft(
        name=name, effects=effects or (FixedDiscount(amount_minor=100),),
        limits=Limits(**limits)), actor=audit.SYSTEM)
    return made.id


def applied(body: dict[str, Any]) -> list[int]:
    return [p["id"] for p in body["promotions"]]


def burn(pos: Pos, promotion_id: int) -> dict[str, Any]:
    return to_json(budgets.promotion_burn(pos.rt, pos.tenant_id, promotion_id))


@pytest.mark.usefixtures("backend")
def test_a_money_budget_is_never_overshot_and_refunds_give_it_back(pos: Pos, rt: Runtime) -> None:
    offer = make(pos, budget_minor=250)
    member = pos.register(1)["id"]
    first = pos.commit(member, CUPS, receipt="R-1")
    assert applied(first) == [offer] and first["discount_minor"] == 100
    assert applied(pos.commit(member, CUPS, receipt="R-2")) == [offer]
    # 50 left: a 100 discount does not fit, at quote and at commit.
    assert applied(pos.quote(member, CUPS)) == []
    third = pos.commit(member, CUPS, receipt="R-3")
    assert applied(third) == [] and third["discount_minor"] == 0
    view = burn(pos, offer)
    assert view["budget"] == {"budget_minor": 250, "spent_minor": 200, "remaining_minor": 50,
                              "budget_points": None, "spent_points": 0,
                              "remaining_points": None}
    assert view["this_month"] == {"receipts": 2, "discount_minor": 200, "points": 0}

    # Half of the first receipt back: half its discount returns to the budget...
    receipt = first["receipt"]["id"]
    pos.refund(receipt, [(1, 1000)], key="half")
    assert burn(pos, offer)["budget"]["spent_minor"] == 150
    assert applied(pos.quote(member, CUPS)) == [offer]
    # ...and the rest of it, exactly once.
    pos.refund(receipt, key="rest")
    assert burn(pos, offer)["budget"]["spent_minor"] == 100
    assert burn(pos, offer)["this_month"]["discount_minor"] == 100
    assert ledger_admin.check(rt) == []


@pytest.mark.usefixtures("backend")
def test_thirds_of_a_line_give_back_exactly_the_whole(pos: Pos) -> None:
    offer = make(pos, FixedDiscount(amount_minor=100), BonusPoints(points=7),
                 budget_minor=10_000, budget_points=1000)
    member = pos.register(1)["id"]
    sale = pos.commit(member, (line("cup", 1000, 3),), receipt="R-1")
    assert burn(pos, offer)["budget"]["spent_points"] == 7
    for i in range(3):
        pos.refund(sale["receipt"]["id"], [(1, 1000)], key=f"third-{i}")
    budget = burn(pos, offer)["budget"]
    assert (budget["spent_minor"], budget["spent_points"]) == (0, 0)


@pytest.mark.usefixtures("backend")
def test_a_points_budget_leaves_out_a_promotion_whose_points_do_not_fit(pos: Pos) -> None:
    offer = make(pos, BonusPoints(points=40), budget_points=100)
    member = pos.register(1)["id"]
    earned = [pos.commit(member, CUPS, receipt=f"R-{i}")["points_earned"] for i in range(3)]
    assert earned == [40, 40, 0]  # no base points on 20.00 at 3 %
    assert burn(pos, offer)["budget"]["remaining_points"] == 20


@pytest.mark.usefixtures("backend")
def test_member_caps_and_anonymous_receipts(pos: Pos) -> None:
    offer = make(pos, member_minor=150)
    ann, bob = pos.register(1)["id"], pos.register(2)["id"]
    assert applied(pos.commit(ann, CUPS, receipt="A-1")) == [offer]
    assert applied(pos.commit(ann, CUPS, receipt="A-2")) == []  # 50 left for Ann
    assert applied(pos.commit(bob, CUPS, receipt="B-1")) == [offer]
    assert applied(pos.commit(None, CUPS, receipt="N-1")) == []  # nobody to count against


@pytest.mark.usefixtures("backend")
def test_uses_per_day_and_per_week_in_the_tenant_time_zone(pos: Pos, clock: FakeClock) -> None:
    # The clock starts on Monday 2 March 2026, 13:00 in Moscow.
    offer = make(pos, uses_per_day=1, uses_per_period=2, period=Period.WEEK)
    member = pos.register(1)["id"]
    assert applied(pos.commit(member, CUPS, receipt="R-1")) == [offer]
    assert applied(pos.commit(member, CUPS, receipt="R-2")) == []
    clock.advance(hours=10)  # 23:00 Moscow: still Monday
    assert applied(pos.quote(member, CUPS)) == []
    clock.advance(hours=2)  # 01:00 Tuesday in Moscow (22:00 Monday in UTC)
    assert applied(pos.commit(member, CUPS, receipt="R-3")) == [offer]
    clock.advance(days=1)
    assert applied(pos.commit(member, CUPS, receipt="R-4")) == []  # two this week
    clock.advance(days=5)  # Monday again
    assert applied(pos.commit(member, CUPS, receipt="R-5")) == [offer]


@pytest.mark.usefixtures("backend")
def test_the_mass_bucket_stops_promotions_and_the_base_bucket_reports(
        pos: Pos, rt: Runtime) -> None:
    offer = make(pos, FixedDiscount(amount_minor=1000), BonusPoints(points=2))  # costs 12.00
    base_only = (line("machine", 100_000),)  # 30 base points
    budgets.put_split(rt, pos.tenant_id, total_minor=10_000, base_bp=5000, mass_bp=2500,
                      targeted_bp=2500, actor=audit.SYSTEM)  # mass: 25.00 a month
    member = pos.register(1)["id"]
    bills = [pos.commit(member, base_only, receipt=f"R-{i}") for i in range(3)]
    assert [applied(b) for b in bills] == [[offer], [offer], []]
    report = to_json(budgets.burn(rt, pos.tenant_id))
    assert report["month"] == "2026-03-01"
    assert report["buckets"]["mass"] == {"cap_minor": 2500, "spent_minor": 2400,
                                         "remaining_minor": 100, "enforced": True}
    # Base points: 3 % of 990.00 twice and of 1000.00 once, at 1.00 a point.
    assert report["buckets"]["base"]["spent_minor"] == (29 + 29 + 30) * 100
    assert report["buckets"]["targeted"]["spent_minor"] == 0
    assert report["promotions"] == [{"id": offer, "receipts": 2, "discount_minor": 2000,
                                     "points": 4}]
    pos.refund(bills[0]["receipt"]["id"], key="r-0")
    report = to_json(budgets.burn(rt, pos.tenant_id))
    assert report["buckets"]["mass"]["spent_minor"] == 1200
    assert report["buckets"]["base"]["spent_minor"] == (29 + 30) * 100
    assert applied(pos.quote(member, base_only)) == [offer]


@pytest.mark.usefixtures("backend")
def test_a_budget_used_up_under_the_commit_reprices_without_the_promotion(
        pos: Pos, rt: Runtime) -> None:
    # What a concurrent commit does between this commit's read and its conditional update is
    # played here by lowering the cap on the counter row (the read still sees the old one).
    kept = make(pos, FixedDiscount(amount_minor=100), name="Kept")
    lost = make(pos, FixedDiscount(amount_minor=300), name="Lost", budget_minor=1000)
    with rt.db.write() as conn:
        budget_store.set_caps(conn, pos.tenant_id, lost, budget_minor=200, budget_points=None)
    member = pos.register(1)["id"]
    assert applied(pos.quote(member, CUPS)) == [kept, lost]
    body = pos.commit(member, CUPS, receipt="R-1")
    assert applied(body) == [kept]
    assert body["discount_minor"] == 100 and body["paid_minor"] == 1900
    assert burn(pos, kept)["budget"]["spent_minor"] == 100  # counted once, not twice
    assert burn(pos, lost)["budget"]["spent_minor"] == 0
    assert to_json(budgets.burn(rt, pos.tenant_id))["buckets"]["mass"]["spent_minor"] == 100


def test_a_charge_no_single_slot_holds_is_taken_across_slots_and_never_past_the_cap(
        pos: Pos, rt: Runtime) -> None:
    offer = make(pos, name="Slots", budget_minor=160)  # ten to a slot of sixteen

    def charge(conn: Any, minor: int, spread: int) -> bool:
        caps = budget_store.budgets(conn, pos.tenant_id, [offer])[offer]
        return budget_store.charge_promotion(conn, caps, tenant_id=pos.tenant_id,
                                             discount_minor=minor, points=0, spread=spread)

    with rt.db.write() as conn:
        assert charge(conn, 155, 3)
        assert not charge(conn, 6, 0)
        assert charge(conn, 5, 0)
        assert not charge(conn, 1, 5)
        assert budget_store.spent_by_slots(conn, pos.tenant_id, [offer]) == {offer: (160, 0)}


def test_a_new_cap_leaves_what_the_receipts_got_and_no_cap_writes_no_slot(
        pos: Pos, rt: Runtime) -> None:
    offer = make(pos, name="Later capped")
    member = pos.register(1)["id"]
    pos.commit(member, CUPS, receipt="R-1")
    pos.commit(member, CUPS, receipt="R-2")
    with rt.db.read() as conn:
        assert budget_store.spent_by_slots(conn, pos.tenant_id, [offer]) == {}
    assert burn(pos, offer)["budget"]["spent_minor"] == 200  # summed from the receipts
    promotions.update(rt, pos.tenant_id, offer, Draft(
        name="Later capped", effects=(FixedDiscount(amount_minor=100),),
        limits=Limits(budget_minor=250)), actor=audit.SYSTEM)
    assert applied(pos.commit(member, CUPS, receipt="R-3")) == []  # 50 left: 100 does not fit
    assert burn(pos, offer)["budget"] == {"budget_minor": 250, "spent_minor": 200,
                                          "remaining_minor": 50, "budget_points": None,
                                          "spent_points": 0, "remaining_points": None}


@pytest.mark.usefixtures("backend")
def test_what_a_capped_budget_has_left_is_read_with_the_active_promotions(
        pos: Pos, rt: Runtime) -> None:
    """A quote with a capped promotion runs no more statements than with an unlimited one
    (the slots are read by the statement that reads the active promotions), and still
    leaves out a promotion its budget no longer holds."""
    offer = make(pos, name="Soon capped")
    member = pos.register(1)["id"]
    pos.quote(member, CUPS)
    with statements(rt) as unlimited:
        assert applied(pos.quote(member, CUPS)) == [offer]
    promotions.update(rt, pos.tenant_id, offer, Draft(
        name="Soon capped", effects=(FixedDiscount(amount_minor=100),),
        limits=Limits(budget_minor=150)), actor=audit.SYSTEM)
    pos.quote(member, CUPS)
    with statements(rt) as capped:
        assert applied(pos.quote(member, CUPS)) == [offer]
    assert len(capped) == len(unlimited)
    pos.commit(member, CUPS, receipt="R-1")  # 50 left: a 100 discount no longer fits
    assert applied(pos.quote(member, CUPS)) == []
    assert applied(pos.commit(member, CUPS, receipt="R-2")) == []


@pytest.mark.usefixtures("backend")
def test_a_partly_refunded_receipt_counts_the_same_discounts_in_every_figure(
        pos: Pos, rt: Runtime) -> None:
    offer = make(pos, PercentDiscount(rate_bp=5000, categories=frozenset({"coffee"})))
    member = pos.register(1)["id"]
    sale = pos.commit(member, (line("latte", 1000, category="coffee"),
                               line("cake", 1000, 2, category="bakery")), receipt="R-1")
    assert sale["discount_minor"] == 500 and sale["paid_minor"] == 2500

    def figures_of_discounts() -> list[int]:
        request = Request(preset=Preset.LAST_30_DAYS)
        return [figures.overview(rt, pos.tenant_id, request).current.sales.discount_minor,
                breakdowns.by_segment(rt, pos.tenant_id, request).all_members.discount_minor,
                burn(pos, offer)["this_month"]["discount_minor"],
                burn(pos, offer)["budget"]["spent_minor"],
                to_json(budgets.burn(rt, pos.tenant_id))["promotions"][0]["discount_minor"]]

    # A cake had no discount: the latte's stays whole (not 3/5 of it, as the money kept).
    pos.refund(sale["receipt"]["id"], [(2, 1000)], key="a-cake")
    assert figures_of_discounts() == [500] * 5
    # Half the latte takes half its discount back, in each figure alike.
    pos.refund(sale["receipt"]["id"], [(1, 500)], key="half-a-latte")
    assert figures_of_discounts() == [250] * 5
    assert ledger_admin.check(rt) == []


def _reward_costs(rt: Runtime, tenant_id: int) -> list[int]:
    """The reward cost of the last 30 days in each figure that counts it: the overview (the
    daily aggregates), the segments' and the levels' (the receipts themselves)."""
    request = Request(preset=Preset.LAST_30_DAYS)
    levels = breakdowns.by_level(rt, tenant_id, request).rows
    return [figures.overview(rt, tenant_id, request).current.sales.reward_cost_minor,
            breakdowns.by_segment(rt, tenant_id, request).all_members.reward_cost_minor,
            sum(row.figures.reward_cost_minor for row in levels)]


@pytest.mark.usefixtures("backend")
def test_a_partly_refunded_receipt_counts_the_points_of_the_lines_it_kept(
        pos: Pos, rt: Runtime) -> None:
    set_program(rt, pos.tenant_id, redeem_excluded_categories=["bakery"])
    member = pos.register(1)["id"]
    pos.grant(member, 100)
    basket = (line("latte", 1000, category="coffee"), line("cake", 1000, 2, category="bakery"))
    kept_latte = pos.commit(member, basket, receipt="R-1", spend=3)
    kept_cakes = pos.commit(member, basket, receipt="R-2", spend=3)
    # The points paid for the latte alone: 3.00 of its 10.00, none of the cakes' 20.00.
    assert [kept_latte["points_discount_minor"], kept_latte["paid_minor"]] == [300, 2700]
    assert [ln["points_discount_minor"] for ln in kept_latte["lines"]] == [300, 0]
    assert _reward_costs(rt, pos.tenant_id) == [600] * 3
    # A cake goes back: the latte keeps its points discount whole (not 17/27 of it, as the
    # money kept, 1700 of 2700, would give).
    pos.refund(kept_latte["receipt"]["id"], [(2, 1000)], key="a-cake")
    assert _reward_costs(rt, pos.tenant_id) == [600] * 3
    # The latte goes back with its points (the member has them again): its points discount
    # is off the figures, though the cakes keep 2000 of the 2700 paid.
    back = pos.refund(kept_cakes["receipt"]["id"], [(1, 1000)], key="the-latte")["refund"]
    assert back["points_returned"] == 3
    assert _reward_costs(rt, pos.tenant_id) == [300] * 3
    # Half of the other latte: half of its points discount.
    pos.refund(kept_latte["receipt"]["id"], [(1, 500)], key="half-a-latte")
    assert _reward_costs(rt, pos.tenant_id) == [150] * 3
    assert ledger_admin.check(rt) == []
