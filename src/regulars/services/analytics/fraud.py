"""Cashier own-card fraud: scan a period of receipts, keep the flagged (cashier, member)
pairs with their evidence, and let a manager dismiss or confirm each.

The scoring is :mod:`regulars.domain.analytics.fraud`; this module reads what it needs in
one read, scores outside any transaction, and writes the flags in one short write.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from regulars.db.analytics import fraud as fraud_db
from regulars.db.analytics.fraud import FlagRow
from regulars.domain.analytics.fraud import (
    Thresholds,
    check_thresholds,
    flagged,
    score_counted,
)
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime

DEFAULT_DAYS = 30
MAX_DAYS = 366
DECISIONS = ("dismissed", "confirmed", "open")
MAX_PAGE = 200


@dataclass(frozen=True, kw_only=True)
class ScanResult:
    period_start: datetime
    period_end: datetime
    receipts: int
    """Receipts with both a member and a cashier in the period."""
    pairs_scored: int
    """(cashier, member) pairs with at least one signal."""
    flagged: int
    opened: int
    """Flags new to this scan."""
    updated: int
    """Open flags that took this scan's score and evidence."""


@dataclass(frozen=True, kw_only=True)
class SignalView:
    code: str
    points: int
    params: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class FlagView:
    id: int
    staff_id: int
    staff_name: str
    member_id: int
    member_phone: str | None
    member_name: str
    score: int
    receipts: int
    signals: tuple[SignalView, ...]
    period_start: datetime
    period_end: datetime
    status: str
    decided_by_staff_id: int | None
    decided_at: datetime | None
    note: str | None
    scanned_at: datetime


@dataclass(frozen=True, kw_only=True)
class FlagPage:
    items: tuple[FlagView, ...]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, kw_only=True)
class FraudSettings:
    flag_score: int
    min_pair_receipts: int
    burst_window_minutes: int
    burst_receipts: int
    typed_share_percent: int
    updated_at: datetime | None
    """None while the business keeps the defaults."""


def _view(row: FlagRow) -> FlagView:
    return FlagView(
        id=row.id, staff_id=row.staff_id, staff_name=row.staff_name, member_id=row.member_id,
        member_phone=row.member_phone, member_name=row.member_name, score=row.score,
        receipts=row.receipts,
        signals=tuple(SignalView(code=str(s["code"]), points=int(s["points"]),
                                 params={k: int(v) for k, v in dict(s["params"]).items()})
                      for s in row.signals),
        period_start=row.period_start, period_end=row.period_end, status=row.status,
        decided_by_staff_id=row.decided_by_staff_id, decided_at=row.decided_at,
        note=row.note, scanned_at=row.scanned_at)


def scan(rt: Runtime, tenant_id: int, *, days: int = DEFAULT_DAYS) -> ScanResult:
    """Score the last ``days`` days up to the clock's now (1 to 366) and record the flags.
    Raises :class:`InvalidInput` on ``days`` out of range. Safe to run again: open flags take
    the latest evidence, decided ones stay decided."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput("days must be from 1 to %(most)s", field="days",
                           params={"most": MAX_DAYS})
    end = rt.now()
    start = end - timedelta(days=days)
    with rt.db.read() as conn:
        thresholds, _ = fraud_db.get_thresholds(conn, tenant_id)
        groups = fraud_db.counted_groups(
            conn, tenant_id, start=start, end=end,
            burst_window_minutes=thresholds.burst_window_minutes)
        adjustments = fraud_db.adjustments(conn, tenant_id, start=start, end=end)
        contacts = fraud_db.staff_contacts(conn, tenant_id)
    scores = score_counted(groups, adjustments, staff_contacts=contacts, thresholds=thresholds)
    found = flagged(scores, thresholds)
    with rt.db.write() as conn:
        opened, updated = fraud_db.save_flags(conn, tenant_id, found, start=start, end=end,
                                              now=end)
    return ScanResult(period_start=start, period_end=end, receipts=sum(g.receipts for g in groups),
                      pairs_scored=len(scores), flagged=len(found), opened=opened,
                      updated=updated)


def list_flags(rt: Runtime, tenant_id: int, *, status: str | None = None, limit: int = 50,
               offset: int = 0) -> FlagPage:
    """A page of flags, highest score first. Raises :class:`InvalidInput` for an unknown
    status or a page out of bounds."""
    if status is not None and status not in fraud_db.FLAG_STATUSES:
        raise InvalidInput("status must be open, dismissed or confirmed", field="status")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit must be from 1 to %(most)s", field="limit",
                           params={"most": MAX_PAGE})
    with rt.db.read() as conn:
        rows, total = fraud_db.list_flags(conn, tenant_id, status=status, limit=limit,
                                          offset=offset)
    return FlagPage(items=tuple(_view(r) for r in rows), total=total, limit=limit,
                    offset=offset)


def get_flag(rt: Runtime, tenant_id: int, flag_id: int) -> FlagView:
    """Raises :class:`NotFound` when the tenant has no such flag."""
    with rt.db.read() as conn:
        row = fraud_db.get_flag(conn, tenant_id, flag_id)
    if row is None:
        raise NotFound("no such flag")
    return _view(row)


def decide(rt: Runtime, tenant_id: int, flag_id: int, *, decision: str,
           staff_id: int | None, note: str | None = None) -> FlagView:
    """Dismiss or confirm a flag (or open it again), by ``staff_id`` (None: an owner's API
    key). Raises :class:`InvalidInput` for another decision or a note past 500 characters,
    :class:`NotFound` for a flag of another tenant."""
    if decision not in DECISIONS:
        raise InvalidInput("decision must be dismissed, confirmed or open", field="decision")
    if note is not None and len(note) > 500:
        raise InvalidInput("the note is longer than 500 characters", field="note")
    with rt.db.write() as conn:
        done = fraud_db.decide_flag(conn, tenant_id, flag_id, status=decision,
                                    staff_id=staff_id, note=note or None, now=rt.now())
        row = fraud_db.get_flag(conn, tenant_id, flag_id) if done else None
    if row is None:
        raise NotFound("no such flag")
    return _view(row)


def _settings_view(thresholds: Thresholds, updated_at: datetime | None) -> FraudSettings:
    return FraudSettings(**{f.name: getattr(thresholds, f.name) for f in fields(thresholds)},
                         updated_at=updated_at)


def get_settings(rt: Runtime, tenant_id: int) -> FraudSettings:
    with rt.db.read() as conn:
        thresholds, updated_at = fraud_db.get_thresholds(conn, tenant_id)
    return _settings_view(thresholds, updated_at)


def put_settings(rt: Runtime, tenant_id: int, thresholds: Thresholds, *,
                 actor: audit.Actor) -> FraudSettings:
    """Replace the business's thresholds, on the audit trail. Raises :class:`InvalidInput`
    naming the first setting out of its bounds."""
    for name, low, high in check_thresholds(thresholds):
        raise InvalidInput("%(name)s must be from %(low)s to %(high)s", field=name,
                           params={"name": name, "low": low, "high": high})
    now = rt.now()
    with rt.db.write() as conn:
        fraud_db.put_thresholds(conn, tenant_id, thresholds, now=now)
        audit.record(conn, tenant_id, actor, "settings.fraud", "fraud thresholds", at=now,
                     **dataclasses.asdict(thresholds))
    return _settings_view(thresholds, now)
