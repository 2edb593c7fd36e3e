"""Machine instructions a quote and a commit take in this process, counted by valgrind's
callgrind and grouped by where they run: the interpreter, pydantic-core, psycopg and libpq,
the garbage collector, JSON, the sealed identifiers' cryptography. Counts, not times: they
hold on a machine too busy for CPU times to mean anything.

    uv run python bench/checkout_instructions.py setup --database-url .../bench_instr --state S
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=DIR/cg.%p \\
        .venv/bin/python bench/checkout_instructions.py measure --database-url ... --state S -n 60
    uv run python bench/checkout_instructions.py compare OLD_DUMP NEW_DUMP -n 60

Run ``setup`` and ``measure`` from the checkout measured (its own ``bench/checkout.py`` sets up
the database, its own ``regulars`` answers), giving this file's path from another checkout.
``measure`` calls the ASGI app in one thread as ``bench/checkout_app_profile.py`` does (thirty
quote+commit pairs to warm it), then counts ``-n`` quotes (dump ``cg.PID.1``) and ``-n``
commits (dump ``cg.PID.2``); instrumentation is switched on and off through callgrind's client
requests, from a small library built with the C compiler and valgrind's headers. ``compare``
prints two dumps side by side in thousands of instructions a call, by area. PostgreSQL's own
work runs in its server and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(os.getcwd()) / "bench"  # the checkout measured: its own set-up and code
sys.path.insert(0, str(HERE))

CLIENT_REQUESTS = """#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
void stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


def _client_requests() -> ctypes.CDLL:
    folder = Path(tempfile.mkdtemp())
    (folder / "cg.c").write_text(CLIENT_REQUESTS)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(folder / "libcg.so"),
                    str(folder / "cg.c")], check=True)
    return ctypes.CDLL(str(folder / "libcg.so"))


Call = Callable[[int], Awaitable[None]]


def pos_calls(client: Any, keys: list[str], phones: list[str], basket: list[dict[str, Any]],
              *, prefix: str = "") -> tuple[Call, Call]:
    """The benchmark's quote and commit (call ``n``) through ``client``: the first till, a
    member picked by phone (the same sequence every run), ``basket``, 10 points spent; each
    commit a new receipt id and key (``prefix`` keeps two series of one run apart)."""
    auth = {"Authorization": f"Bearer {keys[0]}"}
    rng = random.Random(1)
    tag = f"{prefix}{time.time():.0f}"

    def sale() -> dict[str, Any]:
        return {"member": {"phone": rng.choice(phones)}, "lines": basket, "points_to_spend": 10}

    async def quote(_: int) -> None:
        answer = await client.post("/v1/pos/quote", headers=auth, json=sale())
        assert answer.status_code == 200, answer.text

    async def commit(n: int) -> None:
        answer = await client.post(
            "/v1/pos/commit", headers={**auth, "Idempotency-Key": f"k-{tag}-{n}"},
            json={"receipt_id": f"{tag}-{n}", **sale()})
        assert answer.status_code == 200, answer.text

    return quote, commit


def measure(url: str, state: Path, calls: int) -> None:
    import httpx

    from checkout import BASKET  # the measured checkout's own
    from checkout_app_profile import _direct_thread_pool  # this file's neighbour
    from regulars.api.app import create_app
    from regulars.config import Settings
    from regulars.services.runtime import open_runtime

    cg = _client_requests()
    _direct_thread_pool()
    keys, phones = json.loads(state.read_text())
    rt = open_runtime(Settings(database_url=url))
    app = create_app(rt)

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            quote, commit = pos_calls(client, keys, phones, BASKET)
            for n in range(30):
                await quote(n)
                await commit(10**6 + n)
            cg.start()
            for kind, call in ((b"quote", quote), (b"commit", commit)):
                for n in range(calls):
                    await call(n)
                cg.dump(kind)
            cg.stop()

    asyncio.run(run())
    rt.close()


_NAMED = re.compile(r"\((\d+)\)(?: (.*))?")


