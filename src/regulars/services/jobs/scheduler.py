"""The scheduler: runs each due job, once at a time across every process and machine.

A job is a name, an interval and a function of the runtime that returns a one-line summary.
Every job is safe to run again after a crash halfway: expiry and rewards write through keyed
ledger operations, messages and webhook deliveries are claimed before they are sent and
marked after (at least once). A run holds the job's lock (:func:`regulars.db.jobs.jobs.
exclusive`) and reads the schedule again under it, so two schedulers that both see a job due
run it once.

``regulars serve`` and ``demo`` run a :class:`Scheduler` thread in the server process unless
``REGULARS_SCHEDULER=false``; ``regulars worker`` runs one in a process of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from regulars.db.jobs import jobs as store
from regulars.errors import NotFound, RegularsError
from regulars.services.ledger import admin as ledger_admin
from regulars.services.messaging import outbox, webhooks
from regulars.services.program import review as level_review
from regulars.services.promotions import campaigns
from regulars.services.rewards import claims as reward_claims
from regulars.services.rewards import job as rewards_job
from regulars.services.rewards import notices
from regulars.services.runtime import Runtime
from regulars.services.stamps import expiry as stamp_expiry
from regulars.services.stored_value import expiry as stored_value_expiry
from regulars.services.tenancy import retention

log = logging.getLogger("regulars.jobs")


@dataclass(frozen=True, kw_only=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Runtime], str]
    title: str


def _expiry(rt: Runtime) -> str:
    report = ledger_admin.expire(rt)
    stamps = stamp_expiry.expire(rt)
    breakage = stored_value_expiry.expire(rt)
    return (f"expired {report.points} points in {report.lots} lots, {stamps.stamps} stamps, "
            f"{breakage.certificates} gift certificates, {breakage.goods_accounts} goods "
            f"accounts")


def _rewards(rt: Runtime) -> str:
    report = rewards_job.run(rt)
    return (f"paid {report.referrals_paid} referrals and {report.birthdays_paid} birthday "
            f"bonuses")


def _reward_codes(rt: Runtime) -> str:
    report = reward_claims.expire_claims(rt)
    return (f"expired {report.expired} reward codes, {report.points_returned} points "
            f"returned")


def _notices(rt: Runtime) -> str:
    report = notices.run(rt)
    return f"queued {report.expiring} expiry reminders and {report.winback} win-back messages"


def _levels(rt: Runtime) -> str:
    report = level_review.run(rt)
    return f"level review: {report.kept} kept, {report.changed} changed"


def _campaigns(rt: Runtime) -> str:
    report = campaigns.run_due(rt)
    return (f"{report.runs} campaign runs: {report.queued} messages queued, "
            f"{report.control} members in control groups")


def _messages(rt: Runtime) -> str:
    report = outbox.send_due(rt)
    return f"sent {report.sent}, {report.retrying} to retry, {report.failed} given up"


def _webhooks(rt: Runtime) -> str:
    report = webhooks.run(rt)
    return (f"{report.fanned_out} deliveries queued, {report.delivered} delivered, "
            f"{report.retrying} to retry, {report.failed} given up")


def _retention(rt: Runtime) -> str:
    report = retention.purge(rt)
    return (f"purged {report.codes} one-time codes, {report.messages} code messages and "
            f"{report.answers} stored answers")


JOBS: tuple[Job, ...] = (
    Job(name="expiry", every=timedelta(hours=1), run=_expiry, title="Points expiry"),
    Job(name="rewards", every=timedelta(hours=1), run=_rewards,
        title="Birthday and referral rewards"),
    Job(name="reward_codes", every=timedelta(hours=1), run=_reward_codes,
        title="Expiry of claimed reward codes"),
    Job(name="notices", every=timedelta(hours=1), run=_notices,
        title="Expiry reminders and win-back"),
    Job(name="levels", every=timedelta(hours=6), run=_levels, title="Level review"),
    Job(name="campaigns", every=timedelta(minutes=1), run=_campaigns, title="Campaigns"),
    Job(name="messages", every=timedelta(seconds=15), run=_messages, title="Messages"),
    Job(name="webhooks", every=timedelta(seconds=15), run=_webhooks,
        title="Webhook deliveries"),
    Job(name="retention", every=timedelta(hours=6), run=_retention, title="Data retention"),
)
BY_NAME = {job.name: job for job in JOBS}


@dataclass(frozen=True, kw_only=True)
class JobRun:
    name: str
    outcome: str  # ok | failed
    detail: str


@dataclass(frozen=True, kw_only=True)
class JobState:
    name: str
    title: str
    every_seconds: int
    next_run_at: datetime
    requested: bool
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_outcome: str | None
    last_detail: str | None
    runs: int


def _ensure(rt: Runtime, jobs: tuple[Job, ...]) -> None:
    with rt.db.write() as conn:
        store.ensure(conn, [job.name for job in jobs], rt.now())


def run_due(rt: Runtime, jobs: tuple[Job, ...] = JOBS) -> list[JobRun]:
    """Run every job that is due (or asked for) and not running elsewhere; return the runs
    this call made."""
    _ensure(rt, jobs)
    done = []
    for job in jobs:
        found = run_one(rt, job)
        if found is not None:
            done.append(found)
    return done


def _due(row: dict[str, object] | None, now: datetime) -> bool:
    if row is None:
        return False
    next_run_at = row["next_run_at"]
    assert isinstance(next_run_at, datetime)
    return row["requested_at"] is not None or next_run_at <= now


def run_one(rt: Runtime, job: Job, *, force: bool = False) -> JobRun | None:
    """Run ``job`` if it is due (or ``force``) and its lock is free; None when it was not
    run. A failure is recorded as the run's outcome, never raised."""
    with store.exclusive(rt.db, job.name) as taken:
        if not taken:
            return None
        with rt.db.write() as conn:
            # Read under the lock: another process may have run it a moment ago.
            if not force and not _due(store.find(conn, job.name), rt.now()):
                return None
            store.mark_started(conn, job.name, rt.now())
        try:
            outcome, detail = "ok", job.run(rt)
        except Exception as exc:  # a failed run is an outcome; the next one tries again
            log.exception("job %s failed", job.name)
            outcome = "failed"
            detail = exc.detail if isinstance(exc, RegularsError) else type(exc).__name__
        now = rt.now()
        with rt.db.write() as conn:
            store.mark_finished(conn, job.name, outcome=outcome, detail=detail,
                                next_run_at=now + job.every, now=now)
        return JobRun(name=job.name, outcome=outcome, detail=detail)


