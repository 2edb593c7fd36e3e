"""The scheduled notices to members (the ``notices`` job): points expiring within the
tenant's N days (transactional), and win-back after N days without a purchase (marketing:
none for the programme holdout).
Each is keyed by its cause (the first expiry's day; the last receipt), so running the job
again, or after a crash, queues nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from regulars.db.rewards import notices as store
from regulars.db.tenancy import tenancy
from regulars.services.messaging import notify, templates
from regulars.services.promotions.experiments import held_out
from regulars.services.runtime import Runtime

LAPSE_WINDOW = timedelta(days=7)
"""How long after a member lapses the win-back message is still sent (a job that was off
for a day still catches up; a member lapsed for years is not written to out of the blue)."""


@dataclass(frozen=True, kw_only=True)
class NoticeReport:
    expiring: int
    winback: int


def run(rt: Runtime, *, batch_size: int = 1000) -> NoticeReport:
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    expiring = winback = 0
    for tenant_id in tenant_ids:
        cfg = templates.get_settings(rt, tenant_id)
        expiring += _expiring(rt, tenant_id, cfg, batch_size)
        winback += _winback(rt, tenant_id, cfg, batch_size)
    return NoticeReport(expiring=expiring, winback=winback)


def _expiring(rt: Runtime, tenant_id: int, cfg: templates.MessageSettings,
              batch_size: int) -> int:
    now, after, queued = rt.now(), 0, 0
    zone = ZoneInfo(cfg.timezone)
    while True:
        with rt.db.write() as conn:
            rows = store.expiring(conn, tenant_id, now=now,
                                  until=now + timedelta(days=cfg.expiring_days),
                                  limit=batch_size, after_member_id=after)
            queued += notify.queue(conn, rt, tenant_id, _expiry_batch(rows, now, zone),
                                   now).count("queued")
        if len(rows) < batch_size:
            return queued
        after = rows[-1][0]


def _expiry_batch(rows: list[tuple[int, int, datetime]], now: datetime, zone: ZoneInfo
                  ) -> notify.Batch:
    found = {m: (points, first) for m, points, first in rows}
    return notify.Batch(
        event="points_expiring", member_ids=list(found),
        key=lambda m: f"expiring:{m}:{found[m][1].astimezone(zone).date()}",
        values=lambda m: _expiry_values(found[m], now, zone))


def _expiry_values(found: tuple[int, datetime], now: datetime, zone: ZoneInfo
                   ) -> dict[str, str]:
    points, first = found
    days = (first.astimezone(zone).date() - now.astimezone(zone).date()).days
    return {"points": str(points), "days": str(days),
            "expires_on": first.astimezone(zone).date().isoformat()}


def _winback(rt: Runtime, tenant_id: int, cfg: templates.MessageSettings,
             batch_size: int) -> int:
    now, after, queued = rt.now(), 0, 0
    before = now - timedelta(days=cfg.winback_days)
    while True:
        with rt.db.write() as conn:
            rows = store.lapsed(conn, tenant_id, since=before - LAPSE_WINDOW, before=before,
                                limit=batch_size, after_member_id=after)
            # A marketing message: none for the programme holdout.
            held = held_out(conn, tenant_id, [m for m, _ in rows])
            queued += notify.queue(conn, rt, tenant_id, _winback_batch(
                [row for row in rows if row[0] not in held], cfg.winback_days),
                now).count("queued")
        if len(rows) < batch_size:
            return queued
        after = rows[-1][0]


def _winback_batch(rows: list[tuple[int, int]], days: int) -> notify.Batch:
    last = dict(rows)
    return notify.Batch(event="winback", member_ids=list(last),
                        key=lambda m: f"winback:{m}:{last[m]}",
                        values=lambda _m: {"days": str(days)})
