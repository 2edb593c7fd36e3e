"""A quote and a commit through the whole API in one process (TestClient, SQLite): what a
till's call costs from the request's bytes to the answer's, serialisation included.

    uv run python bench/pos_answers.py [-n 400] [--rounds 3]
    PYTHONPATH=/path/to/other/checkout/src uv run python bench/pos_answers.py ...

The second form measures another checkout of the code with the same dependencies: run the
two one after the other, several times, to compare builds on a shared machine. Prints the
median wall time and the median and mean CPU time per call of each round, and the
``regulars`` package measured.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

import regulars
from regulars.api.app import create_app
from regulars.config import Settings
from regulars.services.audit import audit
from regulars.services.runtime import open_runtime
from regulars.services.tenancy import tenants

BASKET = [{"sku": "SKU-1", "name": "Coffee beans", "category": "grocery", "quantity": 1,
           "unit_price_minor": 1000},
          {"sku": "SKU-2", "name": "Tea tin", "category": "grocery", "quantity": 2,
           "unit_price_minor": 2550},
          {"sku": "SKU-3", "name": "Grinder brush", "category": "kitchen", "quantity": 1,
           "unit_price_minor": 4000},
          {"sku": "SKU-4", "name": "Kettle", "category": "kitchen", "quantity": 1,
           "unit_price_minor": 9999}]


def _times(calls: int, call: object) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each call (CPU time of this process, all threads: less
    disturbed than wall time by other work on a shared machine)."""
    assert callable(call)
    wall, cpu = [], []
    for n in range(calls):
        started, started_cpu = time.perf_counter(), time.process_time()
        call(n)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--calls", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pos-answers-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    rt = open_runtime(Settings(database_url=url), migrate=True)
    created = tenants.create_tenant(rt, name="Bench", currency="EUR", locale="en_GB",
                                    timezone="Europe/London", phone_region="GB")
    store = tenants.create_store(rt, created.tenant_id, code="main", name="Main street",
                                 actor=audit.SYSTEM)
    till = tenants.create_terminal(rt, created.tenant_id, store_id=store.id, code="till-1",
                                   name="Till 1", actor=audit.SYSTEM)
    owner = {"Authorization": f"Bearer {created.owner_key}"}
    auth = {"Authorization": f"Bearer {till.key}"}
    print(f"measuring {regulars.__file__}")
    with TestClient(create_app(rt)) as client:
        members = []
        for n in range(20):
            member = client.post("/v1/pos/members", headers=auth,
                                 json={"phone": f"+44207946{n:04d}"}).json()
            client.post(f"/v1/admin/members/{member['id']}/adjust",
                        headers={**owner, "Idempotency-Key": f"open-{n}"},
                        json={"points": 100_000, "reason": "opening balance"})
            members.append(member["id"])
        counter = iter(range(10**9))

        def quote(n: int) -> None:
            response = client.post("/v1/pos/quote", headers=auth, json={
                "member": {"id": members[n % len(members)]}, "lines": BASKET,
                "points_to_spend": 10})
            assert response.status_code == 200, response.text

        def commit(n: int) -> None:
            number = next(counter)
            response = client.post("/v1/pos/commit", headers={
                **auth, "Idempotency-Key": f"k-{number}"}, json={
                "receipt_id": f"R-{number}", "member": {"id": members[n % len(members)]},
                "lines": BASKET, "points_to_spend": 10})
            assert response.status_code == 200, response.text

        _times(50, quote)
        _times(50, commit)
        for round_no in range(1, args.rounds + 1):
            for label, call in (("quote", quote), ("commit", commit)):
                wall, cpu = _times(args.calls, call)
                print(f"round {round_no} {label:6}: wall median {statistics.median(wall):.3f} "
                      f"ms, CPU median {statistics.median(cpu):.3f} ms, CPU mean "
                      f"{statistics.fmean(cpu):.3f} ms over {args.calls}")
    rt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
