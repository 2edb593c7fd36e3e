"""Schema migrations (Alembic), run in-process against an engine.

Alembic (and Mako, its templates) is imported only when a migration is to run: a server
started on a current schema, and its readiness check, read the newest revision from the
scripts' own lines (:func:`head`), which keeps ≈ 9 MB out of every server process.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema at ``engine`` up to ``revision``; a no-op when it is already there
    (for ``head``, one read of the stamped revision and no Alembic)."""
    if revision == "head":
        with engine.connect() as conn:  # asked first: a failed read would end PG's transaction
            if conn.dialect.has_table(conn, "alembic_version") and revision_on(conn) == head():
                return
    from alembic import command

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


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*['"]?(\w*)""",
                            re.MULTILINE)


@cache
def head() -> str:
    """The newest migration this code ships: the one revision no script names as its
    ``down_revision``, read from the scripts' lines once per process (the tests hold it equal
    to Alembic's own head)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = {m[1]: m[2] for m in _REVISION_LINE.finditer(script.read_text("utf-8"))}
        revisions.add(found["revision"])
        downs.add(found.get("down_revision", ""))
    heads = revisions - downs
    assert len(heads) == 1, f"not one head: {sorted(heads)}"
    return heads.pop()


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
