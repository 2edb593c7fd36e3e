"""The member counts per day the figures sum (``join_days``, ``purchase_gaps``, ``repeat_gaps``)
against a plain count over the members and their net receipts, through sign-ups at two
stores, an import, purchases sent late, refunds (a member's first purchase among them),
voids, merges, an erasure and a change of time zone; and migration 0050 back-fills them
(SQLite, and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import select

from regulars.db.analytics import days, gaps, joins, repeats
from regulars.db.analytics.tables import join_days, repeat_gaps
from regulars.db.members.tables import members
from regulars.db.migrate import alembic_config
from regulars.db.rewards.costs import rewards_by_receipt
from regulars.domain.analytics.figures import share_bp
from regulars.domain.analytics.ranges import Preset
from regulars.domain.imports.fields import Kind
from regulars.errors import RegularsError
from regulars.services.analytics import figures
from regulars.services.analytics.figures import Request, Windows
from regulars.services.audit import audit
from regulars.services.imports.imports import ImportRequest, import_file
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.members import privacy
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.runtime import Runtime
from regulars.services.tenancy import business, tenants
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, phone

OWNER = audit.Actor(kind="staff", id=1)
LATER_ZONE = "America/New_York"


@dataclass
class Model:
    """What the history should leave: each member's join (instant, store; merged ones
    gone) and each net receipt's member and instant."""

    joined: dict[int, tuple[datetime, int]] = field(default_factory=dict)
    sold: dict[int, tuple[int, datetime]] = field(default_factory=dict)

    def times(self) -> dict[int, list[datetime]]:
        found: dict[int, list[datetime]] = defaultdict(list)
        for member, at in self.sold.values():
            found[member].append(at)
        return found

    def new(self, zone: ZoneInfo, first: date, end: date, store: int | None = None) -> int:
        return sum(
            1
            for at, where in self.joined.values()
            if first <= at.astimezone(zone).date() < end and store in (None, where)
        )

    def first_buyers(self, zone: ZoneInfo, first: date, end: date, within: int | None) -> int:
        """Members whose first net receipt is on the days ``[first, end)`` (and, with
        ``within``, whose next one came at most that many days after it)."""
        found = 0
        for times in self.times().values():
            ordered = sorted(set(times))
            if not first <= ordered[0].astimezone(zone).date() < end:
                continue
            if within is None or (
                len(ordered) > 1 and ordered[1] - ordered[0] <= timedelta(days=within)
            ):
                found += 1
        return found


def _sell(
    pos: Pos, model: Model, chance: random.Random, member: int, n: int, now: datetime
) -> None:
    at = now - timedelta(days=chance.choice((0, 0, 0, 1, 4)), minutes=chance.randint(0, 600))
    done = pos.commit(member, (line("tea", 1000),), receipt=f"r{n}", occurred_at=at)
    model.sold[done["receipt"]["id"]] = (member, at)
    try:
        if chance.random() < 0.1:  # the member's first purchase goes back: it moves
            first = min((at, r) for r, (m, at) in model.sold.items() if m == member)[1]
            pos.refund(first, key=f"refund-first-{n}")
            del model.sold[first]
        elif chance.random() < 0.1:
            pos.refund(done["receipt"]["id"], key=f"refund-{n}")
            del model.sold[done["receipt"]["id"]]
        elif chance.random() < 0.05:
            pos.void(done["receipt"]["id"], key=f"void-{n}")
            del model.sold[done["receipt"]["id"]]
    except RegularsError:
        pass  # refused: outside the void window ...


def _merge(rt: Runtime, tenant_id: int, model: Model, source: int, target: int) -> None:
    member_ledger.merge(rt, tenant_id, source_id=source, target_id=target, key=f"merge-{source}")
    del model.joined[source]
    model.sold = {r: (target if m == source else m, at) for r, (m, at) in model.sold.items()}


def _import(rt: Runtime, tenant_id: int, model: Model, tmp_path: Path, now: datetime) -> None:
    people = tmp_path / "people.csv"
    people.write_text("Customer ID,First name\nX-1,Ann\nX-2,Bob\n", encoding="utf-8")
    import_file(rt, tenant_id, ImportRequest(kind=Kind.MEMBERS, path=people), actor=audit.SYSTEM)
    with rt.db.read() as conn:
        for member_id, store_id in conn.execute(
            select(members.c.id, members.c.store_id).where(
                members.c.tenant_id == tenant_id, members.c.external_id.is_not(None)
            )
        ):
            model.joined[int(member_id)] = (now, int(store_id or 0))


