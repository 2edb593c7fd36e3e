"""The simulator against the till: a replayed receipt gets what a quote gives under the same
program (property test, real quote service); a run's figures by hand; and honesty on
generated data: the cost predicted from half the members agrees with the replay of the other
half within 5 % (SQLite, and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.ledger.tables import entries
from regulars.db.program.spend_totals import add_spend, local_day
from regulars.db.program.tables import spend_days
from regulars.domain.analytics.payback import Assumptions
from regulars.domain.checkout.quote import BasketLine
from regulars.domain.checkout.replay import (
    ANONYMOUS,
    ReplayReceipt,
    SpendTracker,
    price_receipt,
)
from regulars.domain.program.program import LevelStatus
from regulars.domain.promotions.effects import Cashback as CashbackEffect
from regulars.domain.promotions.effects import (
    FixedDiscount,
    GiftWithPurchase,
    IssueCoupon,
    PercentDiscount,
    PointsMultiplier,
)
from regulars.domain.promotions.promotions import Candidate, Offers, Schedule, Stacking
from regulars.domain.promotions.segments import LevelIn
from regulars.errors import InvalidInput
from regulars.services.analytics import scenarios, simulator
from regulars.services.analytics.scenarios import ScenarioDraft
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale, price
from regulars.services.members.members import MemberRef
from regulars.services.program import programs
from regulars.services.promotions import promotions, segments
from regulars.services.promotions.conditions import cel_context, compile_condition, holds
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime
from regulars.services.stored_value.cashback import of_sale
from regulars.services.stored_value.sales import CertificateSale
from regulars.services.tenancy.tenants import get_tenant
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, run_together, set_program
from tests.integration.test_stored_value_sale_figures import cards_for_sale, sell_card

LEVELS = [{"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 300},
          {"code": "silver", "name": "Silver", "threshold_minor": 50_000, "rate_bp": 500},
          {"code": "gold", "name": "Gold", "threshold_minor": 200_000, "rate_bp": 1000}]


@pytest.fixture
def pos(rt: Runtime, clock: FakeClock) -> Pos:
    """A shop with three levels and a category that earns nothing; member 1 reached silver
    in January."""
    clock.now = datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
    shop = Pos(rt, make_shop(rt, "Replay Café"))
    set_program(rt, shop.tenant_id, levels=LEVELS, earn_excluded_categories=["tobacco"],
                rounding_scope="line", expire_after_days=90)
    member = shop.register(1)["id"]
    shop.commit(member, (line("beans", 60_000, category="goods"),), receipt="jan-1")
    clock.now = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    return shop


def _replayed(rt: Runtime, tenant_id: int, member_id: int | None,
              lines: tuple[BasketLine, ...], at: datetime) -> Any:
    """The simulator's figures of one receipt at ``at``: the member's level from the spend
    the replay starts with, the quote from the replay's pricing."""
    program = programs.current(rt, tenant_id).rules
    tracker = SpendTracker(program)
    day = local_day(at, simulator.ZoneInfo("Europe/Moscow"))
    with rt.db.read() as conn:
        simulator.start_spend(conn, tenant_id, day, (tracker,))
    status = None if member_id is None else tracker.status(member_id, day)
    receipt = ReplayReceipt(receipt_id=1, member_id=member_id, store_id=1, day=day,
                            local=at.replace(tzinfo=None), lines=lines, qualifying_minor=0)
    return price_receipt(program, receipt, status)


basket_lines = st.lists(st.builds(
    BasketLine, sku=st.sampled_from(["tea", "cake", "cigs", "beans"]),
    category=st.sampled_from(["", "food", "tobacco", "goods"]),
    quantity_milli=st.integers(1, 5_000), unit_price_minor=st.integers(0, 500_000)),
    min_size=1, max_size=6).map(tuple)


