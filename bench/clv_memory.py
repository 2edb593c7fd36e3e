"""Memory of the CLV report for a large tenant with a fit, in process: the peak resident
memory (``VmHWM``) above the process's own once the models are imported, while the report's
steps run as the API runs them (``services.analytics.clv``): the members' purchases into
the summary, the RFM scores, both fits, every member's value, the order, a page of outlooks.

    uv run python bench/clv_memory.py [--members 1000000] [--seed 7] [--way grouped|fold]

No database: the purchases of ``--members`` members are drawn (seeded) from the BG/NBD and
Gamma-Gamma processes of ``bench/clv.py`` and handed to the summary in ascending member order,
a slice of members at a time, as the database's rows would be: the slice's draws (a few MB)
are the only memory the bench itself adds. Two ways, each in a process of its own (both, one
after the other, without ``--way``):

- ``grouped``: the report's way, one row per member (purchase days, first and last day,
  spend, the first day's spend) as the database groups them (``summary_of_members``);
- ``fold``: the report's way before, one row per receipt folded member by member in Python
  (``summarise_by_member``).
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np

from _common import code_version, machine, make_console
from clv import CALIBRATION_WEEKS, START, TRUE_SPEND, _purchase_weeks
from regulars.analytics.summary import TimeUnit, summarise_by_member, summary_of_members
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


def member_rows(members: int, seed: int, end_day: int
                ) -> Iterator[tuple[int, int, int, int, int, int]]:
    """The purchases up to ``end_day`` grouped per member and day, then per member, as the
    database sends them: (member id, purchase days, first day, last day, spend, the first
    day's spend)."""
    for member_id, rows in itertools.groupby(purchases(members, seed), key=lambda r: r[0]):
        days: dict[int, int] = {}
        for _, day, amount in rows:
            if day <= end_day:
                days[day] = days.get(day, 0) + amount
        if days:
            first = min(days)
            yield member_id, len(days), first, max(days), sum(days.values()), days[first]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--way", choices=("grouped", "fold"))
    args = parser.parse_args()
    if args.way is None:
        for way in ("fold", "grouped"):
            console.print(f"[bold]{way}[/bold]")
            subprocess.run([sys.executable, __file__, *sys.argv[1:], "--way", way], check=True)
        return
    end = START + timedelta(weeks=CALIBRATION_WEEKS)
    import scipy.optimize  # noqa: F401  (the models' imports, counted in the start)
    import scipy.special  # noqa: F401

    at_start = memory_mb()
    started = time.perf_counter()
    if args.way == "fold":
        summary = summarise_by_member(purchases(args.members, args.seed), calibration_end=end,
                                      unit=TimeUnit.WEEKS)
    else:
        summary = summary_of_members(member_rows(args.members, args.seed, end.toordinal()),
                                     calibration_end=end, unit=TimeUnit.WEEKS)
    after_summary = memory_mb()
    found = clv.computed(summary, clv.ClvQuery(), end)
    page = found.outlooks(0, 50)
    total, groups = found.total_minor, found.groups()
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
