"""Schema migrations (Alembic), run in-process against an engine."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema at ``engine`` up to ``revision``; a no-op when it is already there."""
    config = alembic_config()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Alembic manages its own transaction; drop the BEGIN IMMEDIATE hook's lock first.
            conn = conn.execution_options(regulars_write=True)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@cache
def head() -> str:
    """The newest migration this code ships (read from the scripts once per process)."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None, "no migrations"
    return found


def revision_on(conn: Connection) -> str | None:
    """The schema revision stamped in the database ``conn`` reads (``None``: never migrated).
    One statement when the schema exists; the catalogue is asked only when that fails."""
    try:
        return conn.execute(_REVISION).scalar_one_or_none()
    except DBAPIError:
        if conn.dialect.has_table(conn, "alembic_version"):
            raise
        return None


_REVISION = text("SELECT version_num FROM alembic_version")


def holds_tenants(conn: Connection) -> bool:
    """Whether the database ``conn`` reads has a business in it (every row of personal data
    belongs to one); ``False`` before the schema is created."""
    if not conn.dialect.has_table(conn, "tenants"):
        return False
    return conn.execute(text("SELECT 1 FROM tenants LIMIT 1")).first() is not None
