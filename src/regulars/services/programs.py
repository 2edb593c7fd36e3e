"""Program versions: parse and validate rules, save a new version, load the current one.

The rules are the domain's :class:`~regulars.domain.program.Program` dataclass, validated by
pydantic at the edge of this module, so one definition serves the API, storage and the engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection

from regulars.db import tenancy
from regulars.db.engine import cache_for
from regulars.domain.program import Level, Program
from regulars.errors import InvalidInput, NotFound
from regulars.services.runtime import Runtime

_ADAPTER: TypeAdapter[Program] = TypeAdapter(Program)


def parse_rules(data: Any, *, strict_json: bytes | None = None) -> Program:
    """A program from a dict (or from raw JSON, validated strictly, unknown fields refused).
    Raises :class:`InvalidInput` naming the first bad field and why."""
    if strict_json is not None:
        _refuse_unknown_fields(strict_json)
    try:
        if strict_json is not None:
            return _ADAPTER.validate_json(strict_json, strict=True)
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = first["msg"].removeprefix("Value error, ")
        where = _field_named(tuple(first["loc"]), reason)
        detail = reason if reason.startswith(f"{where}:") else f"{where}: {reason}"
        raise InvalidInput(detail, field=where) from exc


def _field_named(loc: tuple[int | str, ...], reason: str) -> str:
    """The field a rule error is about: its location, or (for a check across fields in
    ``__post_init__``, which pydantic reports at the object) the field the reason names."""
    where = ".".join(str(part) for part in loc)
    if loc == ():
        owner: type[Program] | type[Level] = Program
    elif len(loc) == 2 and loc[0] == "levels":
        owner = Level
    else:
        return where
    first_word = re.match(r"[a-z_]+", reason)
    if first_word and first_word.group(0) in {f.name for f in fields(owner)}:
        where = f"{where}.{first_word.group(0)}" if where else first_word.group(0)
    return where or "program"


def _refuse_unknown_fields(raw: bytes) -> None:
    """``extra="forbid"`` for the rules (stdlib dataclasses take no pydantic config): a
    misspelt field must not be dropped silently."""
    try:
        data = json.loads(raw)
    except ValueError:
        return  # the validator reports malformed JSON
    if not isinstance(data, dict):
        return
    known = {f.name for f in fields(Program)}
    for name in data:
        if name not in known:
            raise InvalidInput(f"{name}: unknown field", field=name)
    levels = data.get("levels")
    if isinstance(levels, list):
        known = {f.name for f in fields(Level)}
        for index, level in enumerate(levels):
            for name in level if isinstance(level, dict) else ():
                if name not in known:
                    where = f"levels.{index}.{name}"
                    raise InvalidInput(f"{where}: unknown field", field=where)


def rules_of(program: Program) -> dict[str, Any]:
    dumped: dict[str, Any] = _ADAPTER.dump_python(program, mode="json")
    for name in ("redeem_excluded_categories", "earn_excluded_categories"):
        dumped[name] = sorted(dumped[name])
    return dumped


def load_current(conn: Connection, tenant_id: int) -> tuple[int, Program]:
    """The tenant's current program version and its rules."""
    version = tenancy.current_program_version(conn, tenant_id)
    return version, load_version(conn, tenant_id, version)


def load_version(conn: Connection, tenant_id: int, version: int) -> Program:
    """One version of a tenant's program (versions never change: parsed once per engine)."""
    cache = cache_for(conn)
    found = cache.get(("program", tenant_id, version))
    if isinstance(found, Program):
        return found
    rules = tenancy.program_version(conn, tenant_id, version)
    if rules is None:
        raise NotFound(f"program version {version} not found")
    program = parse_rules(rules)
    cache[("program", tenant_id, version)] = program
    return program


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
