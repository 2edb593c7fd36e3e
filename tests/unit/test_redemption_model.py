"""The redemption model a simulator's replay projects points with, fitted on the business's
own history, and the defaults it keeps (saying why) while that history is too thin to tell
anything."""

from __future__ import annotations

from regulars.domain.checkout.replay import (
    DEFAULT_MODEL,
    MIN_HISTORY_DAYS,
    MIN_HISTORY_POINTS,
    fit_redemption,
)


def test_a_year_of_history_gives_its_share_and_littles_law_wait() -> None:
    model = fit_redemption(issued_points=10_000, redeemed_points=4_000,
                           outstanding_points=3_000, redeemed_last_year_points=3_650,
                           history_days=400)
    assert (model.redeemed_share_bp, model.delay_days, model.issued_points) == (4_000, 300,
                                                                                10_000)
    assert model.fitted and model.history_days == 400 and model.default_reason is None


def _defaults(issued: int, days: int) -> tuple[int, int, bool, str | None]:
    m = fit_redemption(issued_points=issued, redeemed_points=62, outstanding_points=77,
                       redeemed_last_year_points=62, history_days=days)
    return m.redeemed_share_bp, m.delay_days, m.fitted, m.default_reason


def test_a_new_business_keeps_the_defaults_however_its_first_points_went() -> None:
    kept = (DEFAULT_MODEL.redeemed_share_bp, DEFAULT_MODEL.delay_days, False)
    # minutes old: more points spent (a welcome bonus) than earned on receipts
    for days in (0, 1, MIN_HISTORY_DAYS - 1):
        assert _defaults(5_000, days) == (*kept, "short_history")
    assert _defaults(0, 900) == (*kept, "no_points")
    fitted = fit_redemption(issued_points=MIN_HISTORY_POINTS, redeemed_points=620,
                            outstanding_points=77, redeemed_last_year_points=62,
                            history_days=MIN_HISTORY_DAYS)
    assert fitted.fitted and fitted.redeemed_share_bp == 6_200


def test_a_handful_of_points_keeps_the_defaults_however_long_the_history() -> None:
    # a café with 9 points issued, 1 redeemed: not "its own history" of 11 %
    model = fit_redemption(issued_points=9, redeemed_points=1, outstanding_points=8,
                           redeemed_last_year_points=1, history_days=400)
    assert (model.redeemed_share_bp, model.fitted, model.default_reason) == (
        5_000, False, "few_points")
    assert (model.issued_points, model.history_days) == (9, 400)
    assert _defaults(MIN_HISTORY_POINTS - 1, 900) == (5_000, 60, False, "few_points")
