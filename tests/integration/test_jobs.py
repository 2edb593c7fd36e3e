"""The scheduler: each job runs once at a time across processes (a PostgreSQL advisory lock,
a file lock on SQLite), resumes after a crash, records its last run; on both databases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from regulars.config import Settings
from regulars.db.engine import Database
from regulars.db.jobs import jobs as store
from regulars.db.messaging.tables import events
from regulars.services.jobs import scheduler
from regulars.services.jobs.scheduler import Job
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, line, set_program


@pytest.fixture
def second(database_url: str, clock: FakeClock) -> Iterator[Runtime]:
    """Another process's runtime: its own engine and connections to the same database."""
    other = Runtime(db=Database.from_url(database_url), clock=clock,
                    settings=Settings(database_url=database_url))
    yield other
    other.close()


def test_two_schedulers_never_run_the_same_job_at_once(rt: Runtime, second: Runtime) -> None:
    inside, release = threading.Event(), threading.Event()
    running = {"now": 0, "most": 0}

    def slow(_: Runtime) -> str:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        inside.set()
        assert release.wait(30)
        running["now"] -= 1
        return "done"

    job = Job(name="slow", every=timedelta(minutes=5), run=slow, title="Slow")
    first = threading.Thread(target=scheduler.run_due, args=(rt, (job,)))
    first.start()
    try:
        assert inside.wait(30)
        # The other scheduler sees the job due (the first run has not finished) and leaves it.
        assert scheduler.run_due(second, (job,)) == []
        assert scheduler.run_one(second, job, force=True) is None
    finally:
        release.set()
        first.join(30)
    assert running["most"] == 1
    with rt.db.read() as conn:
        row = store.find(conn, "slow")
    assert row is not None and row["runs"] == 1 and row["last_outcome"] == "ok"


def test_a_job_runs_when_due_and_when_asked_and_records_its_outcome(
        rt: Runtime, clock: FakeClock) -> None:
    calls: list[str] = []

    def work(_: Runtime) -> str:
        calls.append("run")
        if len(calls) == 2:
            raise RuntimeError("boom")
        return f"run {len(calls)}"

    job = Job(name="work", every=timedelta(hours=1), run=work, title="Work")
    assert [r.outcome for r in scheduler.run_due(rt, (job,))] == ["ok"]
    assert scheduler.run_due(rt, (job,)) == []  # not due for an hour
    with rt.db.write() as conn:
        store.request_run(conn, "work", clock())
    failed = scheduler.run_due(rt, (job,))
    assert [(r.outcome, r.detail) for r in failed] == [("failed", "RuntimeError")]
    clock.advance(hours=1)
    assert [r.detail for r in scheduler.run_due(rt, (job,))] == ["run 3"]


def test_a_run_that_died_halfway_is_resumed_and_writes_nothing_twice(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    """The expiry job killed after its first run started: the next scheduler runs it again,
    and the ledger's keyed entries expire each lot once."""
    set_program(rt, shop.tenant_id, expire_after_days=30)
    pos = Pos(rt, shop)
    member = int(pos.register(1)["id"])
    earned = pos.commit(member, (line("cup", 100_000),), receipt="R-1")["points_earned"]
    clock.advance(days=40)
    with rt.db.write() as conn:
        store.ensure(conn, ["expiry"], clock())
        store.mark_started(conn, "expiry", clock())  # ... and the process died here
    expiry = scheduler.BY_NAME["expiry"]
    first = scheduler.run_due(rt, (expiry,))
    assert [r.outcome for r in first] == ["ok"] and "expired 0 points" not in first[0].detail
    assert scheduler.run_one(rt, expiry, force=True) is not None
    assert pos.balance(member) == 0
    with rt.db.read() as conn:
        expired = [dict(r._mapping) for r in conn.execute(
            select(events.c.type, events.c.data).where(events.c.type == "points.expired"))]
    assert expired == [{"type": "points.expired",
                        "data": {"member_id": member, "points": earned}}]  # once
    [state] = [s for s in scheduler.states(rt) if s.name == "expiry"]
    assert state.last_outcome == "ok" and state.runs == 2
    assert state.next_run_at == clock() + expiry.every
