"""The server killed (SIGKILL) under commit load, several times, with tills that retry each
sale under its own Idempotency-Key until it is acknowledged: afterwards every acknowledged
commit is stored exactly once with the points it was acknowledged with, and the ledger check
finds nothing to reconcile. Runs on both databases; bounded by the number of kills, not by
the machine's speed (each phase waits for a few acknowledgements, not for a time)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from regulars.db.checkout.tables import receipts
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from tests.conftest import make_shop

KILLS = 3
TILLS = 4
ACKS_PER_PHASE = 6
START_TIMEOUT_S = 180.0
BASKET = [{"sku": "coffee", "name": "Coffee", "quantity": 2, "unit_price_minor": 25000}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    database_url: str
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "REGULARS_DATABASE_URL": self.database_url,
               "REGULARS_SMS_LOG_ALLOWED": "true", "REGULARS_SCHEDULER": "false"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "regulars.cli.main", "serve", "--port", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited while starting"
            try:
                if httpx.get(f"{self.base}/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)


@dataclass
class Till:
    """Sells receipt after receipt; each sale is retried under the same key until answered."""

    base: str
    key: str
    name: str
    stop: threading.Event
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    retries: int = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10,
                          headers={"Authorization": f"Bearer {self.key}"}) as http:
            number = 0
            while not self.stop.is_set():
                number += 1
                receipt = f"{self.name}-{number}"
                self.acknowledged[receipt] = self._sell(http, receipt)

    def _sell(self, http: httpx.Client, receipt: str) -> dict[str, Any]:
        phone = f"+7916{self.name[1:]:0>3}{len(self.acknowledged) % 5:04d}"
        body = {"receipt_id": receipt, "member": {"phone": phone}, "lines": BASKET}
        while True:
            try:
                http.post("/v1/pos/members", json={"phone": phone})
                done = http.post("/v1/pos/commit", json=body,
                                 headers={"Idempotency-Key": receipt})
                if done.status_code == 200:
                    answer: dict[str, Any] = done.json()
                    return answer
                assert done.status_code >= 500, done.text  # only an outage may refuse it
            except httpx.TransportError:
                pass
            self.retries += 1
            time.sleep(0.05)


def _wait_for_acks(tills: list[Till], more: int) -> None:
    target = sum(len(t.acknowledged) for t in tills) + more
    deadline = time.monotonic() + START_TIMEOUT_S
    while sum(len(t.acknowledged) for t in tills) < target:
        assert time.monotonic() < deadline, "the tills made no progress"
        time.sleep(0.02)


def _stored(rt: Runtime, tenant_id: int) -> dict[str, tuple[int, int]]:
    with rt.db.engine.connect() as conn:
        rows = conn.execute(select(receipts.c.receipt_no, func.count(),
                                   func.max(receipts.c.points_earned))
                            .where(receipts.c.tenant_id == tenant_id)
                            .group_by(receipts.c.receipt_no)).all()
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


@pytest.mark.slow
def test_kill_9_under_commit_load_loses_and_doubles_nothing(rt: Runtime,
                                                            database_url: str) -> None:
    shop = make_shop(rt)
    keys = shop.till_keys + [shop.till_keys[i % 2] for i in range(TILLS - 2)]
    server = Server(database_url)
    server.start()
    stop = threading.Event()
    tills = [Till(server.base, keys[i], f"t{i}", stop) for i in range(TILLS)]
    threads = [threading.Thread(target=t.run, daemon=True) for t in tills]
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILLS):
            _wait_for_acks(tills, ACKS_PER_PHASE)
            server.kill()
            server.start()
        _wait_for_acks(tills, ACKS_PER_PHASE)
    finally:
        stop.set()
        for thread in threads:
            thread.join(START_TIMEOUT_S)
        server.kill()
    stored = _stored(rt, shop.tenant_id)
    acknowledged = {k: v for t in tills for k, v in t.acknowledged.items()}
    assert len(acknowledged) >= (KILLS + 1) * ACKS_PER_PHASE
    for receipt, answer in acknowledged.items():
        assert stored.get(receipt, (0, 0))[0] == 1, receipt
        assert stored[receipt][1] == answer["points_earned"], receipt
    assert ledger_admin.check(rt) == []
