"""The one-statement pricing reads agree with plain reads of the history they summarise:
program version, member, spendable points (every lot: pending, due, live and lapsed holds,
debt) and level spend (every receipt: windows, refunds, voids, merges, receipts dated later
than the moment asked about, days cut at local midnight in the tenant's time zone). The running
totals per member and day are also compared with the receipts after random sequences of
commits, refunds, voids and merges."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select, update

from regulars.db.checkout import pricing, receipts
from regulars.db.checkout.tables import receipts as receipt_table
from regulars.db.ledger import ledger
from regulars.db.ledger import spendable as ledger_spendable
from regulars.db.ledger.tables import accounts, holds, lots
from regulars.db.members import members
from regulars.db.migrate import alembic_config, upgrade
from regulars.db.program import spend_totals
from regulars.db.program.tables import spend_days
from regulars.db.tenancy import tenancy
from regulars.domain.program.program import window_starts
from regulars.errors import RegularsError
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.members.members import MemberView
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant
from tests.conftest import FakeClock, make_shop
from tests.integration.support import FreshDatabases, Pos, line, phone, run_together, set_program

BASKET = (line("beans", 12_000), line("mug", 3_500, 2))


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Reads Café"))


def plain_spend(conn: Connection, tenant_id: int, member_id: int, *, until: datetime,
                zone: tzinfo) -> tuple[int, int, int, int]:
    """Qualifying spend summed over every receipt, windows from local midnight in ``zone``
    (what the level reads summed before the running totals)."""
    rolling, this_year, last_year = (datetime.combine(d, time(), zone)
                                     for d in window_starts(until.astimezone(zone).date()))
    rows = conn.execute(select(receipt_table.c.paid_minor, receipt_table.c.refunded_paid_minor,
                               receipt_table.c.occurred_at).where(
        receipt_table.c.tenant_id == tenant_id, receipt_table.c.member_id == member_id,
        receipt_table.c.status != "voided", receipt_table.c.occurred_at <= until)).all()
    sums = [0, 0, 0, 0]
    for paid, refunded, at in rows:
        net = paid - refunded
        sums[0] += net
        sums[1] += net if at >= rolling else 0
        sums[2] += net if at >= this_year else 0
        sums[3] += net if last_year <= at < this_year else 0
    return sums[0], sums[1], sums[2], sums[3]


def plain_spendable(conn: Connection, tenant_id: int, member_id: int, now: datetime) -> int:
    """Spendable points from every open lot: available, not expired, less live holds and
    debt."""
    account = conn.execute(select(accounts.c.id, accounts.c.debt).where(
        accounts.c.tenant_id == tenant_id, accounts.c.member_id == member_id)).one()
    in_lots = sum(r.remaining for r in conn.execute(select(
        lots.c.remaining, lots.c.available_at, lots.c.expires_at).where(
        lots.c.tenant_id == tenant_id, lots.c.account_id == account.id, lots.c.remaining > 0))
        if r.available_at <= now and (r.expires_at is None or r.expires_at > now))
    live = sum(r.points for r in conn.execute(select(holds.c.points).where(
        holds.c.tenant_id == tenant_id, holds.c.account_id == account.id,
        holds.c.status == "open", holds.c.expires_at > now)))
    return max(0, in_lots - live - account.debt)


def _separate(rt: Runtime, pos: Pos, member_id: int, *, now: datetime,
              until: datetime) -> tuple[int, int, tuple[int, int, int, int]]:
    tenant = get_tenant(rt, pos.tenant_id)
    zone = ZoneInfo(tenant.timezone)
    with rt.db.read() as conn:
        version = tenancy.current_program_version(conn, tenant.id)
        spendable = plain_spendable(conn, tenant.id, member_id, now)
        row = members.get_member(conn, tenant.id, member_id)
        assert row is not None
        state = ledger.AccountState(id=row.account_id, balance=row.balance, held=row.held,
                                    debt=row.debt)
        # The commit path's reads give the same.
        assert ledger_spendable.spendable_points(conn, tenant.id, state, now) == spendable
        assert ledger_spendable.state_and_spendable(conn, tenant.id, member_id, now)[1] == spendable
        sums = plain_spend(conn, tenant.id, member_id, until=until, zone=zone)
        assert spend_totals.spend_sums(conn, tenant.id, member_id, until=until, zone=zone) == sums
    return version, spendable, sums


def _together(rt: Runtime, pos: Pos, member_id: int, *, now: datetime, until: datetime,
              by_phone: str | None = None) -> tuple[int, int, tuple[int, int, int, int]]:
    tenant = get_tenant(rt, pos.tenant_id)
    with rt.db.read() as conn:
        found = pricing.pricing_reads(
            conn, tenant.id, identifier=("phone", by_phone) if by_phone else None,
            member_id=None if by_phone else member_id, now=now, until=until,
            zone=ZoneInfo(tenant.timezone))
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
        for at_now in (now, start + timedelta(days=2), start + timedelta(days=5),
                       start + timedelta(days=366), start + timedelta(days=600)):
            expected = _separate(rt, pos, member_id, now=at_now, until=until)
            seen.add(expected)
            assert _together(rt, pos, member_id, now=at_now, until=until) == expected
            assert _together(rt, pos, member_id, now=at_now, until=until,
                             by_phone=phone(1)) == expected
    # The cases differ (pending lot, due lots, lapsed holds, windows, the receipts after
    # ``until``).
    assert len({spendable for _, spendable, _ in seen}) >= 3
    assert len({sums for _, _, sums in seen}) >= 3
    assert pos.member(member_id)["balance_points"] > 0
    assert ledger_admin.check(rt) == []
    # A new program version is seen at once.
    version = programs.save(rt, pos.tenant_id, program, actor=audit.SYSTEM)
    assert _together(rt, pos, member_id, now=now, until=now)[0] == version


def test_a_member_of_another_tenant_is_not_found(pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    member_id = pos.register(1)["id"]
    other = make_shop(rt, "Other Café")
    with rt.db.read() as conn:
        for tenant_id, expected in ((pos.tenant_id, member_id), (other.tenant_id, None)):
            found = pricing.pricing_reads(
                conn, tenant_id, identifier=None, member_id=member_id, now=clock.now,
                until=clock.now, zone=UTC)
            assert (found.member.id if found else None) == expected


def test_offline_receipts_merges_debt_and_local_midnight(rt: Runtime, clock: FakeClock) -> None:
    """A tenant far from UTC: receipts either side of its local midnight and of its new year,
    a till sending receipts made earlier (so ``until`` falls before later receipts of its own
    day), a merge onto a member with receipts on the same days, debt from a refund of spent
    points, and due lots the expiry run has not taken yet."""
    clock.now = datetime(2025, 12, 31, 10, 30, tzinfo=UTC)  # 23:30 in Auckland
    pos = Pos(rt, make_shop(rt, "Harbour Café", timezone="Pacific/Auckland"))
    set_program(rt, pos.tenant_id, expire_after_days=2, debt_policy="allow_negative",
                redeem_share_max_bp=10_000)
    zone = ZoneInfo("Pacific/Auckland")
    a, b = pos.register(1)["id"], pos.register(2)["id"]
    pos.commit(a, BASKET, receipt="A-1")  # 31 December, local
    clock.advance(minutes=40)  # 00:10 on 1 January, local
    pos.commit(a, (line("tea", 4_000),), receipt="A-2")
    pos.commit(b, (line("tea", 7_000),), receipt="B-1")
    clock.advance(hours=5)
    # The till was offline: receipts made 4 hours and 40 minutes ago reach us now.
    pos.commit(b, (line("cake", 2_500),), receipt="B-2",
               occurred_at=clock.now - timedelta(hours=4))
    pos.commit(a, (line("cake", 1_500),), receipt="A-3",
               occurred_at=clock.now - timedelta(minutes=40, hours=4))
    late = pos.commit(a, (line("jam", 900),), receipt="A-4",
                      occurred_at=clock.now - timedelta(days=3))
    pos.refund(late["receipt"]["id"], None, key="refund-A-4")
    # Debt: a spends the points it earned, then the earning receipt is refunded.
    clock.advance(hours=1)
    spend_all = pos.member(a)["spendable_points"]
    pos.commit(a, (line("box", spend_all * 100),), receipt="A-5", spend=spend_all)
    earning = pos.commit(a, (line("lamp", 100_000),), receipt="A-6")
    assert earning["points_earned"] == 30
    pos.commit(a, (line("cup", 3_000),), receipt="A-7", spend=30)
    pos.refund(earning["receipt"]["id"], None, key="refund-A-6")
    with rt.db.read() as conn:
        debt = conn.execute(select(accounts.c.debt).where(accounts.c.member_id == a)
                            ).scalar_one()
    assert debt > 0
    for until in (clock.now, clock.now + timedelta(days=3)):  # due lots, not yet expired
        assert _together(rt, pos, a, now=until, until=until) == \
            _separate(rt, pos, a, now=until, until=until)
    member_ledger.merge(rt, pos.tenant_id, source_id=b, target_id=a, key="merge-b-a")
    clock.advance(hours=2)
    pos.commit(a, (line("tea", 3_000),), receipt="A-8")
    with rt.db.read() as conn:
        times = sorted(r.occurred_at for r in conn.execute(
            select(receipt_table.c.occurred_at).where(receipt_table.c.tenant_id
                                                      == pos.tenant_id)))
    moments = {clock.now, clock.now + timedelta(days=5)}
    for at in times:
        local = at.astimezone(zone)
        moments |= {at, at - timedelta(microseconds=1), at + timedelta(microseconds=1),
                    datetime.combine(local.date(), time(), zone),
                    datetime.combine(local.date(), time(), zone) - timedelta(microseconds=1)}
    for until in sorted(moments):
        expected = _separate(rt, pos, a, now=until, until=until)
        assert _together(rt, pos, a, now=until, until=until) == expected, until
    assert ledger_admin.check(rt) == []
    with rt.db.read() as conn:
        # The merged member keeps no spend; the target has a row per local day it bought on.
        rows = conn.execute(select(spend_days.c.member_id, spend_days.c.day).where(
            spend_days.c.tenant_id == pos.tenant_id)).all()
    assert {member for member, _ in rows} == {a}
    # 29 December (offline), 31 December, 1 January, and the lifetime total.
    assert sorted(day.isoformat() for _, day in rows) == [
        "2025-12-29", "2025-12-31", "2026-01-01", spend_totals.LIFETIME_DAY.isoformat()]


def test_the_check_finds_wrong_totals_and_a_rebuild_follows_the_time_zone(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    member_id = pos.register(1)["id"]
    clock.now = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 01:30 on 3 March in Moscow
    pos.commit(member_id, BASKET, receipt="R-1")
    assert ledger_admin.check(rt) == []
    for day in (datetime(2026, 3, 3).date(), spend_totals.LIFETIME_DAY):
        with rt.db.write() as conn:
            conn.execute(update(spend_days).where(spend_days.c.tenant_id == pos.tenant_id,
                                                  spend_days.c.day == day)
                         .values(net_minor=spend_days.c.net_minor + 1))
        problems = ledger_admin.check(rt)
        assert [(p["kind"], p["day"]) for p in problems] == [("spend_day", day.isoformat())]
        with rt.db.write() as conn:
            conn.execute(update(spend_days).where(spend_days.c.tenant_id == pos.tenant_id,
                                                  spend_days.c.day == day)
                         .values(net_minor=spend_days.c.net_minor - 1))
    # A row that says its day ended earlier than a receipt it counts is wrong too.
    with rt.db.write() as conn:
        conn.execute(update(spend_days).where(spend_days.c.tenant_id == pos.tenant_id)
                     .values(last_at=clock.now - timedelta(seconds=1)))
    assert len(ledger_admin.check(rt)) == 2
    # In UTC the receipt falls on 2 March: the rows in Moscow days disagree until rebuilt.
    with rt.db.write() as conn:
        assert receipts.spend_day_problems(conn, pos.tenant_id, UTC) != []
        assert receipts.rebuild_spend_days(conn, pos.tenant_id, UTC) == 2
        assert receipts.spend_day_problems(conn, pos.tenant_id, UTC) == []
        assert sorted(d.isoformat() for d in conn.execute(select(spend_days.c.day)).scalars()
                      ) == ["2026-03-02", spend_totals.LIFETIME_DAY.isoformat()]
        receipts.rebuild_spend_days(conn, pos.tenant_id, ZoneInfo("Europe/Moscow"))
    assert ledger_admin.check(rt) == []


@pytest.mark.usefixtures("clock")
def test_concurrent_commits_of_one_member_and_day_all_count(pos: Pos, rt: Runtime) -> None:
    member_id = pos.register(1)["id"]
    paid = run_together(8, lambda i: pos.commit(member_id, (line("tea", 1_000 + i),),
                                                receipt=f"T-{i}"))
    assert all(isinstance(body, dict) for body in paid)
    with rt.db.read() as conn:
        totals = conn.execute(select(spend_days.c.net_minor).where(
            spend_days.c.member_id == member_id)).scalars().all()
    assert totals == [sum(1_000 + i for i in range(8))] * 2  # the day, and the lifetime
    assert ledger_admin.check(rt) == []


def test_commits_refunds_and_a_merge_of_one_member_run_together(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    """They take the spend rows and the account row in the same order: none deadlocks."""
    a, b = pos.register(1)["id"], pos.register(2)["id"]
    sold = [pos.commit(a, BASKET, receipt=f"R-{n}")["receipt"]["id"] for n in range(4)]
    pos.commit(b, BASKET, receipt="R-b")

    def call(i: int) -> object:
        if i < 4:
            return pos.refund(sold[i], [(2, 1000)], key=f"refund-{i}")
        if i < 8:
            return pos.commit(a, BASKET, receipt=f"R-more-{i}")
        return member_ledger.merge(rt, pos.tenant_id, source_id=b, target_id=a,
                                   key="merge")

    results = run_together(9, call)
    assert all(isinstance(r, dict | MemberView) for r in results), results
    assert ledger_admin.check(rt) == []
    assert _together(rt, pos, a, now=clock.now, until=clock.now) == \
        _separate(rt, pos, a, now=clock.now, until=clock.now)


@pytest.mark.usefixtures("database_url")
def test_the_migration_fills_the_totals_from_existing_receipts(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    a, b = pos.register(1)["id"], pos.register(2)["id"]
    sold = [pos.commit(member, BASKET, receipt=f"R-{n}")["receipt"]["id"]
            for n, member in enumerate((a, b, a))]
    pos.refund(sold[0], [(2, 1000)], key="refund-0")
    pos.void(sold[1], key="void-1")
    clock.advance(days=500)
    pos.commit(a, BASKET, receipt="R-late")
    config = alembic_config()
    with rt.db.engine.connect() as conn:
        # Alembic manages its own transaction (see regulars.db.migrate.upgrade).
        conn = conn.execution_options(regulars_write=True)
        config.attributes["connection"] = conn
        command.downgrade(config, "0010")
        conn.commit()
    upgrade(rt.db.engine)
    assert ledger_admin.check(rt) == []
    with rt.db.read() as conn:
        # a: two days and the lifetime; b: none, its only receipt is voided.
        assert len(conn.execute(select(spend_days.c.day)).all()) == 3
    for until in (clock.now, clock.now - timedelta(days=400)):
        assert _together(rt, pos, a, now=until, until=until) == \
            _separate(rt, pos, a, now=until, until=until)


# Random histories -----------------------------------------------------------------------------

ZONES = ("Europe/Moscow", "America/New_York", "Pacific/Auckland", "Asia/Kathmandu", "UTC")
STARTS = (datetime(2026, 3, 7, 21, 0, tzinfo=UTC), datetime(2025, 12, 31, 8, 0, tzinfo=UTC),
          datetime(2026, 4, 4, 12, 0, tzinfo=UTC))
operations = st.lists(st.one_of(
    st.tuples(st.just("commit"), st.integers(0, 3), st.integers(1, 9_000),
              st.integers(0, 3 * 24 * 60)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("void"), st.integers(0, 50)),
    st.tuples(st.just("merge"), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("advance"), st.integers(1, 20 * 60)),
    st.tuples(st.just("advance"), st.integers(1, 400 * 24 * 60)),  # spans years
), min_size=1, max_size=25)


def _random_history(databases: FreshDatabases, zone_name: str, start: datetime,
                    ops: list[tuple[Any, ...]]) -> None:
    clock = FakeClock(now=start)
    rt = databases.open(clock)
    try:
        pos = Pos(rt, make_shop(rt, "Random Café", timezone=zone_name))
        ids = [pos.register(n)["id"] for n in range(4)]
        active = set(ids)
        sold: list[int] = []
        for number, op in enumerate(ops):
            try:
                if op[0] == "commit":
                    _, who, price, minutes_back = op
                    member = ids[who]
                    if member not in active:
                        continue
                    body = pos.commit(member, (line("a", price, 2), line("b", 500)),
                                      receipt=f"R-{number}",
                                      occurred_at=clock.now - timedelta(minutes=minutes_back))
                    sold.append(int(body["receipt"]["id"]))
                elif op[0] == "refund" and sold:
                    receipt = sold[op[1] % len(sold)]
                    pos.refund(receipt, [(1, 1000)] if op[2] else None, key=f"refund-{number}")
                elif op[0] == "void" and sold:
                    receipt = sold[op[1] % len(sold)]
                    pos.void(receipt, key=f"void-{number}")
                elif op[0] == "merge":
                    source, target = ids[op[1]], ids[op[2]]
                    if source in active and target in active and source != target:
                        member_ledger.merge(rt, pos.tenant_id, source_id=source,
                                            target_id=target, key=f"merge-{number}")
                        active.discard(source)
                elif op[0] == "advance":
                    clock.advance(minutes=op[1])
            except RegularsError:
                pass  # refused (nothing left to refund, outside the void window ...)
        assert ledger_admin.check(rt) == []
        zone = ZoneInfo(zone_name)
        with rt.db.read() as conn:
            times = [r.occurred_at for r in conn.execute(select(receipt_table.c.occurred_at))]
            for member in active:
                moments = {clock.now}
                for at in times:
                    midnight = datetime.combine(at.astimezone(zone).date(), time(), zone)
                    moments |= {at, at - timedelta(microseconds=1), midnight,
                                midnight - timedelta(microseconds=1)}
                for until in moments:
                    assert spend_totals.spend_sums(conn, pos.tenant_id, member, until=until,
                                                   zone=zone) == \
                        plain_spend(conn, pos.tenant_id, member, until=until, zone=zone)
                found = pricing.pricing_reads(conn, pos.tenant_id, identifier=None,
                                              member_id=member, now=clock.now,
                                              until=clock.now, zone=zone)
                assert found is not None
                assert found.spendable_points == plain_spendable(conn, pos.tenant_id, member,
                                                                 clock.now)
    finally:
        databases.close(rt)


RANDOM = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                        HealthCheck.too_slow])


def _random_histories(databases: FreshDatabases, max_examples: int) -> None:
    @settings(RANDOM, max_examples=max_examples)
    @given(zone=st.sampled_from(ZONES), start=st.sampled_from(STARTS), ops=operations)
    def run(zone: str, start: datetime, ops: list[tuple[Any, ...]]) -> None:
        _random_history(databases, zone, start, ops)

    run()


def test_running_totals_match_receipts_after_random_histories_sqlite(
        sqlite_template: Path, tmp_path: Path) -> None:
    _random_histories(FreshDatabases(workdir=tmp_path, sqlite_template=sqlite_template), 40)


@pytest.mark.postgres
def test_running_totals_match_receipts_after_random_histories_postgres(
        pg_migrated: str, tmp_path: Path) -> None:
    _random_histories(FreshDatabases(workdir=tmp_path, pg_url=pg_migrated), 12)