@given(lines=basket_lines, member=st.booleans())
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_replayed_receipt_gets_what_a_quote_gives(pos: Pos, rt: Runtime,
                                                    lines: tuple[BasketLine, ...],
                                                    member: bool) -> None:
    member_id = 1 if member else None
    quoted = pos.quote(member_id, lines)
    replayed = _replayed(rt, pos.tenant_id, member_id, lines, rt.now())
    assert replayed.level_code == quoted["member"]["level"] if member else True
    assert (replayed.gross_minor, replayed.discount_minor, replayed.paid_minor,
            replayed.points_earned) == (quoted["gross_minor"], quoted["discount_minor"],
                                        quoted["paid_minor"], quoted["points_earned"])
    assert [ln.points_earned for ln in replayed.lines] == [
        ln["points_earned"] for ln in quoted["lines"]]


EQUIVALENCE_RECEIPTS = 10_000


def _bulk_receipts(rt: Runtime, pos: Pos, members: list[int | None], *, count: int,
                   seed: int) -> None:
    """``count`` random receipts over February (1–6 lines of random items, quantities and
    prices, at least one line priced) from a fixed seed, written as history in one
    transaction: purchases, with their lines' gross. They are recorded as paid 0, so that
    they qualify for nothing: each member keeps through the replay the level their earlier
    spend gave, the one a quote finds now."""
    rng = random.Random(seed)
    start = datetime(2026, 2, 1, 0, 0, tzinfo=UTC)
    skus = [("tea", "food"), ("cake", "food"), ("cigs", "tobacco"), ("beans", "goods"),
            ("card", "")]
    receipt_rows, line_rows = [], []
    for n in range(1, count + 1):
        at = start + timedelta(seconds=n * 27 * 86_400 // count)
        receipt_id = 1_000_000 + n
        receipt_rows.append(dict(
            id=receipt_id, tenant_id=pos.tenant_id, terminal_id=pos.shop.terminal_ids[0],
            store_id=pos.shop.store_id, receipt_no=f"eq-{n}", member_id=rng.choice(members),
            status="committed", program_version=1, gross_minor=0, discount_minor=0,
            points_spent=0, points_discount_minor=0, paid_minor=0, points_earned=0,
            request_hash="-", response={}, occurred_at=at, recorded_at=at))
        for i in range(rng.randint(1, 6)):
            sku, category = rng.choice(skus)
            quantity = rng.choice([1000, 1000, 2000, rng.randint(1, 5_000)])
            price = rng.choice([rng.randint(i == 0, 999), rng.randint(i == 0, 500_000)])
            gross = max(1, quantity * price // 1000) if price else 0
            receipt_rows[-1]["gross_minor"] += gross
            line_rows.append(dict(
                tenant_id=pos.tenant_id, receipt_id=receipt_id, line_no=i + 1, sku=sku,
                name=sku, category=category, quantity_milli=quantity, unit_price_minor=price,
                gross_minor=gross, discount_minor=0, points_spent=0, paid_minor=0,
                points_earned=0))
    with rt.db.write() as conn:
        conn.execute(insert(receipts), receipt_rows)
        conn.execute(insert(receipt_lines), line_rows)


def test_ten_thousand_replayed_receipts_get_what_quotes_give(pos: Pos, rt: Runtime,
                                                              clock: FakeClock) -> None:
    """Receipt by receipt, the replay's figures under the current program equal the quote
    service's (in-process) for the same member and basket."""
    # The program gives 5 % back into the wallet (goods excluded), as the till credits it.
    set_program(rt, pos.tenant_id, levels=LEVELS, earn_excluded_categories=["tobacco"],
                rounding_scope="line", expire_after_days=90, cashback_rate_bp=500,
                cashback_excluded_categories=["goods"])
    spends = [0, 20_000, 70_000, 150_000, 300_000, 1_000_000]
    registered = [pos.register(10 + n)["id"] for n in range(len(spends))]
    members: list[int | None] = [1, None, *registered]
    with rt.db.write() as conn:
        for member_id, spend in zip(registered, spends, strict=True):
            if spend:
                add_spend(conn, tenant_id=pos.tenant_id, member_id=member_id,
                          day=date(2026, 1, 15), net_minor=spend,
                          at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    _bulk_receipts(rt, pos, members, count=EQUIVALENCE_RECEIPTS, seed=20261206)
    clock.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    scenario_id = _scenario(rt, pos.tenant_id, program=None)
    setup = simulator.prepare(rt, pos.tenant_id, scenario_id)
    replayed: dict[int, Any] = {}
    simulator.replay_part(rt, pos.tenant_id, setup, setup.part,
                          seen=lambda receipt_id, both: replayed.setdefault(receipt_id, both))
    assert len(replayed) == EQUIVALENCE_RECEIPTS
    with rt.db.read() as conn:
        rows = conn.execute(select(receipts.c.id, receipts.c.member_id, receipt_lines.c.sku,
                                   receipt_lines.c.category, receipt_lines.c.quantity_milli,
                                   receipt_lines.c.unit_price_minor)
                            .join(receipt_lines, receipt_lines.c.receipt_id == receipts.c.id)
                            .where(receipts.c.tenant_id == pos.tenant_id,
                                   receipts.c.id > 1_000_000)
                            .order_by(receipts.c.id, receipt_lines.c.line_no)).all()
    baskets: dict[int, tuple[int | None, list[BasketLine]]] = {}
    for row in rows:
        baskets.setdefault(row.id, (row.member_id, []))[1].append(BasketLine(
            sku=row.sku, category=row.category, quantity_milli=row.quantity_milli,
            unit_price_minor=row.unit_price_minor))
    levels = set()
    cashback_by_level: dict[str, int] = {}
    tenant, till, now = get_tenant(rt, pos.tenant_id), pos.till(), rt.now()
    with rt.db.read() as conn:  # what a quote prices with, one transaction for them all
        for receipt_id, (member_id, lines) in baskets.items():
            priced = price(conn, tenant, Sale(
                member=None if member_id is None else MemberRef(id=member_id),
                lines=tuple(lines)), at=now, now=now, store_id=till.store_id,
                terminal_id=till.terminal_id)
            quoted = priced.quote
            level = quoted.level_code or ANONYMOUS
            cashback = of_sale(priced.program, quoted, member=member_id is not None)
            back = 0 if cashback is None else cashback.total_minor
            draft, current = replayed[receipt_id]
            assert draft == current == (quoted.gross_minor, quoted.discount_minor,
                                        quoted.paid_minor, quoted.points_earned, level, back)
            levels.add(level)
            cashback_by_level[level] = cashback_by_level.get(level, 0) + back
    assert levels == {"base", "silver", "gold", ANONYMOUS}
    assert cashback_by_level[ANONYMOUS] == 0
    assert all(cashback_by_level[code] > 0 for code in ("base", "silver", "gold"))
    # ... and the quote answered at the till agrees on a sample of them.
    for receipt_id, (member_id, lines) in list(baskets.items())[:: EQUIVALENCE_RECEIPTS // 50]:
        answered = checkout.quote(rt, till, Sale(
            member=None if member_id is None else MemberRef(id=member_id), lines=tuple(lines)))
        assert replayed[receipt_id][1][:4] == (answered.gross_minor, answered.discount_minor,
                                               answered.paid_minor, answered.points_earned)
        assert replayed[receipt_id][1][5] == answered.cashback_minor


DRAFTS = (
    Draft(name="Morning", condition="time.hour < 10 && time.weekday != 3",
          effects=(PercentDiscount(rate_bp=1000, categories=frozenset({"food"})),)),
    Draft(name="Big basket", condition="basket.total_minor >= 250000",
          effects=(PercentDiscount(rate_bp=500),)),
    Draft(name="Gold", condition='member != null && member.level == "gold"',
          schedule=Schedule(weekdays=frozenset({1, 2, 5})),
          effects=(PointsMultiplier(factor_percent=300),)),
    Draft(name="Hour and basket", condition=(
        "time.hour >= 15 && basket.lines.exists(l, l.category == 'goods')"),
          stacking=Stacking.EXCLUSIVE, priority=5, effects=(FixedDiscount(amount_minor=300),)),
    Draft(name="Back on food", condition="basket.total_minor >= 100000",
          effects=(CashbackEffect(rate_bp=700, categories=frozenset({"food"}),
                                  max_minor=5_000),)))


def test_draft_promotions_give_each_receipt_what_the_engine_gives(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    """Receipt by receipt, the replay's figures under draft promotions (conditions worked
    out once per value of what they read, baskets priced once per promotions that apply)
    equal the engine's with every condition evaluated by CEL on the receipt itself."""
    members: list[int | None] = [None, 1, *[pos.register(10 + n)["id"] for n in range(3)]]
    with rt.db.write() as conn:
        add_spend(conn, tenant_id=pos.tenant_id, member_id=members[2], day=date(2026, 1, 15),
                  net_minor=300_000, at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    _bulk_receipts(rt, pos, members, count=3_000, seed=7)
    clock.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    scenario_id = _scenario(rt, pos.tenant_id, promotions=DRAFTS)
    setup = simulator.prepare(rt, pos.tenant_id, scenario_id)
    replayed: dict[int, Any] = {}
    simulator.replay_part(rt, pos.tenant_id, setup, setup.part,
                          seen=lambda receipt_id, both: replayed.setdefault(receipt_id, both))
    compiled = [compile_condition(d.condition) for d in DRAFTS]
    parsed = [promotions.parsed_draft(d, promotion_id=-(i + 1)) for i, d in enumerate(DRAFTS)]
    applied, cashback_given = set(), 0
    with rt.db.read() as conn:
        rows = conn.execute(select(receipts.c.id, receipts.c.member_id, receipts.c.occurred_at,
                                   receipt_lines.c.sku, receipt_lines.c.category,
                                   receipt_lines.c.quantity_milli,
                                   receipt_lines.c.unit_price_minor)
                            .join(receipt_lines, receipt_lines.c.receipt_id == receipts.c.id)
                            .where(receipts.c.tenant_id == pos.tenant_id,
                                   receipts.c.id > 1_000_000)
                            .order_by(receipts.c.id, receipt_lines.c.line_no)).all()
    baskets: dict[int, tuple[int | None, datetime, list[BasketLine]]] = {}
    for row in rows:
        baskets.setdefault(row.id, (row.member_id, row.occurred_at, []))[2].append(BasketLine(
            sku=row.sku, category=row.category, quantity_milli=row.quantity_milli,
            unit_price_minor=row.unit_price_minor))
    assert len(baskets) == len(replayed) == 3_000
    for receipt_id, (member_id, at, lines) in baskets.items():
        draft, _ = replayed[receipt_id]
        instant = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        local = instant.astimezone(setup.zone).replace(tzinfo=None)
        status = None if member_id is None else LevelStatus(
            level=setup.draft.level_by_code(draft[4]), window_spend_minor=0, next_level=None,
            to_next_minor=None)
        variables = cel_context(tuple(lines), None if status is None else {
            "id": member_id, "level": status.level.code}, pos.shop.store_id, local)
        offers = Offers(candidates=tuple(
            Candidate(promotion=p, condition_met=holds(c, variables))
            for p, c in zip(parsed, compiled, strict=True)), store_id=pos.shop.store_id,
            local_now=local)
        quote = price_receipt(setup.draft, ReplayReceipt(
            receipt_id=receipt_id, member_id=member_id, store_id=pos.shop.store_id,
            day=local.date(), local=local, lines=tuple(lines), qualifying_minor=0),
            status, offers)
        cashback = of_sale(setup.draft, quote, member=member_id is not None)
        assert draft == (quote.gross_minor, quote.discount_minor, quote.paid_minor,
                         quote.points_earned, quote.level_code or ANONYMOUS,
                         0 if cashback is None else cashback.total_minor), receipt_id
        cashback_given += draft[5]
        applied.update(p.name for p in quote.promotions)
    assert applied == {d.name for d in DRAFTS}
    assert cashback_given > 0


def _scenario(rt: Runtime, tenant_id: int, **changes: Any) -> int:
    draft = ScenarioDraft(name="Ten percent", program=programs.parse_rules(
        {"levels": [{**LEVELS[0], "rate_bp": 1000}, *LEVELS[1:]], "expire_after_days": 90}),
        first_day=date(2026, 2, 1), last_day=date(2026, 2, 28),
        assumptions=Assumptions(average_check_change_bp=500, gross_margin_bp=4000))
    return scenarios.create(rt, tenant_id, replace(draft, **changes), actor=audit.SYSTEM).id


def test_a_run_replays_the_period_under_both_programs(pos: Pos, rt: Runtime,
                                                      clock: FakeClock) -> None:
    two = pos.register(2)["id"]
    pos.commit(1, (line("tea", 10_000, category="food"), line("cigs", 5_000,
                                                              category="tobacco")),
               receipt="feb-1")
    pos.commit(two, (line("cake", 20_000, category="food"),), receipt="feb-2")
    pos.commit(None, (line("tea", 10_000),), receipt="feb-3")
    clock.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    pos.commit(1, (line("tea", 10_000),), receipt="mar-1")  # after the period
    scenario_id = _scenario(rt, pos.tenant_id, promotions=(Draft(
        name="Cake week", condition="basket.total_minor > 15000",
        effects=(PercentDiscount(rate_bp=1000, categories=frozenset({"food"})),)),))
    seen: list[tuple[int, int]] = []
    state, result = simulator.run(rt, pos.tenant_id, scenario_id,
                                  progress=lambda d, t: seen.append((d, t)))
    assert (state.status, state.receipts_total, state.receipts_done) == ("done", 3, 3)
    assert seen[-1] == (3, 3)
    current, draft = result.current, result.draft
    # Current: member 1 silver (5 % of the tea, tobacco earns nothing), member 2 base (3 %).
    assert (current.receipts, current.gross_minor, current.points_issued) == (3, 45_000, 11)
    # Draft: base earns 10 %; the cake's 20.00 meets the draft promotion: 2.00 off food.
    assert draft.discount_minor == 2_000
    # ... and the draft leaves tobacco earning: silver's 5 % of 150.00 is 7 points.
    assert draft.points_issued == 7 + 18
    assert [(g.key, g.receipts) for g in draft.by_level] == [("base", 1), ("silver", 1),
                                                             ("-", 1)]
    assert {c.code: c.members for c in draft.levels} == {"base": 1, "silver": 1, "gold": 0}
    # Points do not move before the period's end (28 days < model delay of 60 by default).
    assert draft.points_outstanding == draft.points_issued - draft.points_redeemed
    assert draft.reward_cost_minor > current.reward_cost_minor
    assert result.payback.lift_bp == 500
    assert len(result.sensitivity.net_per_30_days_minor) == 5
    assert simulator.latest_result(rt, pos.tenant_id, scenario_id) == result


def test_a_draft_with_cashback_counts_it_in_the_reward_cost(pos: Pos, rt: Runtime,
                                                            clock: FakeClock) -> None:
    """5 % back into the wallet, tobacco excluded, by hand: member 1 (silver) 5 % of the
    tea's 100.00 = 5.00; member 2 (base) 5 % of the cake's 203.33 = 10.16 (rounded down);
    the anonymous receipt nothing. Cashback is money: it all counts in the cost."""
    two = pos.register(2)["id"]
    pos.commit(1, (line("tea", 10_000, category="food"), line("cigs", 5_000,
                                                              category="tobacco")),
               receipt="feb-1")
    pos.commit(two, (line("cake", 20_333, category="food"),), receipt="feb-2")
    pos.commit(None, (line("tea", 10_000, category="food"),), receipt="feb-3")
    clock.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    rules = {"levels": LEVELS, "earn_excluded_categories": ["tobacco"],
             "rounding_scope": "line", "expire_after_days": 90}
    scenario_id = _scenario(rt, pos.tenant_id, program=programs.parse_rules(
        {**rules, "cashback_rate_bp": 500, "cashback_excluded_categories": ["tobacco"]}))
    _, result = simulator.run(rt, pos.tenant_id, scenario_id)
    draft, current = result.draft, result.current
    assert (draft.cashback_minor, current.cashback_minor) == (500 + 1_016, 0)
    assert draft.points_issued == current.points_issued
    assert draft.discount_minor == current.discount_minor == 0
    assert draft.reward_cost_minor == current.reward_cost_minor + 1_516
    assert current.reward_cost_minor == (current.points_issued - current.breakage_points) * 100
    assert draft.reward_cost_share_bp == (draft.reward_cost_minor * 10_000 * 2
                                          + draft.paid_minor) // (2 * draft.paid_minor)
    assert [(g.key, g.cashback_minor) for g in draft.by_level] == [
        ("base", 1_016), ("silver", 500), ("-", 0)]
    assert [(g.key, g.cashback_minor) for g in draft.by_store] == [
        (str(pos.shop.store_id), 1_516)]
    rows = list(simulator.export_rows(result))
    assert ("total", "", "cashback_minor", 1_516, 0) in rows
    assert ("by_level", "-", "cashback_minor", 0, 0) in rows


def test_a_replay_refuses_offers_it_cannot_count() -> None:
    """A coupon costs when it is used later and a gift when the till rings it up: neither is
    in past receipts, so a draft with them would show no cost. Cashback is counted."""
    for effect in (IssueCoupon(series_id=1), GiftWithPurchase(gift_sku="cake", buy_milli=1000)):
        with pytest.raises(InvalidInput) as refused:
            scenarios.check_replayable(Draft(name="x", effects=(
                PercentDiscount(rate_bp=500), effect)))
        assert refused.value.field == "effects.1"
    scenarios.check_replayable(Draft(name="x", effects=(CashbackEffect(rate_bp=500),)))


def test_a_draft_for_a_segment_reaches_its_members_and_figures_come_per_segment(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    silver = segments.create(rt, pos.tenant_id, segments.Draft(
        name="Silver", rules=(LevelIn(levels=frozenset({"silver"})),)))
    two = pos.register(2)["id"]  # base: not in the segment
    pos.commit(1, (line("tea", 10_000, category="food"),), receipt="feb-1")
    pos.commit(two, (line("tea", 10_000, category="food"),), receipt="feb-2")
    pos.commit(None, (line("tea", 10_000, category="food"),), receipt="feb-3")
    clock.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    scenario_id = _scenario(rt, pos.tenant_id, program=None, promotions=(Draft(
        name="Silver week", segment_id=silver.id,
        effects=(PercentDiscount(rate_bp=1000),)),))
    _, result = simulator.run(rt, pos.tenant_id, scenario_id)
    assert (result.draft.discount_minor, result.current.discount_minor) == (1_000, 0)
    assert [(g.key, g.name, g.receipts, g.discount_minor) for g in result.draft.by_segment
            ] == [(str(silver.id), "Silver", 1, 1_000)]
    assert [(g.key, g.receipts) for g in result.current.by_segment] == [(str(silver.id), 1)]
    assert ("by_segment", str(silver.id), "discount_minor", 1_000, 0) in list(
        simulator.export_rows(result))


# Honesty -------------------------------------------------------------------------------------

def _generate(rt: Runtime, pos: Pos, *, members: int, receipts_each: int, seed: int) -> None:
    """Receipts over February from ``members`` members of varied habits, written as history
    (with their qualifying spend), from a fixed seed."""
    rng = random.Random(seed)
    ids = [pos.register(100 + n)["id"] for n in range(members)]
    start = datetime(2026, 2, 1, 7, 0, tzinfo=UTC)
    menu = [("tea", "food", 2_500), ("cake", "food", 4_500), ("beans", "goods", 18_000),
            ("cigs", "tobacco", 9_000)]
    with rt.db.write() as conn:
        for member_id in ids:
            appetite = rng.uniform(0.5, 2.0)
            for n in range(rng.randint(1, receipts_each * 2)):
                at = start + timedelta(days=rng.randint(0, 27), minutes=rng.randint(0, 600))
                chosen = [menu[rng.randrange(len(menu))] for _ in range(rng.randint(1, 4))]
                paid = sum(int(p * appetite) for _, _, p in chosen)
                receipt_id = conn.execute(insert(receipts).values(
                    tenant_id=pos.tenant_id, terminal_id=pos.shop.terminal_ids[0],
                    store_id=pos.shop.store_id, receipt_no=f"h-{member_id}-{n}",
                    member_id=member_id, status="committed", program_version=1,
                    gross_minor=paid, discount_minor=0, points_spent=0,
                    points_discount_minor=0, paid_minor=paid, points_earned=0,
                    request_hash="-", response={}, occurred_at=at, recorded_at=at)
                    .returning(receipts.c.id)).scalar_one()
                conn.execute(insert(receipt_lines), [dict(
                    tenant_id=pos.tenant_id, receipt_id=receipt_id, line_no=i + 1, sku=sku,
                    name=sku, category=category, quantity_milli=1000,
                    unit_price_minor=int(price * appetite), gross_minor=int(price * appetite),
                    discount_minor=0, points_spent=0, paid_minor=int(price * appetite),
                    points_earned=0) for i, (sku, category, price) in enumerate(chosen)])
                add_spend(conn, tenant_id=pos.tenant_id, member_id=member_id,
                          day=local_day(at, simulator.ZoneInfo("Europe/Moscow")),
                          net_minor=paid, at=at)


def test_cost_predicted_on_half_the_members_holds_on_the_other_half(
        pos: Pos, rt: Runtime) -> None:
    _generate(rt, pos, members=300, receipts_each=4, seed=20261206)
    scenario_id = _scenario(rt, pos.tenant_id)
    halves = []
    for remainder in (0, 1):
        setup = simulator.prepare(rt, pos.tenant_id, scenario_id,
                                  members_modulo=(2, remainder))
        halves.append(simulator.replay(rt, pos.tenant_id, setup).draft)
    learn, check = halves
    predicted = learn.reward_cost_minor * check.paid_minor // learn.paid_minor
    assert check.receipts > 300
    assert abs(predicted - check.reward_cost_minor) <= check.reward_cost_minor * 5 // 100
    predicted_points = learn.points_issued * check.paid_minor // learn.paid_minor
    assert abs(predicted_points - check.points_issued) <= check.points_issued * 5 // 100


def test_nothing_but_the_run_is_written(pos: Pos, rt: Runtime) -> None:
    before = _counts(rt)
    simulator.run(rt, pos.tenant_id, _scenario(rt, pos.tenant_id))
    assert _counts(rt) == before


def _counts(rt: Runtime) -> tuple[int, ...]:
    with rt.db.read() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (receipts, receipt_lines, entries, spend_days))


def test_two_workers_give_what_one_gives(pos: Pos, rt: Runtime) -> None:
    _generate(rt, pos, members=60, receipts_each=3, seed=7)
    for n in range(5):
        pos.commit(None, (line("tea", 1_000 + n, category="food"),), receipt=f"anon-{n}")
    scenario_id = _scenario(rt, pos.tenant_id, first_day=date(2026, 1, 1))
    setup = simulator.prepare(rt, pos.tenant_id, scenario_id)
    one = simulator.replay(rt, pos.tenant_id, setup)
    seen: list[tuple[int, int]] = []
    two = simulator.replay(rt, pos.tenant_id, setup, workers=2,
                           progress=lambda d, t: seen.append((d, t)))
    assert one == two
    assert one.draft.receipts == setup.total > 60
    assert seen[-1] == (setup.total, setup.total)
    assert [g.key for g in one.draft.by_level][-1] == "-"


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_reaches_the_receipts_the_run_replays(pos: Pos, rt: Runtime,
                                                       clock: FakeClock, workers: int) -> None:
    kept = pos.commit(1, (line("tea", 10_000, category="food"),), receipt="feb-1")
    gone = pos.commit(1, (line("cake", 20_000, category="food"),), receipt="feb-2")
    pos.commit(None, (line("tea", 5_000, category="food"),), receipt="feb-3")
    half = pos.commit(None, (line("tea", 5_000, category="food"),
                             line("cake", 4_000, category="food")), receipt="feb-4")
    pos.refund(_receipt_id(gone), None, key="all-of-feb-2")  # nothing left to replay
    pos.refund(_receipt_id(half), [(1, 1000)], key="tea-of-feb-4")  # the cake is left
    assert _receipt_id(kept) != _receipt_id(gone)
    clock.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    seen: list[tuple[int, int]] = []
    state, result = simulator.run(rt, pos.tenant_id, _scenario(rt, pos.tenant_id),
                                  progress=lambda d, t: seen.append((d, t)),
                                  workers=workers)
    assert result.draft.receipts == 3
    assert (state.receipts_total, state.receipts_done) == (3, 3)
    assert seen and {total for _, total in seen} == {3}
    assert seen[-1] == (3, 3)


def _receipt_id(body: dict[str, Any]) -> int:
    return int(body["receipt"]["id"] if "receipt" in body else body["receipt_id"])


def test_a_run_that_stopped_showing_progress_is_failed(pos: Pos, rt: Runtime,
                                                        clock: FakeClock) -> None:
    scenario_id = _scenario(rt, pos.tenant_id)
    state, _ = simulator.start_run(rt, pos.tenant_id, scenario_id)  # never executed
    clock.now += scenarios.RUN_LEASE
    running, _ = simulator.get_run(rt, pos.tenant_id, scenario_id, state.id)
    assert running.status == "running"
    clock.now += timedelta(seconds=1)
    stopped, _ = simulator.get_run(rt, pos.tenant_id, scenario_id, state.id)
    assert (stopped.status, stopped.detail is not None) == ("failed", True)
    assert "run the scenario again" in (stopped.detail or "")
    assert scenarios.get(rt, pos.tenant_id, scenario_id).last_run == stopped
    done, result = simulator.run(rt, pos.tenant_id, scenario_id)
    assert done.status == "done" and result.draft.receipts == 0


def test_draft_promotions_added_at_once_are_all_kept(pos: Pos, rt: Runtime) -> None:
    """Ten people adding a draft promotion to one scenario at once: each change is made on
    what the one before left (the scenario's row is locked for it), none is lost."""
    scenario_id = _scenario(rt, pos.tenant_id)
    run_together(10, lambda n: scenarios.change_promotion(
        rt, pos.tenant_id, scenario_id, None,
        Draft(name=f"Draft {n}", effects=(PercentDiscount(rate_bp=100 + n),)), actor=audit.SYSTEM))
    kept = scenarios.get(rt, pos.tenant_id, scenario_id).promotions
    assert sorted(p.name for p in kept) == sorted(f"Draft {n}" for n in range(10))


def test_receipts_that_only_sold_stored_value_are_not_replayed_nor_counted(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    """A receipt that only sold a gift card (no lines), or sold one beside lines that came to
    nothing (gross 0), is no purchase: it earns nothing, so the replay skips it, and it is no
    receipt of the run's totals, its progress or its levels."""
    codes = cards_for_sale(pos, 2)
    pos.commit(1, (line("tea", 10_000, category="food"),), receipt="feb-1")
    sell_card(pos, 1, codes[0], 5_000, receipt="feb-card")
    free = pos.prepare(1, (line("bag", 0),), receipt="feb-free-line")
    pos.send(replace(free, request=replace(free.request, certificates_sold=(
        CertificateSale(code=codes[1], amount_minor=5_000),))))
    clock.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    with rt.db.read() as conn:
        gross = sorted(conn.execute(select(receipts.c.gross_minor).where(
            receipts.c.tenant_id == pos.tenant_id)).scalars())
    assert gross == [0, 0, 10_000, 60_000]  # the two sales of cards, and two purchases
    state, result = simulator.run(rt, pos.tenant_id, _scenario(rt, pos.tenant_id))
    assert (state.receipts_total, state.receipts_done) == (1, 1)
    for figures in (result.current, result.draft):
        assert (figures.receipts, figures.gross_minor) == (1, 10_000)
        assert [(g.key, g.receipts) for g in figures.by_level] == [("silver", 1)]


def test_the_redemption_model_counts_the_points_of_purchases_not_of_refunded_receipts(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    from regulars.db.analytics import scenarios as scenario_store

    def sums() -> scenario_store.PointSums:
        with rt.db.read() as conn:
            return scenario_store.point_sums(conn, pos.shop.tenant_id,
                                             since=clock.now - timedelta(days=365))

    pos.commit(1, (line("tea", 100_000),), receipt="kept")
    kept = sums()
    assert kept.issued > 0
    returned = pos.commit(1, (line("cake", 100_000),), receipt="returned")
    assert sums().issued > kept.issued
    pos.refund(returned["receipt"]["id"], key="refund-returned")
    assert sums() == kept  # its points were taken back: the model does not count them
