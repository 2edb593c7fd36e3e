"""Start-up cost: CPU time (user + system) of importing the app and of ``regulars --help``,
for this tree and for a baseline commit, in the same run, alternating so that a change of
machine load falls on both sides alike.

    uv run python bench/startup.py [--baseline main] [--runs 5]

The baseline's ``src`` is unpacked (``git archive``) into a scratch directory and put first on
``PYTHONPATH``, so both sides run with the same interpreter and installed libraries. Each
command runs in a fresh process; the figure is the median of the runs and the ratio is this
tree's median over the baseline's.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

COMMANDS = {
    "import regulars.api.app": ["-c", "import regulars.api.app"],
    "regulars --help": ["-c", "import sys; sys.argv = ['regulars', '--help'];"
                              " from regulars.cli.main import main; main()"],
}


def _unpack(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "src"], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _cpu_seconds(args: list[str], src: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], check=True, env=env, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="the commit to compare against")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        sides = {"baseline": _unpack(options.baseline, Path(scratch)), "this tree": REPO / "src"}
        for side in sides.values():  # compile once, so no run pays for it
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(side)], check=True)
        print(f"load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
        for name, args in COMMANDS.items():
            times: dict[str, list[float]] = {side: [] for side in sides}
            for _ in range(options.runs):
                for side, src in sides.items():
                    times[side].append(_cpu_seconds(args, src))
            base, this = (statistics.median(times[s]) for s in sides)
            print(f"{name}: baseline {base:.2f} s, this tree {this:.2f} s CPU "
                  f"(median of {options.runs}); ratio {this / base:.2f}")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
