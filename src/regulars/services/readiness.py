"""Whether this process can serve checkouts: the database answers and its schema is the one
the code expects. A load balancer or orchestrator polls it (``GET /v1/ready``) to send tills
only to processes that can serve them; ``GET /v1/health`` only says the process is alive."""

from __future__ import annotations

from dataclasses import dataclass

from regulars.db import migrate
from regulars.errors import Unavailable
from regulars.services.runtime import Runtime


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    schema: str | None
    expected_schema: str


def check(rt: Runtime) -> Readiness:
    """One read of the schema revision; never raises for an unreachable database."""
    expected = migrate.head()
    try:
        with rt.db.read() as conn:
            schema = migrate.revision_on(conn)
    except Unavailable as exc:
        return Readiness(False, f"database unreachable: {exc.reason}", None, expected)
    if schema != expected:
        return Readiness(False, f"database schema is {schema or 'not created'}, this code "
                                f"needs {expected}: run `regulars db upgrade`", schema, expected)
    return Readiness(True, "ok", schema, expected)