def self_costs(path: Path) -> tuple[Counter[tuple[str, str]], int]:
    """Instructions spent in each (object, function) itself, and the dump's total."""
    names: dict[str, dict[str, str]] = {"ob": {}, "fn": {}}
    costs: Counter[tuple[str, str]] = Counter()
    ob = fn = ""
    total = 0
    in_call = False
    for line in path.read_text().splitlines():
        if not line:
            continue
        if line[0].isdigit() or line[0] in "+-*":
            if not in_call:
                parts = line.split()
                costs[(ob, fn)] += int(parts[1]) if len(parts) > 1 else 0
            in_call = False
        elif line.startswith(("summary:", "totals:")):
            total = int(line.split()[1])
        elif line.startswith("calls="):
            in_call = True  # the next cost line is the callee's, not this function's
        elif line.startswith(("ob=", "fn=", "cob=", "cfn=")):
            key, _, value = line.partition("=")
            found = _NAMED.match(value)
            table = names[key[-2:]]
            if found and found.group(2) is not None:
                table[found.group(1)] = found.group(2)
            name = table[found.group(1)] if found else value
            if key == "ob":
                ob = name
            elif key == "fn":
                fn = name
    return costs, total


_GC = re.compile(r"(gc_|_PyGC|visit_|update_refs|subtract_refs|move_|deduce_|.*traverse"
                 r"|finalize_garbage|delete_garbage|untrack_|validate_list)")
_ALLOC = re.compile(r"(_?PyObject_(Malloc|Free|Realloc)|PyMem_|_PyMem|pymalloc|.*arena"
                    r"|malloc|free|realloc|calloc|_int_(malloc|free)|cfree|tcache)")
_LIBRARIES = (("pydantic_core", "pydantic-core"),
              ("psycopg", "psycopg + libpq"), ("pq.cpython", "psycopg + libpq"),
              ("libpq", "psycopg + libpq"), ("_cy.", "SQLAlchemy's compiled parts"),
              ("libcrypto", "cryptography, hashlib (HMAC, AES-GCM)"),
              ("_rust", "cryptography, hashlib (HMAC, AES-GCM)"),
              ("_hashlib", "cryptography, hashlib (HMAC, AES-GCM)"), ("_json", "json (C)"))


def area(obj: str, fn: str) -> str:
    name = obj.rsplit("/", 1)[-1]
    for part, label in _LIBRARIES:
        if part in name:
            return label
    if name.startswith("libc.so"):
        return "libc: malloc, free" if _ALLOC.fullmatch(fn) else "libc: memcpy, printf, ..."
    if "libpython" not in name:
        return f"other ({name})"
    if _GC.match(fn):
        return "garbage collector"
    if _ALLOC.fullmatch(fn):
        return "interpreter: allocation"
    if fn.startswith("_PyEval_EvalFrameDefault"):
        return "interpreter: evaluation loop"
    return "interpreter: dicts, attributes, calls, str, ..."


def compare(old: Path, new: Path, calls: int) -> None:
    sides = []
    for path in (old, new):
        costs, total = self_costs(path)
        areas: Counter[str] = Counter()
        for (obj, fn), cost in costs.items():
            areas[area(obj, fn)] += cost
        sides.append((areas, total))
    (a, total_a), (b, total_b) = sides
    print(f"{'thousand instructions a call':48} {'old':>8} {'new':>8} {'new-old':>8}")
    for name in sorted(set(a) | set(b), key=lambda k: a[k] - b[k]):
        if max(a[name], b[name]) >= 5000 * calls:
            print(f"{name:48} {a[name] / calls / 1e3:8.0f} {b[name] / calls / 1e3:8.0f} "
                  f"{(b[name] - a[name]) / calls / 1e3:+8.0f}")
    print(f"{'total':48} {total_a / calls / 1e3:8.0f} {total_b / calls / 1e3:8.0f} "
          f"{(total_b - total_a) / calls / 1e3:+8.0f}  ({total_b / total_a:.3f}×)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("setup", "measure", "compare"))
    parser.add_argument("dumps", nargs="*", type=Path, help="compare: the old and new dumps")
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_instructions")
    parser.add_argument("--state", type=Path, default=Path("bench_instructions.json"),
                        help="where setup leaves the till keys and phones for measure")
    parser.add_argument("-n", "--calls", type=int, default=60)
    args = parser.parse_args()
    if args.step == "setup":
        from checkout import setup

        args.state.write_text(json.dumps(setup(args.database_url)))
    elif args.step == "measure":
        measure(args.database_url, args.state, args.calls)
    else:
        if len(args.dumps) != 2:
            parser.error("compare takes two dumps: the old and the new")
        compare(args.dumps[0], args.dumps[1], args.calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
