"""Migration 0019 (jobs, outbox, events, webhooks) goes down to 0014 and up again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from regulars.db.engine import make_engine
from regulars.db.migrate import current, head, upgrade
from tests.integration.support import migrating

TABLES = {"jobs", "outbox_messages", "events", "webhook_endpoints", "webhook_deliveries"}


def test_0019_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        upgrade(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
        with migrating(engine) as (config, conn):
            command.downgrade(config, "0014")
            conn.commit()
        names = set(inspect(engine).get_table_names())
        assert not TABLES & names
        assert "client_key" not in {c["name"] for c in inspect(engine).get_columns("otp_codes")}
        upgrade(engine)
        assert current(engine) == head()
    finally:
        engine.dispose()
