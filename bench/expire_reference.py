"""``regulars expire`` as it was before the set-based rewrite (the reference kept in
``expire_equivalence.py``), as a command, so ``bench/expire.py --reference`` can time the old
implementation on the same data.

    uv run python bench/expire_reference.py --database-url URL [--batch-size 5000]
"""

from __future__ import annotations

import argparse
import sys

from expire_equivalence import reference_expire
from regulars.config import Settings
from regulars.services import ledger_admin
from regulars.services.runtime import open_runtime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    rt = open_runtime(Settings(database_url=args.database_url), migrate=True)
    try:
        ledger_admin.count_due(rt)  # as the command does, for its progress bar
        lots, points, entries = reference_expire(rt, batch_size=args.batch_size)
    finally:
        rt.close()
    print(f"expired {points} points in {lots} lots ({entries} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
