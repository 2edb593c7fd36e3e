"""The jobs' rows (schedule, last run, outcome) and the lock that runs each job once at a
time across processes and machines.

The lock is released by whatever ends its holder, a crash included: on PostgreSQL a
session-level advisory lock (the server drops it with the connection), on SQLite an
exclusive ``flock`` on a file beside the database (the kernel drops it with the process).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from regulars.db.engine import Database
from regulars.db.jobs.tables import jobs
from regulars.db.locks import lock_key

_MEMORY_LOCKS: dict[str, threading.Lock] = {}


def _advisory_key(name: str) -> int:
    return lock_key(f"regulars-job:{name}")


@contextmanager
def exclusive(db: Database, name: str) -> Iterator[bool]:
    """Hold the job's lock for the ``with`` block if nobody else holds it; yields whether it
    was taken (never waits)."""
    if db.dialect == "postgresql":
        with _advisory(db, name) as taken:
            yield taken
        return
    database = db.engine.url.database
    if not database or database == ":memory:":
        lock = _MEMORY_LOCKS.setdefault(name, threading.Lock())
        taken = lock.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                lock.release()
        return
    with _file_lock(f"{database}.job-{name}.lock") as taken:
        yield taken


@contextmanager
def _advisory(db: Database, name: str) -> Iterator[bool]:
    key = {"k": _advisory_key(name)}
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        taken = bool(conn.execute(text("select pg_try_advisory_lock(:k)"), key).scalar_one())
        try:
            yield taken
        finally:
            if taken:
                conn.execute(text("select pg_advisory_unlock(:k)"), key)


@contextmanager
def _file_lock(path: str) -> Iterator[bool]:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def ensure(conn: Connection, names: list[str], now: datetime) -> None:
    """A row for each job that has none yet, due at once."""
    known = set(conn.execute(select(jobs.c.name)).scalars())
    for name in names:
        if name not in known:
            conn.execute(insert(jobs).values(name=name, next_run_at=now, runs=0))


def find(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(jobs).where(jobs.c.name == name)).one_or_none()
    return dict(row._mapping) if row else None


def list_all(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(jobs).order_by(jobs.c.name))]


def mark_started(conn: Connection, name: str, now: datetime) -> None:
    """A run begins: its outcome reads ``running`` until it ends. A run that never ends (a
    crash) leaves the job due, so the next holder of the lock runs it again."""
    conn.execute(update(jobs).where(jobs.c.name == name).values(
        last_started_at=now, last_outcome="running", last_detail=None, requested_at=None))


def mark_finished(conn: Connection, name: str, *, outcome: str, detail: str,
                  next_run_at: datetime, now: datetime) -> None:
    conn.execute(update(jobs).where(jobs.c.name == name).values(
        last_finished_at=now, last_outcome=outcome, last_detail=detail[:500],
        next_run_at=next_run_at, runs=jobs.c.runs + 1))


def request_run(conn: Connection, name: str, now: datetime) -> bool:
    """Ask for a run at the next tick; False for an unknown job."""
    return conn.execute(update(jobs).where(jobs.c.name == name)
                        .values(requested_at=now)).rowcount == 1
