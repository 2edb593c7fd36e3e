"""What pricing knows before it runs the engine: the program in force, the member, the points
they may spend and the level they hold, read in one statement (see
:mod:`regulars.db.checkout.pricing`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.checkout import pricing
from regulars.db.members.members import MemberRow
from regulars.db.stored_value.certificates import Presented
from regulars.db.tenancy.tenancy import TenantRow
from regulars.domain.program.program import LevelStatus, Program, SpendWindows, level_status
from regulars.errors import NotFound
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.program import programs

_MAX_MERGE_HOPS = 10


@dataclass(frozen=True, kw_only=True)
class PricingFacts:
    version: int
    program: Program
    member: MemberRow | None
    spendable_points: int = 0
    level: LevelStatus | None = None
    lifetime_spend_minor: int = 0
    presented: tuple[str, Presented] | None = None
    """The certificate code's digest asked for and what it names (:func:`load`)."""


def load(conn: Connection, tenant: TenantRow, ref: MemberRef | None, *, at: datetime,
         now: datetime, presented_digest: str | None = None) -> PricingFacts:
    """The current program and, when ``ref`` names one, the active member (following
    merges) with their spendable points at ``now`` and level at ``at``, and the certificate
    of ``presented_digest`` read with the member (none is read without a member). Raises
    :class:`NotFound` when ``ref`` names nobody, and what :func:`members.identifier_of`
    raises for a malformed identifier."""
    if ref is None:
        version, program = programs.load_current(conn, tenant.id)
        return PricingFacts(version=version, program=program, member=None)
    zone = ZoneInfo(tenant.timezone)
    identifier = members.identifier_of(ref, tenant.phone_region)
    member_id = ref.id
    hops = 0
    while True:
        found = pricing.pricing_reads(
            conn, tenant.id, identifier=identifier, member_id=member_id, now=now, until=at,
            zone=zone, presented_digest=presented_digest)
        if found is None:
            raise NotFound("member not found")
        member = found.member
        if not (member.status == "merged" and member.merged_into_id
                and hops < _MAX_MERGE_HOPS):
            break
        identifier, member_id = None, member.merged_into_id
        hops += 1
    program = programs.load_version(conn, tenant.id, found.program_version)
    spend = SpendWindows(lifetime_minor=found.lifetime_minor,
                         rolling_12_months_minor=found.rolling_12_months_minor,
                         this_year_minor=found.this_year_minor,
                         last_year_minor=found.last_year_minor)
    return PricingFacts(version=found.program_version, program=program, member=member,
                        spendable_points=found.spendable_points,
                        level=level_status(program, spend, member.level_floor_code),
                        lifetime_spend_minor=found.lifetime_minor,
                        presented=found.presented)
