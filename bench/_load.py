"""The HTTP load generator of ``bench/checkout.py``. It runs in a process of its own (one
phase per process), so its CPU cost is measured apart from the orchestrating process.

Each simulated till is one client with one keep-alive connection. Closed-loop phases keep
every client busy (send, wait, send again); the open-loop phase starts quote+commit pairs at
Poisson arrivals of a fixed rate and measures commit latency both as the commit request's own
time and from the moment the pair was due to start (so a stalled server cannot hide its
queue: no coordinated omission).

Two clients are available: ``raw``, a minimal HTTP/1.1 client on asyncio streams (requests
pre-encoded, responses read by Content-Length), whose small CPU cost leaves the shared two
cores to the server; and ``httpx``, an ``httpx.AsyncClient`` per till, the idiomatic one.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

HEALTH = "health"
READY = "ready"
QUOTE = "quote"
CHECKOUT = "checkout"
OPEN_LOOP = "open_loop"


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    till_keys: list[str]
    phones: list[str]
    lines: list[dict[str, Any]]
    spend_points: int
    run_tag: str
    coupons: tuple[str, ...] = ()  # codes every sale presents (a shared multi-use code)
    # Per member (by index): the tenders each of its sales presents (a certificate, ...).
    tenders: tuple[tuple[dict[str, Any], ...], ...] = ()


@dataclass(frozen=True)
class Phase:
    kind: str
    concurrency: int
    seconds: float
    warmup: float
    client: str = "raw"
    rate: float | None = None  # pairs per second, open loop only
    label: str = ""


@dataclass
class Result:
    kind: str
    concurrency: int
    label: str
    client: str
    window: float = 0.0
    completed: int = 0  # requests (health, ready, quote) or quote+commit pairs (checkout)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    generator_cpu_s: float = 0.0
    rate: float | None = None
    scheduled: int = 0
    late_start_ms: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.completed / self.window if self.window else 0.0

    def record(self, name: str, value_ms: float) -> None:
        self.latencies_ms.setdefault(name, []).append(value_ms)

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message[:300])


class Connection(Protocol):
    async def request(self, method: str, path: str, body: bytes | None,
                      headers: dict[str, str]) -> tuple[int, bytes]: ...

    async def close(self) -> None: ...


class RawConnection:
    """One keep-alive HTTP/1.1 connection; enough for uvicorn's Content-Length responses."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes | None,
                      headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        for name, value in headers.items():
            head += f"{name}: {value}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        lower = raw.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"response without Content-Length: {raw[:200]!r}")
        end = lower.find(b"\r\n", at + 2)
        length = int(lower[at + 17:end])
        payload = await self.reader.readexactly(length)
        if b"\r\nconnection: close" in lower:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


class HttpxConnection:
    """An ``httpx.AsyncClient`` whose pool holds one connection (one till)."""

    def __init__(self, host: str, port: int) -> None:
        import httpx

        self.client = httpx.AsyncClient(
            base_url=f"http://{host}:{port}", timeout=60.0,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))

    async def request(self, method: str, path: str, body: bytes | None,
                      headers: dict[str, str]) -> tuple[int, bytes]:
        if body is not None:
            headers = {**headers, "Content-Type": "application/json"}
        response = await self.client.request(method, path, content=body, headers=headers)
        return response.status_code, response.content

    async def close(self) -> None:
        await self.client.aclose()


def connect(target: Target, client: str) -> Connection:
    if client == "httpx":
        return HttpxConnection(target.host, target.port)
    return RawConnection(target.host, target.port)


