"""The level review job (``levels``): during a review (:mod:`regulars.domain.program.review`)
each member who was told a level hears whether they keep it: ``level_kept`` when the level
they hold now is the one they were told (and is above the first), else the change as a
receipt would tell it (``level_reached``/``level_lost`` and a ``level.changed`` event).
Every message is keyed by the review's period and the member, and queued in the
transaction that reads the member's level, so a second run, or a run after a crash, queues
nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.members import members
from regulars.db.program import levels_told
from regulars.db.tenancy import tenancy
from regulars.domain.program.program import Program
from regulars.domain.program.review import review_period
from regulars.services.checkout import outbound
from regulars.services.messaging import notify
from regulars.services.program import levels, programs
from regulars.services.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class ReviewReport:
    kept: int
    changed: int


def run(rt: Runtime, *, batch_size: int = 500) -> ReviewReport:
    with rt.db.read() as conn:
        tenants = tenancy.list_tenants(conn)
    kept = changed = 0
    now = rt.now()
    for tenant in tenants:
        with rt.db.read() as conn:
            _, program = programs.load_current(conn, tenant.id)
        period = review_period(program, now.astimezone(ZoneInfo(tenant.timezone)).date())
        if period is None:
            continue
        after = 0
        while True:
            with rt.db.write() as conn:
                rows = levels_told.page(conn, tenant.id, after_member_id=after,
                                        limit=batch_size)
                for member_id, told in rows:
                    k, c = _review_one(conn, rt, tenant, program, member_id, told,
                                       period=period, now=now)
                    kept, changed = kept + k, changed + c
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
    return ReviewReport(kept=kept, changed=changed)


def _review_one(conn: Connection, rt: Runtime, tenant: tenancy.TenantRow, program: Program,
                member_id: int, told: str, *, period: str, now: datetime) -> tuple[int, int]:
    member = members.get_member(conn, tenant.id, member_id)
    if member is None or member.status != "active":
        return 0, 0
    level = levels.status_for(conn, tenant, program, member, now).level
    if level.code != told:
        outbound.level_change(conn, rt, tenant.id, member_id, program,
                              cause=f"review:{period}", now=now)
        return 0, 1
    if level.threshold_minor <= 0:
        return 0, 0  # the first level is not news
    outcome = notify.queue_one(conn, rt, tenant.id, event="level_kept", member_id=member_id,
                               key=f"review:{period}:level:{member_id}", now=now,
                               values={"level": level.name})
    return (1 if outcome == "queued" else 0), 0
