"""The lifetime-value fits against published figures and against ``lifetimes`` (a test-only
oracle, an independent implementation of the same models)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from regulars.analytics.bgnbd import BgNbdFit, fit_bgnbd, probability_alive
from regulars.analytics.clv import (
    ValuePolicy,
    lifetime_value,
    member_value_arrays,
    member_values,
    purchases_in_days,
)
from regulars.analytics.gamma_gamma import GammaGammaFit, fit_gamma_gamma
from regulars.analytics.summary import CalibrationSummary, TimeUnit, summarise
from regulars.analytics.text_receipts import read_receipt_file

CDNOW = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cdnow"
CALIBRATION_END = date(1997, 9, 30)


@contextmanager
def _quiet() -> Iterator[None]:
    """``lifetimes`` and its pandas calls warn about deprecations that are not ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


with _quiet():
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

LIFETIMES_DATA = resources.files("lifetimes") / "datasets"


def _sample_summary(unit: TimeUnit) -> CalibrationSummary:
    """The published 1/10 CDNOW sample (2,357 customers), from its receipts."""
    with resources.as_file(LIFETIMES_DATA / "CDNOW_sample.txt") as path:
        receipts = read_receipt_file(path, skip_fields=1)
    return summarise(receipts, calibration_end=CALIBRATION_END, unit=unit)


@pytest.fixture(scope="module")
def sample() -> CalibrationSummary:
    return _sample_summary(TimeUnit.WEEKS)


@pytest.fixture(scope="module")
def sample_fits(sample: CalibrationSummary) -> tuple[BgNbdFit, GammaGammaFit]:
    return fit_bgnbd(sample), fit_gamma_gamma(sample)


def test_the_sample_receipts_give_the_published_summary(sample: CalibrationSummary) -> None:
    with _quiet(), resources.as_file(
            LIFETIMES_DATA / "cdnow_customers_summary_with_transactions.csv") as path:
        published = pd.read_csv(path)
    assert len(sample) == len(published) == 2357
    # The sample's own customer numbers 1..2357 follow the order of first appearance.
    assert published["x"].tolist() == sample.frequency.tolist()
    assert np.allclose(published["t_x"], sample.recency, atol=0.005)
    assert np.allclose(published["T"], sample.age, atol=0.005)
    zbar = np.divide(sample.repeat_spend_minor, 100 * np.maximum(sample.frequency, 1))
    assert np.allclose(published["zbar"], zbar, atol=0.005)


def test_the_sample_reproduces_fader_hardie_and_lee_bgnbd(
        sample_fits: tuple[BgNbdFit, GammaGammaFit]) -> None:
    fit, _ = sample_fits
    # Fader, Hardie and Lee (2005): r 0.243, α 4.414, a 0.793, b 2.426, LL −9582.4
    assert (round(fit.r, 3), round(fit.alpha, 3), round(fit.a, 3), round(fit.b, 3)) == (
        0.243, 4.414, 0.793, 2.426)
    assert round(fit.log_likelihood, 1) == -9582.4
    assert fit.members == 2357 and fit.unit is TimeUnit.WEEKS


def test_the_sample_reproduces_the_published_gamma_gamma(
        sample_fits: tuple[BgNbdFit, GammaGammaFit]) -> None:
    _, fit = sample_fits
    # Fader and Hardie: p 6.25, q 3.74, γ 15.44 (dollars; ours is in cents) on 946 customers
    assert (round(fit.p, 2), round(fit.q, 2), round(fit.gamma / 100, 2)) == (6.25, 3.74, 15.44)
    assert fit.members == 946


def _lifetimes_purchases(fit: BgNbdFit) -> Any:
    model = BetaGeoFitter()
    model.params_ = pd.Series({"r": fit.r, "alpha": fit.alpha, "a": fit.a, "b": fit.b})
    model.predict = model.conditional_expected_number_of_purchases_up_to_time  # set by fit()
    return model


def test_member_outlooks_agree_with_lifetimes(
        sample: CalibrationSummary, sample_fits: tuple[BgNbdFit, GammaGammaFit]) -> None:
    fit, _ = sample_fits
    with _quiet(), resources.as_file(LIFETIMES_DATA / "cdnow_customers_summary.csv") as path:
        published = pd.read_csv(path, index_col=0)
        oracle = BetaGeoFitter().fit(published["frequency"], published["recency"],
                                     published["T"])
    rows = [0, 1, 2, 4, 17, 156, 1515, 2356]  # one-timers, repeaters, the heaviest buyer
    rows.append(int(np.argmax(sample.frequency)))
    x, t_x, age = (published[c].iloc[rows] for c in ("frequency", "recency", "T"))
    with _quiet():
        alive = oracle.conditional_probability_alive(x, t_x, age)
        in_90 = oracle.conditional_expected_number_of_purchases_up_to_time(90 / 7, x, t_x, age)
        in_365 = oracle.conditional_expected_number_of_purchases_up_to_time(365 / 7, x, t_x, age)
    assert np.allclose(probability_alive(fit, sample)[rows], alive, rtol=0.01)
    assert np.allclose(purchases_in_days(fit, sample, days=90)[rows], in_90, rtol=0.01)
    assert np.allclose(purchases_in_days(fit, sample, days=365)[rows], in_365, rtol=0.01)
    assert len({round(float(v), 3) for v in alive}) > 3  # the rows are not all alike


