"""How long a business keeps one-time-code rows and stored answers to keyed requests, and
the job that purges what is older.

One-time codes live minutes but their rows were kept for the caps (a day at most) and for
looking into abuse; stored answers make a retried request safe. Both say something about
members (a keyed hash of a number, what a till did for whom), so neither is kept for ever.
The owner sets the periods in days (``OTP_DAYS`` and ``IDEMPOTENCY_DAYS`` by default); the
``retention`` job deletes older rows in batches of :data:`BATCH`, a transaction per batch, so
it never holds a long lock. A till that retries a commit after its key is purged is still
answered from the receipt.

Failure modes: :class:`InvalidInput` for a period outside its bounds (``otp_days``,
``idempotency_days``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Connection

from regulars.db.checkout import idempotency_keys
from regulars.db.messaging import one_time_codes as codes
from regulars.db.messaging import outbox
from regulars.db.tenancy import retention as store
from regulars.db.tenancy.tenancy import list_tenants
from regulars.errors import InvalidInput
from regulars.services.audit import audit
from regulars.services.runtime import Runtime

OTP_DAYS = 30
IDEMPOTENCY_DAYS = 90
OTP_DAYS_RANGE = (2, 3650)  # the caps count codes of the last day
IDEMPOTENCY_DAYS_RANGE = (31, 3650)  # an offline till may send a 30-day-old sale again
BATCH = 1000


@dataclass(frozen=True, kw_only=True)
class Retention:
    otp_days: int
    idempotency_days: int
    updated_at: datetime | None


def get(rt: Runtime, tenant_id: int) -> Retention:
    with rt.db.read() as conn:
        row = store.get_retention(conn, tenant_id)
    if row is None:
        return Retention(otp_days=OTP_DAYS, idempotency_days=IDEMPOTENCY_DAYS, updated_at=None)
    return Retention(**row)


def _check(value: int, bounds: tuple[int, int], field: str) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise InvalidInput("keep them between %(low)s and %(high)s days", field=field,
                           params={"low": low, "high": high})


def put(rt: Runtime, tenant_id: int, *, otp_days: int, idempotency_days: int,
        actor: audit.Actor) -> Retention:
    """Set the periods; the change is on the audit trail. Raises :class:`InvalidInput`."""
    _check(otp_days, OTP_DAYS_RANGE, "otp_days")
    _check(idempotency_days, IDEMPOTENCY_DAYS_RANGE, "idempotency_days")
    now = rt.now()
    with rt.db.write() as conn:
        before = store.get_retention(conn, tenant_id)
        store.put_retention(conn, tenant_id, otp_days=otp_days,
                            idempotency_days=idempotency_days, now=now)
        audit.record(conn, tenant_id, actor, "settings.retention", "data retention", at=now,
                     otp_days=otp_days, idempotency_days=idempotency_days,
                     was=None if before is None else [before["otp_days"],
                                                      before["idempotency_days"]])
    return Retention(otp_days=otp_days, idempotency_days=idempotency_days, updated_at=now)


@dataclass(frozen=True, kw_only=True)
class Purged:
    codes: int
    messages: int
    answers: int


def _in_batches(rt: Runtime, step: Callable[[Connection], int]) -> int:
    """Run ``step`` (deleting at most :data:`BATCH` rows) a transaction at a time until it
    deletes fewer; how many in all."""
    total = 0
    while True:
        with rt.db.write() as conn:
            deleted = step(conn)
        total += deleted
        if deleted < BATCH:
            return total


def purge(rt: Runtime) -> Purged:
    """Delete every tenant's rows older than its periods, a batch per transaction."""
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in list_tenants(conn)]
    found = Purged(codes=0, messages=0, answers=0)
    now = rt.now()
    for tenant_id in tenant_ids:
        periods = get(rt, tenant_id)
        otp_before = now - timedelta(days=periods.otp_days)
        answers_before = now - timedelta(days=periods.idempotency_days)
        found = Purged(
            codes=found.codes + _in_batches(rt, partial(
                codes.purge_codes, tenant_id=tenant_id, before=otp_before, limit=BATCH)),
            messages=found.messages + _in_batches(rt, partial(
                outbox.purge_sent_codes, tenant_id=tenant_id, before=otp_before,
                limit=BATCH)),
            answers=found.answers + _in_batches(rt, partial(
                idempotency_keys.purge_keys, tenant_id=tenant_id, before=answers_before,
                limit=BATCH)))
    return found