def states(rt: Runtime) -> list[JobState]:
    """Each job's schedule and its last run, for the console."""
    _ensure(rt, JOBS)
    with rt.db.read() as conn:
        rows = {row["name"]: row for row in store.list_all(conn)}
    return [JobState(name=job.name, title=job.title,
                     every_seconds=int(job.every.total_seconds()),
                     next_run_at=rows[job.name]["next_run_at"],
                     requested=rows[job.name]["requested_at"] is not None,
                     last_started_at=rows[job.name]["last_started_at"],
                     last_finished_at=rows[job.name]["last_finished_at"],
                     last_outcome=rows[job.name]["last_outcome"],
                     last_detail=rows[job.name]["last_detail"], runs=rows[job.name]["runs"])
            for job in JOBS]


def request_run(rt: Runtime, name: str) -> None:
    """Ask for ``name`` to run at the scheduler's next tick (in whichever process holds its
    lock then). Raises :class:`NotFound` for an unknown job."""
    if name not in BY_NAME:
        raise NotFound("no such job", field="name")
    _ensure(rt, JOBS)
    with rt.db.write() as conn:
        store.request_run(conn, name, rt.now())


class Scheduler:
    """A daemon thread that runs :func:`run_due` every ``poll_seconds`` until stopped."""

    def __init__(self, rt: Runtime, *, poll_seconds: float = 5.0,
                 jobs: tuple[Job, ...] = JOBS) -> None:
        self.rt = rt
        self.poll_seconds = poll_seconds
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run_forever, name="regulars-scheduler",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_seconds: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_seconds)

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                run_due(self.rt, self.jobs)
            except Exception:  # the database went away: try again at the next tick
                log.exception("the scheduler's tick failed")
            self._stop.wait(self.poll_seconds)
