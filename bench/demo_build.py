"""Building the demo's year of history: CPU and wall seconds of ``demo.build`` as
``regulars demo`` runs it (plain receipts written in bulk) against a baseline measured in the
same run: the same build with every receipt through the till's commit
(``build(in_bulk=False)``), each on a fresh SQLite file.

    uv run python bench/demo_build.py --members 2000

CPU seconds are the fair figure on a shared machine (wall seconds grow with the load, which is
printed before and after). ``regulars demo`` also migrates the new file and starts the server,
which this leaves out.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import machine
from regulars.config import Settings
from regulars.services.demo import demo
from regulars.services.runtime import open_runtime


def _build(folder: Path, name: str, *, members: int, in_bulk: bool) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, receipts) of one build into a new file."""
    url = f"sqlite:///{folder / name}"
    with open_runtime(Settings(database_url=url), migrate=True) as rt:
        cpu, wall = time.process_time(), time.perf_counter()
        demo.build(rt, members=members, in_bulk=in_bulk)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        receipts = int(demo.issue_keys(rt)["receipts"])
    return cpu, wall, receipts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED", "true")
    print(machine())
    print(f"load before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        base_cpu, base_wall, base_receipts = _build(folder, "commit.db", members=args.members,
                                                    in_bulk=False)
        print(f"every receipt through the commit: {base_receipts} receipts, "
              f"{base_cpu:.1f} s CPU, {base_wall:.1f} s wall")
        cpu, wall, receipts = _build(folder, "bulk.db", members=args.members, in_bulk=True)
        print(f"plain receipts in bulk:           {receipts} receipts, "
              f"{cpu:.1f} s CPU, {wall:.1f} s wall")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    print(f"CPU ratio bulk / commit: {cpu / base_cpu:.2f}  (wall {wall / base_wall:.2f})")


if __name__ == "__main__":
    main()