def test_lifetime_value_is_the_sum_lifetimes_computes_with_a_margin_on_top() -> None:
    daily = _sample_summary(TimeUnit.DAYS)  # lifetimes' month is 30 of the model's units
    purchases, spend = fit_bgnbd(daily), fit_gamma_gamma(daily)
    assert purchases.alpha == pytest.approx(4.414 * 7, rel=0.01)  # a rate: refit per unit
    spend_model = GammaGammaFitter()
    spend_model.params_ = pd.Series({"p": spend.p, "q": spend.q, "v": spend.gamma})
    mean = np.divide(daily.repeat_spend_minor, np.maximum(daily.frequency, 1))
    with _quiet():
        expected = spend_model.customer_lifetime_value(
            _lifetimes_purchases(purchases), pd.Series(daily.frequency),
            pd.Series(daily.recency), pd.Series(daily.age), pd.Series(mean), time=12,
            discount_rate=0.01, freq="D").to_numpy()
    ours = lifetime_value(purchases, spend, daily, margin_bp=3000, discount_monthly_bp=100)
    assert np.allclose(ours, 0.3 * expected, rtol=1e-9)
    values = member_values(purchases, spend, daily,
                           ValuePolicy(margin_bp=3000, discount_monthly_bp=100))
    assert [v.lifetime_value_minor for v in values[:50]] == [
        round(float(v)) for v in 0.3 * expected[:50]]
    assert values[0].member_id == "00004" and values[0].spend_per_purchase_minor > 0


def _shared_cdnow() -> Path:
    path = CDNOW / "CDNOW_master.txt"
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the shared CDNOW data is missing in CI: {path}")
        pytest.skip(f"the shared CDNOW data is not here: {path}")
    return path


def test_the_cdnow_master_fits_agree_with_lifetimes_within_one_percent() -> None:
    receipts = read_receipt_file(_shared_cdnow())
    summary = summarise(receipts, calibration_end=CALIBRATION_END, unit=TimeUnit.WEEKS)
    purchases, spend = fit_bgnbd(summary), fit_gamma_gamma(summary)
    with _quiet():
        frame = pd.DataFrame({
            "customer": [r.member_id for r in receipts],
            "date": pd.to_datetime([r.on for r in receipts]),
            "amount": [r.amount_minor / 100 for r in receipts]})
        theirs = summary_data_from_transaction_data(
            frame, "customer", "date", monetary_value_col="amount",
            observation_period_end=str(CALIBRATION_END), freq="D", freq_multiplier=7)
        oracle = BetaGeoFitter().fit(theirs["frequency"], theirs["recency"], theirs["T"])
        repeat = theirs[(theirs["frequency"] > 0) & (theirs["monetary_value"] > 0)]
        spend_oracle = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    assert len(summary) == len(theirs) == 23570
    ours = [purchases.r, purchases.alpha, purchases.a, purchases.b]
    assert np.allclose(ours, oracle.params_[["r", "alpha", "a", "b"]], rtol=0.01)
    ours = [spend.p, spend.q, spend.gamma / 100]
    assert np.allclose(ours, spend_oracle.params_[["p", "q", "v"]], rtol=0.01)
    assert spend.members == len(repeat)


def test_member_values_are_the_same_worked_out_a_few_members_at_a_time(
        sample: CalibrationSummary, sample_fits: tuple[BgNbdFit, GammaGammaFit]) -> None:
    purchases, spend = sample_fits
    policy = ValuePolicy(margin_bp=3000, discount_monthly_bp=100)
    whole = member_value_arrays(purchases, spend, sample, policy, rows=len(sample))
    for rows in (1, 7, 1000):
        sliced = member_value_arrays(purchases, spend, sample, policy, rows=rows)
        for name in ("probability_alive", "purchases_90_days", "purchases_365_days",
                     "spend_per_purchase_minor", "lifetime_value_minor"):
            assert np.array_equal(getattr(sliced, name), getattr(whole, name)), (rows, name)
