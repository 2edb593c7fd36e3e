"""Memory of every member's outlook and lifetime value (``member_value_arrays``) for a large
tenant, in process: the peak of numpy's allocations (``tracemalloc``) while the values of
``--members`` members are worked out, all at once (as before) and ``--rows`` members at a
time, in the same run, with the same values.

    uv run python bench/clv_values_memory.py [--members 1000000] [--rows 65536]

No database, no fit: a summary of members drawn at random (seeded; purchases, recency, age
and spend in the ranges of a two-year history in weeks) and the published BG/NBD and
Gamma-Gamma parameters of the CDNOW sample.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from datetime import date

import numpy as np

from _common import machine, make_console
from regulars.analytics.bgnbd import BgNbdFit
from regulars.analytics.clv import VALUE_ROWS, MemberValueArrays, ValuePolicy, member_value_arrays
from regulars.analytics.gamma_gamma import GammaGammaFit
from regulars.analytics.summary import CalibrationSummary, TimeUnit

console = make_console()
BGNBD = BgNbdFit(
    r=0.243, alpha=4.414, a=0.793, b=2.426, unit=TimeUnit.WEEKS, members=0, log_likelihood=0.0
)
SPEND = GammaGammaFit(p=6.25, q=3.74, gamma=1500.0, members=0, log_likelihood=0.0)
POLICY = ValuePolicy(margin_bp=3000, discount_monthly_bp=100)


def summary_of(members: int, seed: int) -> CalibrationSummary:
    rng = np.random.default_rng(seed)
    days_since_first = rng.integers(0, 730, members, dtype=np.int32)
    frequency = np.minimum(rng.poisson(2.0, members), days_since_first // 7).astype(np.int32)
    days_since_last = (days_since_first * rng.random(members)).astype(np.int32)
    days_since_last[frequency == 0] = days_since_first[frequency == 0]
    spend = rng.integers(500, 20_000, members) * (frequency + 1)
    return CalibrationSummary(
        calibration_end=date(2026, 12, 6),
        unit=TimeUnit.WEEKS,
        member_ids=np.arange(1, members + 1),
        frequency=frequency,
        days_since_first=days_since_first,
        days_since_last=days_since_last,
        spend_minor=spend,
        repeat_spend_minor=spend * frequency // (frequency + 1),
    )


def measured(summary: CalibrationSummary, rows: int) -> tuple[float, float, MemberValueArrays]:
    """(peak MB above the start, seconds, the values)."""
    tracemalloc.start()
    started = time.perf_counter()
    found = member_value_arrays(BGNBD, SPEND, summary, POLICY, rows=rows)
    spent = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, spent, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=VALUE_ROWS)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    console.print(machine())
    summary = summary_of(args.members, args.seed)
    summary.purchase_age_groups  # noqa: B018 (the summary's own, made before either run)
    whole_mb, whole_s, whole = measured(summary, len(summary))
    part_mb, part_s, part = measured(summary, args.rows)
    same = all(
        np.array_equal(getattr(whole, n), getattr(part, n))
        for n in MemberValueArrays.__dataclass_fields__
    )
    outputs = sum(getattr(part, n).nbytes for n in MemberValueArrays.__dataclass_fields__)
    console.print(
        f"{args.members:,} members: all at once peak {whole_mb:.0f} MB in "
        f"{whole_s:.1f} s; {args.rows:,} at a time peak {part_mb:.0f} MB in "
        f"{part_s:.1f} s (the five result arrays: {outputs / 2**20:.0f} MB); "
        f"ratio {whole_mb / part_mb:.2f}x; same values: {same}"
    )


if __name__ == "__main__":
    main()
