"""The summary, the text reader, RFM scores and the rounding of estimates, on small
hand-computed fixtures; the fits' refusals."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from regulars.analytics import FitFailed, NotEnoughData
from regulars.analytics.bgnbd import BgNbdFit, expected_purchases, fit_bgnbd, probability_alive
from regulars.analytics.clv import (
    ValuePolicy,
    lifetime_value_array,
    member_value_arrays,
    to_minor,
    to_minor_array,
)
from regulars.analytics.gamma_gamma import GammaGammaFit, fit_gamma_gamma
from regulars.analytics.rfm import RfmGroup, quintile_scores, rfm_scores
from regulars.analytics.summary import (
    Receipt,
    TimeUnit,
    distinct_counts,
    group_rows,
    summarise,
    summarise_by_member,
)
from regulars.analytics.text_receipts import parse_amount_minor, parse_receipt_lines
from regulars.domain.money import Rounding
from regulars.services.analytics.clv import ranked

END = date(2026, 2, 5)
RECEIPTS = [
    Receipt("ann", date(2026, 1, 1), 1000),
    Receipt("bob", date(2026, 1, 29), 900),
    Receipt("ann", date(2026, 1, 1), 500),  # same day: one purchase of 1500
    Receipt("ann", date(2026, 1, 15), 2000),
    Receipt("cid", date(2026, 2, 6), 300),  # first purchase after the end: not a member yet
    Receipt("ann", date(2026, 2, 1), 700),
    Receipt("ann", date(2026, 2, 6), 9999),  # after the end: hold-out, left out
]


def test_a_summary_counts_purchase_days_and_measures_from_the_first_one() -> None:
    summary = summarise(RECEIPTS, calibration_end=END, unit=TimeUnit.DAYS)
    assert summary.member_ids == ("ann", "bob")
    assert summary.frequency.tolist() == [2, 0]
    assert summary.recency.tolist() == [31.0, 0.0]
    assert summary.age.tolist() == [35.0, 7.0]
    assert summary.days_since_first.tolist() == [35, 7]
    assert summary.days_since_last.tolist() == [4, 7]
    assert summary.spend_minor.tolist() == [4200, 900]
    assert summary.repeat_spend_minor.tolist() == [2700, 0]


def test_in_weeks_recency_and_age_are_days_over_seven_and_the_rest_is_unchanged() -> None:
    summary = summarise(RECEIPTS, calibration_end=END, unit=TimeUnit.WEEKS)
    assert summary.recency.tolist() == [31 / 7, 0.0]
    assert summary.age.tolist() == [5.0, 1.0]
    assert summary.days_since_last.tolist() == [4, 7]
    assert summary.index_of("bob") == 1


def test_the_summary_arrays_are_read_only_and_negative_amounts_are_refused() -> None:
    summary = summarise(RECEIPTS, calibration_end=END, unit=TimeUnit.DAYS)
    with pytest.raises(ValueError):
        summary.frequency[0] = 5
    with pytest.raises(ValueError, match="negative"):
        summarise([Receipt("x", END, -1)], calibration_end=END, unit=TimeUnit.DAYS)


def test_amounts_are_read_from_their_digits_not_through_a_float() -> None:
    # float("1.15") * 100 is 114.999..., float("0.29") * 100 is 28.999...
    assert [parse_amount_minor(t) for t in ("1.15", "0.29", "77.00", "5.5", "12", "0.00")] == [
        115, 29, 7700, 550, 1200, 0]
    for bad in ("1.155", "-1.00", "1,00", "", ".5", "1e3"):
        with pytest.raises(ValueError):
            parse_amount_minor(bad)


def test_the_reader_skips_a_header_and_blank_lines_and_names_the_bad_line() -> None:
    lines = [" customer_id  date number_of_cds  dollar_value\r\n",
             " 00002 19970112  1   12.00\r\n", "\r\n", " 00002 19970112  5   77.00\r\n"]
    assert list(parse_receipt_lines(lines)) == [
        Receipt("00002", date(1997, 1, 12), 1200), Receipt("00002", date(1997, 1, 12), 7700)]
    sample = [" 00004 0001 19970101  2   29.33"]
    assert list(parse_receipt_lines(sample, skip_fields=1)) == [
        Receipt("00004", date(1997, 1, 1), 2933)]
    with pytest.raises(ValueError, match="line 2: expected 4 fields"):
        list(parse_receipt_lines(["00001 19970101 1 1.00", "00001 19970101 1"]))
    with pytest.raises(ValueError, match="line 1: not a YYYYMMDD date"):
        list(parse_receipt_lines(["00001 1997-01-01 1 1.00"]))
    with pytest.raises(ValueError, match="line 1: not a whole quantity"):
        list(parse_receipt_lines(["00001 19970101 x 1.00"]))


def test_quintile_scores_count_strictly_worse_values_so_ties_share_a_score() -> None:
    days = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=np.int64)
    assert quintile_scores(days, higher_is_better=False).tolist() == [
        5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    purchases = np.array([1, 1, 1, 1, 1, 1, 2, 2, 3, 5], dtype=np.int64)
    assert quintile_scores(purchases, higher_is_better=True).tolist() == [
        1, 1, 1, 1, 1, 1, 4, 4, 5, 5]


def _member(name: str, days: list[int], amount_minor: int) -> list[Receipt]:
    return [Receipt(name, date.fromordinal(END.toordinal() - d), amount_minor) for d in days]


def test_rfm_groups_name_recent_frequent_buyers_champions_and_old_one_timers_lost() -> None:
    receipts = (_member("champ", [1, 10, 20, 30], 5000) + _member("fresh", [2], 100)
                + _member("gone", [300], 100) + _member("slipping", [200, 250, 280], 3000)
                + _member("mid", [60, 90], 800))
    by_id = {s.member_id: s for s in rfm_scores(
        summarise(receipts, calibration_end=END, unit=TimeUnit.DAYS))}
    champ = by_id["champ"]
    assert (champ.days_since_last, champ.purchases, champ.spend_minor) == (1, 4, 20000)
    assert champ.code == "555" and champ.group is RfmGroup.CHAMPIONS
    # Five members, so a score is 1 + the number strictly worse: fresh has 3 members with
    # older last purchases (R 4), none with fewer purchases (F 1), none with less spend (M 1).
    assert by_id["fresh"].code == "411" and by_id["fresh"].group is RfmGroup.PROMISING
    assert by_id["gone"].code == "111" and by_id["gone"].group is RfmGroup.LOST
    assert by_id["slipping"].code == "244" and by_id["slipping"].group is RfmGroup.AT_RISK
    assert by_id["mid"].code == "333" and by_id["mid"].group is RfmGroup.NEED_ATTENTION


def test_estimates_round_to_minor_units_by_the_named_policy_exactly() -> None:
    assert to_minor(2.5, Rounding.HALF_EVEN) == 2
    assert to_minor(2.5, Rounding.HALF_UP) == 3
    assert to_minor(1234.4999, Rounding.HALF_UP) == 1234
    assert to_minor(0.1, Rounding.CEILING) == 1
    assert to_minor(-0.5, Rounding.HALF_EVEN) == 0
    with pytest.raises(ValueError):
        to_minor(float("nan"), Rounding.HALF_EVEN)


def test_rounding_a_whole_array_gives_what_rounding_each_value_gives() -> None:
    below_half = 0.49999999999999994  # + 0.5 is 1.0 in floats: a naive half-up gets it wrong
    values = np.array([2.5, 3.5, -2.5, -0.5, 0.5, below_half, -below_half, 1234.4999,
                       1e15 + 0.5, 7.0, -7.25, 0.0, 0.1, 99.99999999])
    for rounding in Rounding:
        assert to_minor_array(values, rounding).tolist() == [
            to_minor(float(v), rounding) for v in values], rounding
    with pytest.raises(ValueError):
        to_minor_array(np.array([1.0, float("inf")]), Rounding.HALF_EVEN)


def test_the_fits_refuse_too_little_data_with_a_clear_error() -> None:
    few = summarise(_member("a", [1, 5], 100) + _member("b", [3], 100),
                    calibration_end=END, unit=TimeUnit.DAYS)
    with pytest.raises(NotEnoughData, match="at least 20 members"):
        fit_bgnbd(few)
    one_timers = summarise([r for i in range(50) for r in _member(f"m{i}", [i + 1], 100)],
                           calibration_end=END, unit=TimeUnit.DAYS)
    with pytest.raises(NotEnoughData, match="there are 50, 0 with one") as refused:
        fit_bgnbd(one_timers)
    assert refused.value.code == "not_enough_data"
    assert refused.value.reason == "too_few_members"
    assert refused.value.params == {"members": 20, "repeat_buyers": 5, "found": 50,
                                    "found_repeat": 0}
    with pytest.raises(NotEnoughData, match="spend model") as spend:
        fit_gamma_gamma(few)
    assert spend.value.reason == "too_few_repeat_spenders"


def test_a_purchase_fit_without_drop_outs_or_spread_fails_rather_than_answer() -> None:
    # 30 members who all buy every week up to the end: nobody drops out and every rate is
    # the same, so the maximum lies at the edge of the parameter space.
    weekly = [Receipt(m, date.fromordinal(END.toordinal() - 7 * k - m % 3), 1000)
              for m in range(30) for k in range(10)]
    summary = summarise(weekly, calibration_end=END, unit=TimeUnit.WEEKS)
    with pytest.raises(FitFailed, match="purchase \\(BG/NBD\\)") as failed:
        fit_bgnbd(summary)
    assert failed.value.code == "fit_failed" and failed.value.status == 409
    assert failed.value.reason in {"did_not_converge", "no_usable_maximum"}


def test_a_member_without_repeats_is_alive_and_no_horizon_means_no_purchases() -> None:
    summary = summarise(RECEIPTS, calibration_end=END, unit=TimeUnit.WEEKS)
    fit = BgNbdFit(r=0.25, alpha=4.0, a=0.8, b=2.4, unit=TimeUnit.WEEKS, members=2,
                   log_likelihood=0.0)
    alive = probability_alive(fit, summary)
    assert alive[1] == 1.0 and 0.0 < alive[0] < 1.0
    assert expected_purchases(fit, summary, horizon=0.0).tolist() == [0.0, 0.0]
    assert np.all(expected_purchases(fit, summary, horizon=52.0) > 0)
    daily = summarise(RECEIPTS, calibration_end=END, unit=TimeUnit.DAYS)
    with pytest.raises(ValueError, match="a fit in weeks applied to a summary in days"):
        probability_alive(fit, daily)


def test_rows_with_equal_keys_form_one_group_in_key_order() -> None:
    x = np.array([2, 0, 2, 0, 1, 2], dtype=np.int64)
    age = np.array([5, 9, 5, 7, 5, 4], dtype=np.int64)
    groups = group_rows(x, age)
    # groups in key order: (0,7) (0,9) (1,5) (2,4) (2,5)
    assert groups.inverse.tolist() == [4, 1, 4, 0, 2, 3]
    assert groups.counts.tolist() == [1, 1, 1, 1, 2]
    assert [(int(x[i]), int(age[i])) for i in groups.first] == [
        (0, 7), (0, 9), (1, 5), (2, 4), (2, 5)]


def test_a_summary_folded_member_by_member_equals_the_summary_of_any_order() -> None:
    ids = {"ann": 1, "bob": 2, "cid": 3}
    rows = sorted((ids[str(r.member_id)], r.on.toordinal(), r.amount_minor) for r in RECEIPTS)
    whole = summarise(RECEIPTS, calibration_end=END, unit=TimeUnit.WEEKS)
    folded = summarise_by_member(rows, calibration_end=END, unit=TimeUnit.WEEKS)
    assert list(folded.member_ids) == [1, 2]
    for name in ("frequency", "recency", "age", "days_since_first", "days_since_last",
                 "spend_minor", "repeat_spend_minor"):
        assert getattr(folded, name).tolist() == getattr(whole, name).tolist(), name
    with pytest.raises(ValueError, match="comes after"):
        summarise_by_member([(2, 1, 10), (1, 1, 10)], calibration_end=END, unit=TimeUnit.DAYS)


def test_days_are_counted_in_four_bytes_and_a_lifetime_value_alone_is_the_outlooks() -> None:
    rows = sorted((int(member), day, 100 + 37 * n) for n, (member, day) in enumerate(
        (m, END.toordinal() - (m * 13 + k * 29) % 300) for m in range(1, 60) for k in range(m % 6)))
    summary = summarise_by_member(rows, calibration_end=END, unit=TimeUnit.WEEKS)
    for name in ("frequency", "days_since_first", "days_since_last", "spend_minor",
                 "repeat_spend_minor"):
        assert getattr(summary, name).dtype == np.int32, name
    large = summarise_by_member([(1, END.toordinal() - 9, 2**31 - 1), (1, END.toordinal(), 1)],
                                calibration_end=END, unit=TimeUnit.DAYS)
    assert large.spend_minor.dtype == np.int64 and large.spend_minor.tolist() == [2**31]
    assert large.repeat_spend_minor.dtype == np.int32 and large.repeat_spend_minor.tolist() == [1]
    assert summary.recency.tolist() == ((summary.days_since_first - summary.days_since_last)
                                        / 7).tolist()
    purchases = BgNbdFit(r=0.243, alpha=4.414, a=0.793, b=2.426, unit=TimeUnit.WEEKS,
                         members=0, log_likelihood=0.0)
    spend = GammaGammaFit(p=6.25, q=3.74, gamma=1500.0, members=0, log_likelihood=0.0)
    policy = ValuePolicy(margin_bp=3000, discount_monthly_bp=100)
    whole = member_value_arrays(purchases, spend, summary, policy)
    alone = lifetime_value_array(purchases, spend, summary, policy, rows=7)
    assert alone.tolist() == whole.lifetime_value_minor.tolist()
    backwards = np.arange(len(summary))[::-1].copy()
    taken = member_value_arrays(purchases, spend, summary.taken(backwards), policy)
    assert taken.lifetime_value_minor.tolist() == alone[backwards].tolist()
    assert list(summary.taken(backwards).member_ids) == list(summary.member_ids)[::-1]


def test_distinct_rows_counted_a_slice_at_a_time_are_the_groups_of_all_rows() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, 500).astype(np.int32)
    first = rng.integers(0, 9, 500).astype(np.int32)
    spend = rng.integers(0, 3, 500).astype(np.int64)
    chosen = x > 0
    groups = group_rows(x[chosen], spend[chosen])
    for rows in (1, 2, 3, 64, 500, 10_000):
        (keys_x, keys_first), counts = distinct_counts(x, first, rows=rows)
        whole = group_rows(x, first)
        assert keys_x.tolist() == x[whole.first].tolist(), rows
        assert keys_first.tolist() == first[whole.first].tolist(), rows
        assert counts.tolist() == whole.counts.tolist(), rows
        (keys_x, keys_spend), counts = distinct_counts(x, spend, where=chosen, rows=rows)
        assert keys_x.tolist() == x[chosen][groups.first].tolist(), rows
        assert keys_spend.tolist() == spend[chosen][groups.first].tolist(), rows
        assert counts.tolist() == groups.counts.tolist(), rows
    (empty,), none = distinct_counts(x[:0])
    assert empty.tolist() == none.tolist() == []


def test_quintile_scores_over_many_slices_count_strictly_worse_values() -> None:
    values = np.random.default_rng(5).integers(0, 1000, 200_000)
    ordered = np.sort(values)
    worse_below = np.searchsorted(ordered, values, side="left")
    worse_above = len(values) - np.searchsorted(ordered, values, side="right")
    for higher_is_better, worse in ((True, worse_below), (False, worse_above)):
        scores = quintile_scores(values, higher_is_better=higher_is_better)
        assert scores.dtype == np.int8
        assert scores.tolist() == (1 + 5 * worse // len(values)).tolist()


def test_members_rank_by_value_then_rfm_code_then_id_whichever_way_is_taken() -> None:
    rng = np.random.default_rng(11)
    ids = np.cumsum(rng.integers(1, 4, 3000)).astype(np.int64)
    code = rng.integers(111, 556, 3000).astype(np.int16)
    for value in (rng.integers(0, 40, 3000), rng.integers(0, 40, 3000) * 2**50):
        for member_ids in (ids, rng.permutation(ids)):
            expected = np.lexsort((member_ids, -code, -value)).tolist()
            assert ranked(member_ids, code, value.astype(np.int64)).tolist() == expected

