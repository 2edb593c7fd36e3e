"""The pure rules of the figures: periods and their comparison, chart buckets, shares,
expected cost and the liability's journal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from regulars.domain.analytics.days import (
    ReceiptState,
    Rewards,
    SoldLine,
    is_purchase,
    line_points_off,
    points_off_back,
    receipt_change,
    receipt_totals,
)
from regulars.domain.analytics.figures import SalesTotals, average, share_bp
from regulars.domain.analytics.liability import (
    ValuedMonth,
    enough_history,
    expected_cost,
    journal,
    month_end,
)
from regulars.domain.analytics.ranges import MAX_DAYS, Period, Preset, RangeError, buckets, resolve

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(("preset", "first"), [
    (Preset.THIS_MONTH, date(2026, 3, 1)), (Preset.LAST_30_DAYS, date(2026, 2, 1)),
    (Preset.LAST_90_DAYS, date(2025, 12, 3)), (Preset.LAST_365_DAYS, date(2025, 3, 3)),
    (Preset.YEAR_TO_DATE, date(2026, 1, 1))])
def test_presets_end_today(preset: Preset, first: date) -> None:
    assert resolve(preset, TODAY) == Period(first_day=first, last_day=TODAY)


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    period = resolve(Preset.YEAR_TO_DATE, TODAY)  # 61 days
    assert period.previous() == Period(first_day=date(2025, 11, 1),
                                       last_day=date(2025, 12, 31))
    assert period.previous().days == period.days == 61


def test_custom_ranges_are_checked() -> None:
    day = date(2026, 1, 1)
    assert resolve(Preset.CUSTOM, TODAY, first_day=day, last_day=day).days == 1
    for first, last, reason in [(None, day, "no_first_day"), (day, None, "no_last_day"),
                                (day, date(2025, 12, 31), "ends_before_start"),
                                (date(2000, 1, 1), day, "too_long")]:
        with pytest.raises(RangeError) as caught:
            resolve(Preset.CUSTOM, TODAY, first_day=first, last_day=last)
        assert caught.value.reason == reason
    longest = date.fromordinal(day.toordinal() + MAX_DAYS - 1)
    assert resolve(Preset.CUSTOM, TODAY, first_day=day, last_day=longest).days == MAX_DAYS


def test_buckets_are_days_then_weeks_then_months() -> None:
    def period(days: int) -> Period:
        return Period(first_day=date.fromordinal(TODAY.toordinal() - days + 1), last_day=TODAY)

    assert len(buckets(period(62))) == 62
    weeks = buckets(period(90))
    assert len(weeks) == 13 and weeks[1].toordinal() - weeks[0].toordinal() == 7
    months = buckets(period(400))
    assert months[0] == date(2025, 1, 1) and months[-1] == date(2026, 3, 1)


def test_shares_and_averages_round_half_up_and_have_no_value_over_nothing() -> None:
    assert share_bp(2, 3) == 6667 and share_bp(1, 0) is None
    assert average(5, 2) == 3 and average(1, 0) is None


@pytest.mark.parametrize(("points", "members", "enough"), [
    (6, 1, False), (999, 500, False), (50_000, 29, False), (1_000, 30, True)])
def test_breakage_counts_only_from_enough_matured_points_of_enough_members(
        points: int, members: int, enough: bool) -> None:
    assert enough_history(matured_points=points, matured_members=members) is enough


def test_expected_cost_and_a_balanced_journal() -> None:
    assert expected_cost(2900, 8718) == 372 and expected_cost(2900, None) == 2900
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    month = ValuedMonth(month=date(2026, 1, 1), opening_minor=0, deferred_minor=3900,
                        released_redeemed_minor=500, released_expired_minor=0,
                        other_minor=-100, closing_minor=3300)
    lines = journal([month])
    assert len(lines) == 6  # nothing for the expired points; a negative adjustment reversed
    assert sum(ln.debit_minor for ln in lines) == sum(ln.credit_minor for ln in lines) == 4500
    assert (lines[-2].account, lines[-2].debit_minor) == (
        "Contract liability: loyalty points", 100)


def test_a_receipts_cashback_counts_in_its_reward_cost_while_it_is_sold() -> None:
    """50.00 paid, 1.00 of points off, 3.50 of cashback: a refund of 20.00 takes back 1.40
    of the cashback (and the points discount of the lines it returned, 0.40), a void the
    rest."""
    sold = ReceiptState(status="committed", gross_minor=5100, paid_minor=5000,
                        refunded_paid_minor=0, discount_minor=0, points_discount_minor=100,
                        items_milli=3000, cashback_minor=350)
    assert receipt_totals(sold).reward_cost_minor == 100 + 350
    refunded = replace(sold, status="partially_refunded", refunded_paid_minor=2000,
                       items_milli=1000, cashback_minor=210, refunded_points_off_minor=40)
    assert receipt_change(sold, refunded).reward_cost_minor == (60 - 100) + (210 - 350)
    voided = replace(sold, status="voided", cashback_minor=0)
    assert receipt_change(sold, voided).reward_cost_minor == -(100 + 350)


def _sold(line_no: int, *, gross: int, paid: int, refunded_milli: int = 0) -> SoldLine:
    return SoldLine(line_no=line_no, quantity_milli=1000, refunded_quantity_milli=refunded_milli,
                    gross_minor=gross, discount_minor=0, paid_minor=paid)


def test_the_points_discount_a_refund_returns_is_its_lines_less_their_catalogue_reward() -> None:
    """Points took 3.50 off a coffee (all of it a free coffee's, named by its line) and 5.00
    off a cake: returning the coffee returns none of the points discount, the cake all of
    its, half the cake half of it (rounded down); a receipt without points returns none."""
    coffee, cake = _sold(1, gross=350, paid=0), _sold(2, gross=1000, paid=500)
    free_coffee = Rewards(discount_minor=350, cost_minor=90, by_line=((1, 350),))
    assert [line_points_off(ln, points_discount_minor=850, rewards=free_coffee)
            for ln in (coffee, cake)] == [0, 500]

    def back(*lines: SoldLine, points_discount_minor: int = 850) -> int:
        return points_off_back(lines, points_discount_minor=points_discount_minor,
                               rewards=free_coffee)

    assert back(replace(coffee, refunded_quantity_milli=1000), cake) == 0
    assert back(coffee, replace(cake, refunded_quantity_milli=1000)) == 500
    assert back(coffee, replace(cake, refunded_quantity_milli=333)) == 166
    assert back(replace(cake, refunded_quantity_milli=1000), points_discount_minor=0) == 0


def test_a_reward_over_several_lines_takes_its_share_of_each_rounded_up() -> None:
    """3.00 of a reward spread over two coffees whose points discounts are 3.50 and 4.50 of
    8.00: 1.32 and 1.69 of it (rounded up), so 2.18 and 2.81 of points besides, 4.99 in all,
    never more than the 5.00 the points paid beside the reward."""
    spread = Rewards(discount_minor=300, cost_minor=300)
    lines = (_sold(1, gross=1000, paid=650), _sold(2, gross=1000, paid=550))
    assert [line_points_off(ln, points_discount_minor=800, rewards=spread)
            for ln in lines] == [218, 281]
    returned = tuple(replace(ln, refunded_quantity_milli=1000) for ln in lines)
    assert points_off_back(returned, points_discount_minor=800, rewards=spread) == 499


def test_a_receipt_without_a_basket_is_no_purchase_and_counts_nothing() -> None:
    """A receipt that only sold a gift card (no lines, gross 0) is no receipt of the sales
    figures nor a visit, sold or not; one with a basket is, while it is sold."""
    card = ReceiptState(status="committed", gross_minor=0, paid_minor=0, refunded_paid_minor=0,
                        discount_minor=0, points_discount_minor=0, items_milli=0)
    assert receipt_totals(card) == SalesTotals()
    assert receipt_change(card, replace(card, status="refunded")) == SalesTotals()
    assert not is_purchase("committed", 0) and not is_purchase("partially_refunded", 0)
    assert is_purchase("committed", 1) and is_purchase("partially_refunded", 4000)
    assert not is_purchase("refunded", 4000) and not is_purchase("voided", 4000)
