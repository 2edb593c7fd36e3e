"""The redemption model a simulator's replay projects points with, fitted on the business's
own history, and the defaults it keeps while that history is too short to tell anything."""

from __future__ import annotations

from regulars.domain.checkout.replay import DEFAULT_MODEL, MIN_HISTORY_DAYS, fit_redemption


def test_a_year_of_history_gives_its_share_and_littles_law_wait() -> None:
    model = fit_redemption(issued_points=10_000, redeemed_points=4_000,
                           outstanding_points=3_000, redeemed_last_year_points=3_650,
                           history_days=400)
    assert (model.redeemed_share_bp, model.delay_days, model.issued_points) == (4_000, 300,
                                                                                10_000)


def test_a_new_business_keeps_the_defaults_however_its_first_points_went() -> None:
    # minutes old: more points spent (a welcome bonus) than earned on receipts
    for days in (0, 1, MIN_HISTORY_DAYS - 1):
        assert fit_redemption(issued_points=89, redeemed_points=62, outstanding_points=77,
                              redeemed_last_year_points=62, history_days=days) == DEFAULT_MODEL
    assert fit_redemption(issued_points=0, redeemed_points=0, outstanding_points=0,
                          redeemed_last_year_points=0, history_days=900) == DEFAULT_MODEL
    fitted = fit_redemption(issued_points=89, redeemed_points=62, outstanding_points=77,
                            redeemed_last_year_points=62, history_days=MIN_HISTORY_DAYS)
    assert fitted.issued_points == 89 and fitted.redeemed_share_bp == 6_966
