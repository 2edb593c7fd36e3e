"""Memory of the CLV report for a large tenant with a fit, in process: the peak resident
memory (``VmHWM``) above the process's own once the models are imported, while the report's
steps run as the API runs them (``services.analytics.clv``): the purchases folded member by
member into the summary, the RFM scores, both fits, every member's value, the order, a
page of outlooks.

    uv run python bench/clv_memory.py [--members 1000000] [--seed 7]

No database: the purchases of ``--members`` members are drawn (seeded) from the BG/NBD and
Gamma-Gamma processes of ``bench/clv.py`` and handed to the summary in ascending member order,
a slice of members at a time, as the database's rows would be: the slice's draws (a few MB)
are the only memory the bench itself adds.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np

from _common import code_version, machine, make_console
from clv import CALIBRATION_WEEKS, START, TRUE_SPEND, _purchase_weeks
from regulars.analytics.summary import TimeUnit, summarise_by_member
from regulars.services.analytics import clv

console = make_console()
SLICE = 20_000


def memory_mb() -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` of this process, in MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


def purchases(members: int, seed: int) -> Iterator[tuple[int, int, int]]:
    """(member id, day ordinal, amount in minor units), member by member."""
    rng = np.random.default_rng(seed)
    start = START.toordinal()
    for first in range(0, members, SLICE):
        count = min(SLICE, members - first)
        times = _purchase_weeks(rng, count)
        scale = 1 / rng.gamma(TRUE_SPEND["q"], 1 / TRUE_SPEND["gamma"], count)
        for i, weeks in enumerate(times):
            amounts = rng.gamma(TRUE_SPEND["p"], scale[i], len(weeks))
            for at, amount in zip(weeks, amounts, strict=True):
                yield first + i + 1, start + int(at * 7), max(1, round(float(amount)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    end = START + timedelta(weeks=CALIBRATION_WEEKS)
    import scipy.optimize  # noqa: F401  (the models' imports, counted in the start)
    import scipy.special  # noqa: F401

    at_start = memory_mb()
    started = time.perf_counter()
    summary = summarise_by_member(purchases(args.members, args.seed), calibration_end=end,
                                  unit=TimeUnit.WEEKS)
    after_summary = memory_mb()
    found = clv.computed(summary, clv.ClvQuery(), end)
    page = found.outlooks(0, 50)
    total, groups = found.total_minor(), found.groups()
    seconds = time.perf_counter() - started
    after = memory_mb()
    console.print(machine(), code_version())
    console.print(f"{len(summary):,} members, fit {found.fit}, total {total}, "
                  f"{len(page)} outlooks, groups {sum(groups.values()):,}, {seconds:.1f} s")
    console.print(f"RSS at start {at_start['VmRSS']:.0f} MB; peak above it after the summary "
                  f"{after_summary['VmHWM'] - at_start['VmRSS']:.0f} MB, after the report "
                  f"{after['VmHWM'] - at_start['VmRSS']:.0f} MB; held at the end "
                  f"{after['VmRSS'] - at_start['VmRSS']:.0f} MB")


if __name__ == "__main__":
    main()