class Requests:
    """Pre-encoded request bodies: one quote body per member, commit bodies by splicing a
    fresh receipt id into a per-member template."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.quote_bodies = [self._sale(n, phone) for n, phone in enumerate(target.phones)]
        self.commit_tails = [body[1:] for body in self.quote_bodies]  # after the "{"

    def _sale(self, member: int, phone: str) -> bytes:
        sale: dict[str, Any] = {"member": {"phone": phone}, "lines": self.target.lines,
                                "points_to_spend": self.target.spend_points}
        if self.target.coupons:
            sale["coupons"] = list(self.target.coupons)
        if self.target.tenders and self.target.tenders[member]:
            sale["tenders"] = list(self.target.tenders[member])
        return json.dumps(sale, separators=(",", ":")).encode()

    def quote(self, member: int) -> bytes:
        return self.quote_bodies[member]

    def commit(self, member: int, receipt_id: str) -> bytes:
        return b'{"receipt_id":"' + receipt_id.encode() + b'",' + self.commit_tails[member]


async def _checkout_pair(conn: Connection, reqs: Requests, auth: dict[str, str],
                         member: int, receipt_id: str, result: Result | None) -> bool:
    """Quote then commit one receipt; record latencies into ``result`` when given."""
    t0 = time.perf_counter()
    status, body = await conn.request("POST", "/v1/pos/quote", reqs.quote(member), auth)
    t1 = time.perf_counter()
    if status != 200:
        if result is not None:
            result.error(f"quote {status}: {body[:200]!r}")
        return False
    headers = {**auth, "Idempotency-Key": "k-" + receipt_id}
    status, body = await conn.request("POST", "/v1/pos/commit",
                                      reqs.commit(member, receipt_id), headers)
    t2 = time.perf_counter()
    if status != 200:
        if result is not None:
            result.error(f"commit {status}: {body[:200]!r}")
        return False
    if result is not None:
        result.record("quote", (t1 - t0) * 1000)
        result.record("commit", (t2 - t1) * 1000)
        result.record("pair", (t2 - t0) * 1000)
    return True


async def _open_staggered(conns: list[Connection], gap_s: float = 0.01) -> None:
    """Open the connections one by one, ``gap_s`` apart (a health request each). Opened in
    one burst, they all land on whichever uvicorn worker wakes first and drains the accept
    queue, leaving the other worker idle; tills that connect at different moments spread
    across the workers. Spread here is random, not guaranteed: the phase reports the CPU of
    each worker."""
    for conn in conns:
        await conn.request("GET", "/v1/health", None, {})
        await asyncio.sleep(gap_s)


async def _closed_loop(target: Target, phase: Phase, result: Result) -> None:
    reqs = Requests(target)
    conns = [connect(target, phase.client) for _ in range(phase.concurrency)]
    await _open_staggered(conns)
    started = time.perf_counter()
    measure_from = started + phase.warmup
    until = measure_from + phase.seconds

    async def client(index: int) -> None:
        conn = conns[index]
        auth = {"Authorization": "Bearer " + target.till_keys[index % len(target.till_keys)]}
        rng = random.Random(index)
        n = 0
        while True:
            now = time.perf_counter()
            if now >= until:
                return
            measuring = now >= measure_from
            try:
                if phase.kind in (HEALTH, READY):
                    status, body = await conn.request("GET", f"/v1/{phase.kind}", None, {})
                    done = time.perf_counter()
                    ok = status == 200
                    if measuring and ok:
                        result.record(phase.kind, (done - now) * 1000)
                    elif measuring:
                        result.error(f"{phase.kind} {status}: {body[:200]!r}")
                elif phase.kind == QUOTE:
                    member = rng.randrange(len(target.phones))
                    status, body = await conn.request("POST", "/v1/pos/quote",
                                                      reqs.quote(member), auth)
                    done = time.perf_counter()
                    ok = status == 200
                    if measuring and ok:
                        result.record("quote", (done - now) * 1000)
                    elif measuring:
                        result.error(f"quote {status}: {body[:200]!r}")
                else:
                    member = rng.randrange(len(target.phones))
                    n += 1
                    receipt = f"{target.run_tag}-{phase.label}-{index}-{n}"
                    ok = await _checkout_pair(conn, reqs, auth, member, receipt,
                                              result if measuring else None)
                    done = time.perf_counter()
            except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
                ok, done = False, time.perf_counter()
                if measuring:
                    result.error(f"{type(exc).__name__}: {exc}")
                await conn.close()
            if measuring and ok and done <= until:
                result.completed += 1

    await asyncio.gather(*(client(i) for i in range(phase.concurrency)))
    result.window = phase.seconds
    await asyncio.gather(*(c.close() for c in conns))


async def _open_loop(target: Target, phase: Phase, result: Result) -> None:
    """Pairs start at Poisson arrivals of ``phase.rate``; a pool of connections serves them
    (``phase.concurrency`` connections, waited for when all are busy)."""
    assert phase.rate and phase.rate > 0
    reqs = Requests(target)
    pool: asyncio.Queue[tuple[int, Connection]] = asyncio.Queue()
    conns = [connect(target, phase.client) for _ in range(phase.concurrency)]
    await _open_staggered(conns)
    for index, conn in enumerate(conns):
        pool.put_nowait((index, conn))
    rng = random.Random(7)
    started = time.perf_counter()
    measure_from = started + phase.warmup
    until = measure_from + phase.seconds
    tasks: list[asyncio.Task[None]] = []

    async def pair(due: float, n: int) -> None:
        measuring = due >= measure_from
        index, conn = await pool.get()
        try:
            auth = {"Authorization": "Bearer " + target.till_keys[index % len(target.till_keys)]}
            begun = time.perf_counter()
            member = rng.randrange(len(target.phones))
            receipt = f"{target.run_tag}-{phase.label}-{n}"
            ok = await _checkout_pair(conn, reqs, auth, member, receipt,
                                      result if measuring else None)
            done = time.perf_counter()
            if measuring:
                result.late_start_ms.append((begun - due) * 1000)
                if ok:
                    result.completed += 1
                    result.record("pair_from_due", (done - due) * 1000)
        except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
            if measuring:
                result.error(f"{type(exc).__name__}: {exc}")
            await conn.close()
        finally:
            pool.put_nowait((index, conn))

    due = started
    n = 0
    while True:
        due += rng.expovariate(phase.rate)
        if due >= until:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        n += 1
        if due >= measure_from:
            result.scheduled += 1
        tasks.append(asyncio.create_task(pair(due, n)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    result.window = phase.seconds
    await asyncio.gather(*(c.close() for _, c in [await pool.get() for _ in conns]))


def run_phase(target: Target, phase: Phase) -> Result:
    """Run one phase to completion (blocking); what a generator process executes."""
    result = Result(kind=phase.kind, concurrency=phase.concurrency, label=phase.label,
                    client=phase.client, rate=phase.rate)
    cpu0 = time.process_time()
    if phase.kind == OPEN_LOOP:
        asyncio.run(_open_loop(target, phase, result))
    else:
        asyncio.run(_closed_loop(target, phase, result))
    result.generator_cpu_s = time.process_time() - cpu0
    return result


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))
    return ordered[rank]
