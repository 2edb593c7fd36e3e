"""The Alembic migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from regulars.config import Settings
from regulars.db.engine import make_engine
from regulars.db.migrate import alembic_config, current, head, upgrade
from regulars.db.schema import metadata
from regulars.domain.promotions.budgets import Limits
from regulars.domain.promotions.promotions import BonusPoints, FixedDiscount
from regulars.services.audit import audit
from regulars.services.promotions import budgets, promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import open_runtime
from tests.conftest import make_shop
from tests.integration.support import Pos, line, migrating


def test_migrations_match_the_declared_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # already at head: a second upgrade is a no-op
        assert current(engine) is not None
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_0014_moves_budget_counters_to_slots_and_back_without_losing_spend(
        tmp_path: Path) -> None:
    rt = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'budgets.db'}"),
                      migrate=True)
    try:
        pos = Pos(rt, make_shop(rt, "Migrating Café"))
        offer = int(promotions.create(rt, pos.tenant_id, Draft(
            name="Capped", effects=(FixedDiscount(amount_minor=100), BonusPoints(points=3)),
            limits=Limits(budget_minor=1000)), actor=audit.SYSTEM).id)
        budgets.put_split(rt, pos.tenant_id, total_minor=40000, base_bp=5000, mass_bp=2500,
                          targeted_bp=2500, actor=audit.SYSTEM)
        member = pos.register(1)["id"]
        for n in range(3):
            pos.commit(member, (line("cup", 1000, 2),), receipt=f"R-{n}")
        before = (budgets.promotion_burn(rt, pos.tenant_id, offer).budget,
                  budgets.burn(rt, pos.tenant_id).buckets)
        with migrating(rt.db.engine) as (config, conn):
            command.downgrade(config, "0013")
            conn.commit()
            assert conn.exec_driver_sql(
                "SELECT spent_minor, spent_points FROM promotion_budgets").all() == [(300, 9)]
            assert conn.exec_driver_sql(
                "SELECT bucket, spent_minor FROM budget_spend").all() == [("mass", 1200)]
        upgrade(rt.db.engine)
        with rt.db.engine.connect() as conn:
            left = conn.exec_driver_sql("SELECT left_minor FROM promotion_budget_slots").all()
        assert sum(n for (n,) in left) == 700 and len(left) == 16
        assert (budgets.promotion_burn(rt, pos.tenant_id, offer).budget,
                budgets.burn(rt, pos.tenant_id).buckets) == before
    finally:
        rt.close()


def test_0018_goes_down_to_0014_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with migrating(engine) as (config, conn):
            command.downgrade(config, "0014")
            conn.commit()
            names = set(conn.dialect.get_table_names(conn))
            assert not {"fraud_flags", "fraud_settings"} & names
            columns = {c["name"] for c in conn.dialect.get_columns(conn, "receipts")}
            assert "identified_by" not in columns
        upgrade(engine)
        assert current(engine) is not None
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def _index_round_trip(database_url: str, table: str, revision: str, *, upgraded: set[str],
                      downgraded: set[str]) -> None:
    """At head ``table`` has the indexes ``upgraded`` and none of ``downgraded``; below
    ``revision`` the other way round; upgraded again, the schema is the declared one."""
    engine = make_engine(database_url)

    def indexes() -> set[str]:
        with engine.connect() as conn:
            return {str(i["name"]) for i in conn.dialect.get_indexes(conn, table)}

    try:
        assert upgraded <= indexes() and not downgraded & indexes()
        with migrating(engine) as (config, conn):
            command.downgrade(config, f"{revision}-1")
            conn.commit()
        assert downgraded <= indexes() and not upgraded & indexes()
        upgrade(engine)
        assert upgraded <= indexes() and not downgraded & indexes()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_0056_drops_the_first_purchase_index_and_its_downgrade_builds_it_again(
        database_url: str) -> None:
    _index_round_trip(database_url, "member_purchases", "0056", upgraded=set(),
                      downgraded={"ix_member_purchases_tenant_id_first_at"})


def test_0068_indexes_only_undispatched_events_and_its_downgrade_restores_the_index(
        database_url: str) -> None:
    _index_round_trip(database_url, "events", "0068", upgraded={"ix_events_undispatched"},
                      downgraded={"ix_events_tenant_id_dispatched_at"})


def test_0070_drops_the_receipt_promotions_key_to_promotions_and_its_downgrade_adds_it(
        database_url: str) -> None:
    engine = make_engine(database_url)

    def referred() -> set[str]:
        with engine.connect() as conn:
            return {str(k["referred_table"])
                    for k in conn.dialect.get_foreign_keys(conn, "receipt_promotions")}

    try:
        assert referred() == {"tenants", "receipts"}
        with migrating(engine) as (config, conn):
            command.downgrade(config, "0068")
            conn.commit()
        assert referred() == {"tenants", "receipts", "promotions"}
        upgrade(engine)
        assert referred() == {"tenants", "receipts"}
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    assert head() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_current_schema_is_opened_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    open_runtime(Settings(database_url=url), migrate=True).close()  # created: Alembic ran
    program = ("import sys\nfrom regulars.config import Settings\n"
               "from regulars.services.runtime import open_runtime\n"
               f"open_runtime(Settings(database_url={url!r}), migrate=True).close()\n"
               "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))")
    done = subprocess.run([sys.executable, "-c", program], check=True, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "[]"


def test_an_empty_database_is_migrated_from_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with migrating(engine) as (config, conn):
            command.downgrade(config, "base")
            conn.commit()
        upgrade(engine)
        assert current(engine) == head()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_0074_indexes_open_lots_by_is_open_and_its_downgrade_restores_remaining(
        database_url: str) -> None:
    engine = make_engine(database_url)

    def conditions() -> dict[str, str]:
        with engine.connect() as conn:
            return {str(i["name"]): str(i["dialect_options"].get(
                        f"{conn.dialect.name}_where", ""))
                    for i in conn.dialect.get_indexes(conn, "lots")
                    if str(i["name"]).startswith("ix_lots_")}

    def columns() -> set[str]:
        with engine.connect() as conn:
            return {str(c["name"]) for c in conn.dialect.get_columns(conn, "lots")}

    def roomy() -> set[str]:
        if engine.dialect.name != "postgresql":
            return set()
        with engine.connect() as conn:
            return {str(name) for name in conn.exec_driver_sql(
                "SELECT relname FROM pg_class WHERE relkind = 'r' "
                "AND 'fillfactor=90' = ANY(reloptions)").scalars()}

    try:
        assert "is_open" in columns()
        assert len(conditions()) == 3
        assert all("is_open" in w and "remaining" not in w for w in conditions().values())
        rooms = {"accounts", "certificates", "lots"} if engine.dialect.name == "postgresql" \
            else set()
        assert roomy() == rooms
        with migrating(engine) as (config, conn):
            command.downgrade(config, "0070")
            conn.commit()
        assert "is_open" not in columns()
        assert all("remaining" in w for w in conditions().values())
        assert roomy() == set()
        upgrade(engine)
        assert all("is_open" in w for w in conditions().values())
        assert roomy() == rooms
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
