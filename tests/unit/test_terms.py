"""The program's terms: one sentence per feature, with typed values for the edge to format."""

from __future__ import annotations

from dataclasses import replace

from regulars.domain.money import Rounding
from regulars.domain.program.program import (
    DowngradePolicy,
    EarnMode,
    Level,
    LevelWindow,
    Program,
    RoundingScope,
)
from regulars.domain.program.terms import Money, Percent, Term, terms

BASE = Level(code="base", name="Base", threshold_minor=0, rate_bp=350)
SILVER = Level(code="silver", name="Silver", threshold_minor=50_000, rate_bp=500)
GOLD = Level(code="gold", name="Gold", threshold_minor=200_000, rate_bp=1000)


def find(found: list[Term], start: str) -> Term:
    hits = [t for t in found if t.message.startswith(start)]
    assert len(hits) == 1, [t.message for t in found]
    return hits[0]


def messages(program: Program) -> list[str]:
    return [t.message for t in terms(program)]


def test_a_single_level_earning_points() -> None:
    program = Program(levels=(BASE,))
    earn = find(terms(program), "You earn")
    assert earn.message == "You earn %(rate)s of each purchase back in points."
    assert earn.param("rate") == Percent(350)
    assert not any("level" in m for m in messages(program))


def test_levels_with_thresholds_per_window() -> None:
    program = Program(levels=(BASE, SILVER, GOLD), level_window=LevelWindow.ROLLING_12_MONTHS)
    found = terms(program)
    first = find(found, "At the %(level)s level")
    assert dict(first.params)["level"] == "Base" and first.param("rate") == Percent(350)
    nexts = [t for t in found if t.message.startswith("Spend %(threshold)s within 12 months")]
    assert [(t.param("level"), t.param("threshold"), t.param("rate")) for t in nexts] == [
        ("Silver", Money(50_000), Percent(500)), ("Gold", Money(200_000), Percent(1000))]
    find(found, "A level lasts while your spend over the last 12 months")
    lifetime = messages(replace(program, level_window=LevelWindow.LIFETIME))
    assert sum(m.startswith("Spend %(threshold)s in total") for m in lifetime) == 2
    assert not any(m.startswith("A level") for m in lifetime)
    calendar = terms(replace(program, level_window=LevelWindow.CALENDAR_YEAR))
    find(calendar, "A level reached in a calendar year is kept")
    kept = terms(replace(program, downgrade_policy=DowngradePolicy.NEVER))
    find(kept, "A level, once reached, is kept for good.")


def test_discount_mode_speaks_of_discounts_and_not_of_points() -> None:
    program = Program(earn_mode=EarnMode.DISCOUNT, levels=(BASE, SILVER),
                      earn_excluded_categories=frozenset({"tobacco"}))
    found = terms(program)
    assert find(found, "At the").message == "At the %(level)s level you get %(rate)s off each " \
                                            "purchase."
    assert find(found, "Spend").message.endswith("%(rate)s off.")
    assert find(found, "No discount on").param("categories") == "tobacco"
    assert not any("point" in t.message.lower() for t in found)
    single = terms(Program(earn_mode=EarnMode.DISCOUNT, levels=(BASE,)))
    assert single[0].message == "You get %(rate)s off each purchase."


def test_point_value_share_minimum_and_exclusions() -> None:
    program = Program(point_value_minor=50, redeem_share_max_bp=2500,
                      redeem_min_balance_points=100,
                      redeem_excluded_categories=frozenset({"tobacco", "alcohol"}),
                      earn_excluded_categories=frozenset({"gift_cards"}))
    found = terms(program)
    assert find(found, "1 point =").param("value") == Money(50)
    assert find(found, "Points can pay up to").param("share") == Percent(2500)
    assert find(found, "Points can be spent once").param("points") == 100
    assert find(found, "Points cannot pay for").param("categories") == "alcohol, tobacco"
    assert find(found, "No points are earned on").param("categories") == "gift_cards"
    whole = messages(replace(program, redeem_share_max_bp=10_000))
    assert "Points can pay a whole bill." in whole
    none = messages(replace(program, redeem_share_max_bp=0))
    assert "Points cannot be used to pay." in none
    assert not any(m.startswith("Points cannot pay for") for m in none)


def test_expiry_pending_and_never() -> None:
    program = Program(expire_after_days=180, pending_days=14)
    found = terms(program)
    expire = find(found, "Points expire")
    assert expire.message.endswith("the soonest-expiring are spent first.")
    assert expire.param("days") == 180 and expire.count == "days" and expire.plural
    assert find(found, "Points become spendable").param("days") == 14
    never = messages(Program(expire_after_days=None))
    assert "Points never expire." in never
    assert not any(m.startswith("Points become spendable") for m in never)


def test_welcome_bonus_and_one_time_code() -> None:
    assert not any("welcome" in m for m in messages(Program()))
    assert not any("one-time code" in m for m in messages(Program()))
    program = Program(welcome_bonus_points=200, otp_above_points=500)
    found = terms(program)
    welcome = find(found, "New members get")
    assert welcome.param("points") == 200 and welcome.count == "points"
    otp = find(found, "Spending more than")
    assert otp.param("points") == 500 and otp.plural is not None
    always = messages(replace(program, otp_above_points=0))
    assert "Spending points needs a one-time code sent to your phone." in always


def test_rounding_and_its_scope() -> None:
    seen = set()
    for rounding in Rounding:
        for scope in RoundingScope:
            found = messages(Program(rounding=rounding, rounding_scope=scope))
            rounded = [m for m in found if m.startswith("Points are rounded")]
            assert len(rounded) == 1
            seen.add(rounded[0])
    assert len(seen) == 8
    assert "Points are rounded down on each receipt." in messages(Program())


def test_every_placeholder_has_its_value() -> None:
    program = Program(levels=(BASE, SILVER, GOLD), welcome_bonus_points=1, otp_above_points=3,
                      pending_days=1, redeem_min_balance_points=10,
                      redeem_excluded_categories=frozenset({"x"}),
                      earn_excluded_categories=frozenset({"y"}))
    for term in terms(program):
        values = {name: "v" for name, _ in term.params}
        assert term.message % values
        if term.plural:
            assert term.plural % values and term.count in values