def _history(rt: Runtime, clock: FakeClock, tmp_path: Path) -> tuple[Pos, Model, list[int]]:
    """160 steps over about half a year: sign-ups at two stores, purchases, an import, two
    merges, an erasure, and the business moving to another time zone half-way."""
    pos = Pos(rt, make_shop(rt))
    stores = [
        pos.shop.store_id,
        tenants.create_store(rt, pos.tenant_id, code="north", name="North", actor=audit.SYSTEM).id,
    ]
    model, people, chance = Model(), [], random.Random(50)
    for n in range(160):
        clock.advance(hours=chance.choice((0, 3, 20, 26, 50)), minutes=chance.randint(0, 59))
        if not people or chance.random() < 0.2:
            store = chance.choice(stores)
            view, _ = member_registration.register(
                rt, pos.tenant_id, Registration(phone=phone(n)), store_id=store
            )
            people.append(view.id)
            model.joined[view.id] = (clock.now, store)
        else:
            _sell(pos, model, chance, chance.choice(people), n, clock.now)
        if n in (60, 120) and len(people) > 3:
            source, target = people.pop(chance.randrange(1, len(people))), people[0]
            _merge(rt, pos.tenant_id, model, source, target)
        if n == 70:
            _import(rt, pos.tenant_id, model, tmp_path, clock.now)
            privacy.erase(rt, pos.tenant_id, people[1], actor=OWNER)
        if n == 100:
            business.update(rt, pos.tenant_id, business.Changes(timezone=LATER_ZONE), actor=OWNER)
    return pos, model, stores


def test_member_counts_per_day_match_a_plain_count(
    rt: Runtime, clock: FakeClock, tmp_path: Path
) -> None:
    pos, model, stores = _history(rt, clock, tmp_path)
    assert ledger_admin.check(rt, pos.tenant_id) == []
    zone = ZoneInfo(LATER_ZONE)
    today = clock.now.astimezone(zone).date()
    checked = 0
    with rt.db.read() as conn:
        for back in range(0, 200, 9):
            end = today + timedelta(days=1 - back)
            for span in (1, 7, 30, 90, 365):
                first = end - timedelta(days=span)
                assert joins.new(conn, pos.tenant_id, first, end) == model.new(zone, first, end)
                for store in stores:
                    assert joins.new(conn, pos.tenant_id, first, end, store_id=store) == model.new(
                        zone, first, end, store
                    )
                assert gaps.first_buyers(conn, pos.tenant_id, first, end) == model.first_buyers(
                    zone, first, end, None
                )
                for within in (1, 3, 30):
                    found = repeats.within(conn, pos.tenant_id, first, end, days=within)
                    assert found == model.first_buyers(zone, first, end, within), (back, span)
                    checked += found
    assert checked > 0


def test_the_overview_reads_the_member_counts(
    rt: Runtime, clock: FakeClock, tmp_path: Path
) -> None:
    pos, model, stores = _history(rt, clock, tmp_path)
    zone = ZoneInfo(LATER_ZONE)
    windows = Windows(repeat_days=3)
    board = figures.overview(
        rt, pos.tenant_id, Request(preset=Preset.LAST_90_DAYS, windows=windows)
    )
    for period in (board.current, board.previous):
        first, end = period.first_day, period.last_day + timedelta(days=1)
        found = period.members
        assert found.new == model.new(zone, first, end)
        assert found.first_time_buyers == model.first_buyers(zone, first, end, None)
        assert found.repeat_rate_bp == share_bp(
            model.first_buyers(zone, first, end, 3), found.first_time_buyers
        )
    store = figures.overview(
        rt, pos.tenant_id, Request(preset=Preset.LAST_365_DAYS, store_id=stores[1])
    )
    first, end = store.current.first_day, store.current.last_day + timedelta(days=1)
    assert store.current.members.new == model.new(zone, first, end, stores[1]) > 0


def _rows(rt: Runtime, tenant_id: int) -> dict[str, list[Any]]:
    with rt.db.read() as conn:
        return {
            table.name: sorted(
                tuple(r)
                for r in conn.execute(
                    select(table.c[key], table.c.day, table.c.members).where(
                        table.c.tenant_id == tenant_id, table.c.members != 0
                    )
                )
            )
            for table, key in ((join_days, "store_id"), (repeat_gaps, "within_days"))
        }


def test_migration_0050_backfills_the_member_counts(
    rt: Runtime, clock: FakeClock, tmp_path: Path
) -> None:
    pos, _, _ = _history(rt, clock, tmp_path)
    before = _rows(rt, pos.tenant_id)
    assert all(before.values())
    config = alembic_config()
    with rt.db.engine.connect() as conn:
        config.attributes["connection"] = conn.execution_options(regulars_write=True)
        command.downgrade(config, "0050-1")
        conn.commit()
        command.upgrade(config, "head")
        conn.commit()
    assert _rows(rt, pos.tenant_id) == before
    with rt.db.read() as conn:
        assert (
            days.problems(
                conn, pos.tenant_id, ZoneInfo(LATER_ZONE), rewards_by_receipt(conn, pos.tenant_id)
            )
            == []
        )


def test_a_tampered_member_count_is_reported_by_the_ledger_check(
    rt: Runtime, clock: FakeClock
) -> None:
    pos = Pos(rt, make_shop(rt))
    member = pos.register(1)["id"]
    pos.commit(member, (line("tea", 4000),), receipt="r1")
    clock.advance(hours=1)
    pos.commit(member, (line("tea", 4000),), receipt="r2")
    with rt.db.write() as conn:
        for table in (join_days, repeat_gaps):
            conn.execute(
                table.update()
                .where(table.c.tenant_id == pos.tenant_id)
                .values(members=table.c.members + 1)
            )
    assert sorted(
        (p["kind"], p["expected"], p["stored"]) for p in ledger_admin.check(rt, pos.tenant_id)
    ) == [("join_day", 1, 2), ("repeat_gap", 1, 2)]
