"""Migration 0019 (jobs, outbox, events, webhooks) goes down to 0014 and up again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from regulars.db.engine import make_engine
from regulars.db.migrate import alembic_config, current, head, upgrade

TABLES = {"jobs", "outbox_messages", "events", "webhook_endpoints", "webhook_deliveries"}


def test_0019_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        upgrade(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
        config = alembic_config()
        with engine.connect() as conn:
            conn = conn.execution_options(regulars_write=True)
            config.attributes["connection"] = conn
            command.downgrade(config, "0014")
            conn.commit()
        names = set(inspect(engine).get_table_names())
        assert not TABLES & names
        assert "client_key" not in {c["name"] for c in inspect(engine).get_columns("otp_codes")}
        upgrade(engine)
        assert current(engine) == head()
    finally:
        engine.dispose()
