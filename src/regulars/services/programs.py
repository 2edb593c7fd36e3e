"""Program versions: parse and validate rules, save a new version, load the current one.

The rules are the domain's :class:`~regulars.domain.program.Program` dataclass, validated by
pydantic at the edge of this module, so one definition serves the API, storage and the engine.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection

from regulars.db import tenancy
from regulars.domain.program import Program
from regulars.errors import InvalidInput, NotFound
from regulars.services.runtime import Runtime

_ADAPTER: TypeAdapter[Program] = TypeAdapter(Program)


def parse_rules(data: Any, *, strict_json: bytes | None = None) -> Program:
    """A program from a dict (or from raw JSON, validated strictly). Raises
    :class:`InvalidInput` naming the first bad field and why."""
    try:
        if strict_json is not None:
            return _ADAPTER.validate_json(strict_json, strict=True)
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "program"
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from exc


def rules_of(program: Program) -> dict[str, Any]:
    dumped: dict[str, Any] = _ADAPTER.dump_python(program, mode="json")
    for name in ("redeem_excluded_categories", "earn_excluded_categories"):
        dumped[name] = sorted(dumped[name])
    return dumped


@lru_cache(maxsize=1024)
def _cached(tenant_id: int, version: int, frozen_rules: str) -> Program:
    return parse_rules(json.loads(frozen_rules))


def load_current(conn: Connection, tenant_id: int) -> tuple[int, Program]:
    """The tenant's current program version (parsed once per version and process)."""
    version, rules = tenancy.current_program(conn, tenant_id)
    return version, _cached(tenant_id, version, json.dumps(rules, sort_keys=True))


def load_version(conn: Connection, tenant_id: int, version: int) -> Program:
    rules = tenancy.program_version(conn, tenant_id, version)
    if rules is None:
        raise NotFound(f"program version {version} not found")
    return _cached(tenant_id, version, json.dumps(rules, sort_keys=True))


def save(rt: Runtime, tenant_id: int, program: Program, *, note: str = "") -> int:
    """Save ``program`` as the tenant's next version; return the version number."""
    with rt.db.write() as conn:
        version = tenancy.max_program_version(conn, tenant_id) + 1
        tenancy.insert_program(conn, tenant_id=tenant_id, version=version,
                               rules=rules_of(program), note=note, now=rt.now())
    return version


def current(rt: Runtime, tenant_id: int) -> dict[str, Any]:
    with rt.db.read() as conn:
        version, program = load_current(conn, tenant_id)
    return {"version": version, "rules": rules_of(program)}


def history(rt: Runtime, tenant_id: int) -> list[dict[str, Any]]:
    with rt.db.read() as conn:
        return [{"version": r["version"], "note": r["note"],
                 "created_at": r["created_at"].isoformat()}
                for r in tenancy.list_programs(conn, tenant_id)]
