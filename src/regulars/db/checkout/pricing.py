"""What pricing a basket reads about a member, in one statement: the member and its points
account, the tenant's current program version, the points in open lots that cannot be spent
yet or any more, the points of holds past their expiry, and the qualifying spend over the
level windows.

One statement rather than one per part, so that on PostgreSQL a quote's reads are one round
trip. Every part is scoped by ``tenant_id``; a member of
another tenant is simply not found. Its cost does not grow with the member's history: spend
comes from a row per day with purchases since 1 January of last year and a lifetime row
(``spend_days``), points from the cached balance less the few pending or due lots
(:func:`regulars.db.ledger.spendable.unspendable_lots`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select, true

from regulars.db import personal
from regulars.db.ledger.spendable import spendable_of, unspendable_lots
from regulars.db.ledger.tables import accounts, holds
from regulars.db.members.members import MemberRow, member_columns, row_to_member
from regulars.db.members.tables import member_identifiers, members
from regulars.db.program.spend_totals import spend_sums_query, spend_windows_params
from regulars.db.program.tables import programs
from regulars.db.stored_value.certificates import PRESENTED, Presented, presented_certificate


@dataclass(frozen=True, kw_only=True)
class PricingReads:
    """One member as pricing sees it at ``now`` (points) and ``until`` (spend)."""

    member: MemberRow
    program_version: int
    unspendable_points: int
    """Points in open lots not yet available at ``now`` or already expired."""
    lapsed_held_points: int
    """Points of open holds past their expiry (still counted in ``member.held``)."""
    lifetime_minor: int
    rolling_12_months_minor: int
    this_year_minor: int
    last_year_minor: int
    presented: tuple[str, Presented] | None = None
    """The digest of the certificate code presented, and what it names (asked for only)."""

    @property
    def spendable_points(self) -> int:
        """Spendable lots less live holds and debt (as
        :func:`regulars.db.ledger.spendable.spendable_points` counts them)."""
        member = self.member
        return spendable_of(balance=member.balance, held=member.held,
                            unspendable=self.unspendable_points,
                            lapsed=self.lapsed_held_points)


def _statement(*, by_identifier: bool, presented: bool) -> Any:
    if by_identifier:
        member_id: Any = (select(member_identifiers.c.member_id)
                          .where(member_identifiers.c.tenant_id == bindparam("tenant_id"),
                                 member_identifiers.c.kind == bindparam("kind"),
                                 member_identifiers.c.value_index
                                 == bindparam("value_index"))
                          .scalar_subquery())
    else:
        member_id = bindparam("member_id")
    # Qualifying spend (paid less refunded, voided excluded) up to ``until`` inclusive, as
    # :func:`regulars.db.program.spend_totals.spend_sums` sums it, with the member id to join on.
    spend = spend_sums_query(member_id, by_member=True).subquery("spend")
    version = (select(func.max(programs.c.version))
               .where(programs.c.tenant_id == bindparam("tenant_id")).scalar_subquery())
    lapsed = (select(func.coalesce(func.sum(holds.c.points), 0))
              .where(holds.c.tenant_id == bindparam("tenant_id"),
                     holds.c.account_id == accounts.c.id, holds.c.status == "open",
                     holds.c.expires_at <= bindparam("now"))
              .scalar_subquery())
    statement = (select(*member_columns(), version.label("program_version"),
                        unspendable_lots(accounts.c.id).label("unspendable"),
                        lapsed.label("lapsed_held_points"),
                        spend.c.lifetime, spend.c.rolling, spend.c.this_year,
                        spend.c.last_year)
                 .select_from(members)
                 .join(accounts, and_(accounts.c.member_id == members.c.id,
                                      accounts.c.asset == "points"))
                 .outerjoin(spend, spend.c.member_id == members.c.id)
                 .where(members.c.tenant_id == bindparam("tenant_id"),
                        members.c.id == member_id))
    if presented:  # a certificate presented at the till, read in the same round trip
        statement = statement.outerjoin(PRESENTED, true()).add_columns(*PRESENTED.c)
    return statement


# Built once: they run on every quote and commit.
_STATEMENTS = {(by_identifier, presented): _statement(by_identifier=by_identifier,
                                                      presented=presented)
               for by_identifier in (True, False) for presented in (True, False)}


def pricing_reads(conn: Connection, tenant_id: int, *, identifier: tuple[str, str] | None,
                  member_id: int | None, now: datetime, until: datetime,
                  zone: tzinfo, presented_digest: str | None = None) -> PricingReads | None:
    """The member named by ``identifier`` (kind, normalised value) or by ``member_id``, or
    ``None``: points at ``now``, spend up to ``until`` with the windows in the tenant's
    ``zone``; with ``presented_digest``, also the certificate of that code's digest and its
    series (:attr:`PricingReads.presented`). A merged member is returned as it is (the
    caller follows the merge)."""
    params: dict[str, Any] = {"tenant_id": tenant_id, "now": now,
                              **spend_windows_params(until, zone)}
    if identifier is not None:
        kind, value = identifier
        params["kind"] = kind
        params["value_index"] = personal.blind_index(tenant_id, kind, value)
    else:
        params["member_id"] = member_id
    if presented_digest is not None:
        params["of_tenant"], params["of_digest"] = tenant_id, presented_digest
    statement = _STATEMENTS[(identifier is not None, presented_digest is not None)]
    row = conn.execute(statement, params).one_or_none()
    if row is None:
        return None
    return PricingReads(member=row_to_member(row), program_version=int(row.program_version),
                        unspendable_points=int(row.unspendable),
                        lapsed_held_points=int(row.lapsed_held_points),
                        lifetime_minor=int(row.lifetime or 0),
                        rolling_12_months_minor=int(row.rolling or 0),
                        this_year_minor=int(row.this_year or 0),
                        last_year_minor=int(row.last_year or 0),
                        presented=None if presented_digest is None else (
                            presented_digest, presented_certificate(row)))
