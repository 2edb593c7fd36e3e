"""Which level a member holds: qualifying spend over the program's windows, in the tenant's
time zone, and the stored floor for programs that never downgrade."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.members import members
from regulars.db.members.members import MemberRow
from regulars.db.program import spend_totals
from regulars.db.tenancy.tenancy import TenantRow
from regulars.domain.program.program import (
    DowngradePolicy,
    LevelStatus,
    Program,
    SpendWindows,
    level_status,
)


def spend_windows(conn: Connection, tenant: TenantRow, member_id: int,
                  at: datetime) -> SpendWindows:
    """Qualifying spend up to ``at`` (inclusive), with window starts at local midnight."""
    lifetime, rolling_sum, this_sum, last_sum = spend_totals.spend_sums(
        conn, tenant.id, member_id, until=at, zone=ZoneInfo(tenant.timezone))
    return SpendWindows(lifetime_minor=lifetime, rolling_12_months_minor=rolling_sum,
                        this_year_minor=this_sum, last_year_minor=last_sum)


def status_for(conn: Connection, tenant: TenantRow, program: Program, member: MemberRow,
               at: datetime) -> LevelStatus:
    spend = spend_windows(conn, tenant, member.id, at)
    return level_status(program, spend, member.level_floor_code)


def raise_floor(conn: Connection, tenant: TenantRow, program: Program, member: MemberRow,
                at: datetime) -> None:
    """Record the level reached at ``at`` as the member's floor when the program never
    downgrades (a no-op otherwise, or when the floor is already as high)."""
    if program.downgrade_policy is not DowngradePolicy.NEVER:
        return
    status = status_for(conn, tenant, program, member, at)
    floor = program.level_by_code(member.level_floor_code)
    if floor is None or status.level.threshold_minor > floor.threshold_minor:
        members.update_member(conn, tenant.id, member.id, level_floor_code=status.level.code)
