"""The one-statement pricing reads agree with the separate reads they replaced: program
version, member, spendable points (lots, live and lapsed holds, debt) and level spend (windows,
refunds, voids, receipts dated later than the moment asked about)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from regulars.db import ledger, members, pricing, receipts, tenancy
from regulars.domain.program import window_starts
from regulars.services import programs
from regulars.services.runtime import Runtime
from regulars.services.tenants import get_tenant
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, phone, set_program

BASKET = (line("beans", 12_000), line("mug", 3_500, 2))


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Reads Café"))


def _separate(rt: Runtime, pos: Pos, member_id: int, *, now: datetime,
              until: datetime) -> tuple[int, int, tuple[int, int, int, int]]:
    tenant = get_tenant(rt, pos.tenant_id)
    zone = ZoneInfo(tenant.timezone)
    rolling, this_year, last_year = (datetime.combine(d, time(), zone)
                                     for d in window_starts(until.astimezone(zone).date()))
    with rt.db.read() as conn:
        version = tenancy.current_program_version(conn, tenant.id)
        row = members.get_member(conn, tenant.id, member_id)
        assert row is not None
        state = ledger.AccountState(id=row.account_id, balance=row.balance, held=row.held,
                                    debt=row.debt)
        spendable = ledger.spendable_points(conn, tenant.id, state, now)
        sums = receipts.spend_sums(conn, tenant.id, member_id, until=until,
                                   rolling_from=rolling, year_from=this_year,
                                   last_year_from=last_year)
    return version, spendable, sums


def _together(rt: Runtime, pos: Pos, member_id: int, *, now: datetime, until: datetime,
              by_phone: str | None = None) -> tuple[int, int, tuple[int, int, int, int]]:
    tenant = get_tenant(rt, pos.tenant_id)
    zone = ZoneInfo(tenant.timezone)
    rolling, this_year, last_year = (datetime.combine(d, time(), zone)
                                     for d in window_starts(until.astimezone(zone).date()))
    with rt.db.read() as conn:
        found = pricing.pricing_reads(
            conn, tenant.id, identifier=("phone", by_phone) if by_phone else None,
            member_id=None if by_phone else member_id, now=now, until=until,
            rolling_from=rolling, year_from=this_year, last_year_from=last_year)
    assert found is not None and found.member.id == member_id
    return found.program_version, found.spendable_points, (
        found.lifetime_minor, found.rolling_12_months_minor, found.this_year_minor,
        found.last_year_minor)


def test_one_statement_reads_what_the_separate_reads_read(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    member_id = pos.register(1)["id"]
    other_id = pos.register(2)["id"]
    start = clock.now
    # No receipts yet: sums are zero, not missing.
    assert _together(rt, pos, member_id, now=start, until=start) == \
        _separate(rt, pos, member_id, now=start, until=start)
    program = set_program(rt, pos.tenant_id, pending_days=3, expire_after_days=365)
    pos.grant(member_id, 500)
    pos.grant(other_id, 900)
    first = pos.commit(member_id, BASKET, receipt="R-1")  # earns a pending lot
    clock.advance(days=200)
    second = pos.commit(member_id, BASKET, receipt="R-2", spend=40)
    pos.refund(second["receipt"]["id"], [(2, 1000)], key="refund-R-2")
    clock.advance(days=1)
    voided = pos.commit(member_id, BASKET, receipt="R-3")
    pos.void(voided["receipt"]["id"], key="void-R-3")
    pos.commit(other_id, BASKET, receipt="R-other")
    live = pos.quote(member_id, BASKET, spend=50, hold=True)["hold"]
    assert live["points"] == 50
    pos.quote(member_id, BASKET, spend=30, hold=True, till=1)
    clock.advance(minutes=30)  # past the holds' time to live: both lapse, nobody released them
    pos.quote(member_id, BASKET, spend=20, hold=True)  # a live one after them
    assert first["receipt"]["id"] != second["receipt"]["id"]
    now = clock.now
    seen = set()
    for until in (now, now - timedelta(days=1), start + timedelta(days=400),
                  start - timedelta(days=1)):
        for at_now in (now, start + timedelta(days=2), start + timedelta(days=5)):
            expected = _separate(rt, pos, member_id, now=at_now, until=until)
            seen.add(expected)
            assert _together(rt, pos, member_id, now=at_now, until=until) == expected
            assert _together(rt, pos, member_id, now=at_now, until=until,
                             by_phone=phone(1)) == expected
    # The cases differ (pending lot, lapsed holds, windows, the receipts after ``until``).
    assert len({spendable for _, spendable, _ in seen}) >= 2
    assert len({sums for _, _, sums in seen}) >= 3
    assert pos.member(member_id)["balance_points"] > 0
    # A new program version is seen at once.
    version = programs.save(rt, pos.tenant_id, program)
    assert _together(rt, pos, member_id, now=now, until=now)[0] == version


def test_a_member_of_another_tenant_is_not_found(pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    member_id = pos.register(1)["id"]
    other = make_shop(rt, "Other Café")
    with rt.db.read() as conn:
        for tenant_id, expected in ((pos.tenant_id, member_id), (other.tenant_id, None)):
            found = pricing.pricing_reads(
                conn, tenant_id, identifier=None, member_id=member_id, now=clock.now,
                until=clock.now, rolling_from=clock.now, year_from=clock.now,
                last_year_from=clock.now)
            assert (found.member.id if found else None) == expected
