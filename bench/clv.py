"""How long a lifetime-value fit takes for a large tenant: receipts of ``--members`` members
(100,000 by default) drawn from a BG/NBD purchase process and Gamma-Gamma spend with known
parameters (seeded), then timed: the summary, the BG/NBD fit, the Gamma-Gamma fit, and every
member's outlook and CLV. Target: summary + both fits + outlooks <= 10 s.

    uv run python bench/clv.py [--members 100000] [--seed 7] [--rounds 3] [--wait-idle 60]

No database. Prints each step's best time over ``--rounds`` and its ratio to a fixed numpy
workload (sorting 10M random floats) timed in the same run, so that figures from machines of
different speed (or the same machine under other load) can be compared; and the fitted
parameters next to the true ones, which a correct fit recovers closely at this size.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import numpy as np

from _common import code_version, machine, make_console, wait_for_quiet
from regulars.analytics.bgnbd import BgNbdFit, fit_bgnbd
from regulars.analytics.clv import ValuePolicy, member_values
from regulars.analytics.gamma_gamma import GammaGammaFit, fit_gamma_gamma
from regulars.analytics.summary import CalibrationSummary, Receipt, TimeUnit, summarise

console = make_console()
START = date(2025, 1, 1)
CALIBRATION_WEEKS = 39
JOIN_WEEKS = 12  # members make their first purchase in the first 12 weeks, as in CDNOW
TRUE_BGNBD = {"r": 0.25, "alpha": 4.5, "a": 0.8, "b": 2.5}  # alpha in weeks
TRUE_SPEND = {"p": 6.0, "q": 4.0, "gamma": 1500.0}  # gamma in minor units
T = TypeVar("T")


def _purchase_weeks(rng: np.random.Generator, members: int) -> list[list[float]]:
    """Each member's purchase times in weeks since START, up to the calibration end: a first
    purchase at joining, then Poisson(λ) purchases, each followed by a drop-out chance p
    (the first purchase is not: in the BG/NBD a member with no repeat purchase is alive)."""
    rate = rng.gamma(TRUE_BGNBD["r"], 1 / TRUE_BGNBD["alpha"], members)
    drop = rng.beta(TRUE_BGNBD["a"], TRUE_BGNBD["b"], members)
    now = rng.uniform(0, JOIN_WEEKS, members)
    times: list[list[float]] = [[float(t)] for t in now]
    alive = np.ones(members, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1 / rate[idx])
        idx = idx[now[idx] <= CALIBRATION_WEEKS]
        for i in idx.tolist():
            times[i].append(float(now[i]))
        alive[:] = False
        alive[idx] = rng.uniform(size=len(idx)) >= drop[idx]
    return times


def generate(members: int, seed: int) -> list[Receipt]:
    rng = np.random.default_rng(seed)
    times = _purchase_weeks(rng, members)
    scale = 1 / rng.gamma(TRUE_SPEND["q"], 1 / TRUE_SPEND["gamma"], members)  # 1/ν per member
    receipts = []
    for member, weeks in enumerate(times):
        amounts = rng.gamma(TRUE_SPEND["p"], scale[member], len(weeks))
        for at, amount in zip(weeks, amounts, strict=True):
            receipts.append(Receipt(member, START + timedelta(days=int(at * 7)),
                                    max(1, round(float(amount)))))
    return receipts


def _best(rounds: int, step: Callable[[], T]) -> tuple[float, T]:
    """The shortest of ``rounds`` runs of ``step`` (the least disturbed by other work) and
    the last run's result."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = step()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def _baseline() -> float:
    return float(np.sort(np.random.default_rng(0).random(10_000_000))[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wait-idle", type=float, default=60.0,
                        help="wait up to this long for the rest of the machine to go quiet")
    args = parser.parse_args()
    console.print(f"{machine()}; code {code_version()}")
    started = time.perf_counter()
    receipts = generate(args.members, args.seed)
    console.print(f"generated {len(receipts):,} receipts of {args.members:,} members in "
                  f"{time.perf_counter() - started:.1f} s")
    wait_for_quiet(console, args.wait_idle)
    end = START + timedelta(weeks=CALIBRATION_WEEKS)
    baseline_s, _ = _best(args.rounds, _baseline)
    summary_s, summary = _best(args.rounds, lambda: summarise(
        receipts, calibration_end=end, unit=TimeUnit.WEEKS))
    bgnbd_s, bgnbd = _best(args.rounds, lambda: fit_bgnbd(summary))
    spend_s, spend = _best(args.rounds, lambda: fit_gamma_gamma(summary))
    values_s, _ = _best(args.rounds, lambda: member_values(
        bgnbd, spend, summary, ValuePolicy(margin_bp=3000, discount_monthly_bp=100)))
    _report(summary, bgnbd, spend, {
        "baseline: sort 10M floats": baseline_s, "summary": summary_s, "BG/NBD fit": bgnbd_s,
        "Gamma-Gamma fit": spend_s, "outlooks and CLV": values_s}, baseline_s)


def _report(summary: CalibrationSummary, bgnbd: BgNbdFit, spend: GammaGammaFit,
            steps: dict[str, float], baseline_s: float) -> None:
    repeaters = int(np.count_nonzero(summary.frequency))
    console.print(f"{len(summary):,} members, {repeaters:,} with a repeat purchase")
    for name, seconds in steps.items():
        console.print(f"  {name:<28} {seconds:7.3f} s  {seconds / baseline_s:6.2f}× baseline")
    total = sum(seconds for name, seconds in steps.items() if not name.startswith("baseline"))
    verdict = "PASS" if total <= 10 else "FAIL"
    console.print(f"  {'summary + fits + outlooks':<28} {total:7.3f} s  "
                  f"{total / baseline_s:6.2f}× baseline  (target <= 10 s: {verdict})")
    fitted = {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b,
              "p": spend.p, "q": spend.q, "gamma": spend.gamma}
    truth = TRUE_BGNBD | TRUE_SPEND
    console.print("  fitted (true): " + ", ".join(
        f"{name} {value:.3f} ({truth[name]})" for name, value in fitted.items()))


if __name__ == "__main__":
    main()
