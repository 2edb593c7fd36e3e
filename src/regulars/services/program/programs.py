"""Program versions: parse and validate rules, save a new version, load the current one.

The rules are the domain's :class:`~regulars.domain.program.program.Program` dataclass, validated by
pydantic at the edge of this module, so one definition serves the API, storage and the engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from babel.numbers import get_currency_precision
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection

from regulars.db.engine import cache_for
from regulars.db.tenancy import tenancy
from regulars.domain.checkout.engine import evaluate
from regulars.domain.checkout.quote import QUANTITY_SCALE, BasketLine, MemberContext
from regulars.domain.program.program import Level, LevelStatus, Program
from regulars.domain.program.readability import Readability
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.program import terms
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


def save(rt: Runtime, tenant_id: int, program: Program, *, note: str = "",
         actor: audit.Actor) -> int:
    """Save ``program`` as the tenant's next version; return the version number."""
    now = rt.now()
    with rt.db.write() as conn:
        version = tenancy.max_program_version(conn, tenant_id) + 1
        tenancy.insert_program(conn, tenant_id=tenant_id, version=version,
                               rules=rules_of(program), note=note, now=now)
        audit.record(conn, tenant_id, actor, "program.version", f"program version {version}",
                     at=now, version=version)
    return version


@dataclass(frozen=True, kw_only=True, slots=True)
class ProgramVersion:
    """A version of the program and its rules (:func:`rules_of` gives their JSON form)."""

    version: int
    rules: Program


@dataclass(frozen=True, kw_only=True, slots=True)
class VersionNote:
    """A saved version: when, and what its author said changed."""

    version: int
    note: str
    created_at: datetime


def current(rt: Runtime, tenant_id: int) -> ProgramVersion:
    with rt.db.read() as conn:
        version, program = load_current(conn, tenant_id)
    return ProgramVersion(version=version, rules=program)


def history(rt: Runtime, tenant_id: int) -> list[VersionNote]:
    with rt.db.read() as conn:
        return [VersionNote(version=r["version"], note=r["note"], created_at=r["created_at"])
                for r in tenancy.list_programs(conn, tenant_id)]


# Editing from the console: a preview of the terms and of example receipts -----------------

# About how many units of each currency buy what one euro does, for sample baskets that
# look real in the tenant's money (a café in Kyiv sells coffee for 60 ₴, not 3.50 ₴).
_PRICE_SCALE = {"BGN": 2, "RON": 5, "PLN": 4, "CZK": 25, "HUF": 400, "UAH": 45, "RUB": 100,
                "KZT": 500, "TRY": 40, "SEK": 11, "NOK": 11, "DKK": 7, "JPY": 160, "INR": 90,
                "RSD": 117, "GEL": 3, "AMD": 420, "MDL": 19, "BYN": 3}
# (sku, name, category, price in euro cents)
_SAMPLE = (("coffee", "Cappuccino", "drinks", 350), ("sandwich", "Sandwich", "food", 690),
           ("beans", "Coffee beans, 1 kg", "goods", 2400))


@dataclass(frozen=True, kw_only=True)
class ExampleReceipt:
    """The sample basket priced by the engine for a member at one level."""

    level_name: str
    rate_bp: int
    gross_minor: int
    discount_minor: int
    paid_minor: int
    points_earned: int
    max_spendable_points: int
    max_spendable_minor: int


@dataclass(frozen=True, kw_only=True)
class Preview:
    program: Program
    terms: list[str]
    """The terms in the reader's language."""
    currency: str
    basket: tuple[BasketLine, ...]
    examples: list[ExampleReceipt]
    readability: list[Readability] = field(default_factory=list)
    """How the terms read in each language (see :mod:`regulars.domain.program.readability`)."""


def sample_basket(currency: str, program: Program) -> tuple[BasketLine, ...]:
    """Three lines of realistic prices in ``currency``; the last line is in a category the
    program excludes, when it excludes any, so the preview shows the exclusion at work."""
    digits = int(get_currency_precision(currency))
    scale = _PRICE_SCALE.get(currency, 1)
    excluded = sorted(program.earn_excluded_categories | program.redeem_excluded_categories)
    lines = []
    for index, (sku, name, category, cents) in enumerate(_SAMPLE):
        if index == len(_SAMPLE) - 1 and excluded:
            category = excluded[0]
        lines.append(BasketLine(sku=sku, name=name, category=category,
                                quantity_milli=QUANTITY_SCALE,
                                unit_price_minor=cents * scale * 10 ** digits // 100))
    return tuple(lines)


def examples(program: Program, basket: tuple[BasketLine, ...]) -> list[ExampleReceipt]:
    """``basket`` priced by the real engine for a member at each level, with a balance large
    enough that only the program's own limits cap the points spendable."""
    out = []
    for level in program.levels:
        nxt = program.next_level(level)
        status = LevelStatus(level=level, window_spend_minor=level.threshold_minor,
                             next_level=nxt,
                             to_next_minor=None if nxt is None
                             else nxt.threshold_minor - level.threshold_minor)
        quote = evaluate(program, basket, MemberContext(level=status,
                                                        spendable_points=10 ** 9))
        out.append(ExampleReceipt(
            level_name=level.name, rate_bp=level.rate_bp, gross_minor=quote.gross_minor,
            discount_minor=quote.discount_minor, paid_minor=quote.paid_minor,
            points_earned=quote.points_earned, max_spendable_points=quote.max_spendable_points,
            max_spendable_minor=quote.max_spendable_points * program.point_value_minor))
    return out


def edited(rt: Runtime, tenant_id: int, changes: dict[str, Any]) -> tuple[Program, str]:
    """The current program with ``changes`` (rule fields) applied and validated, and the
    tenant's currency. Raises :class:`InvalidInput` naming the first bad field."""
    with rt.db.read() as conn:
        _, program = load_current(conn, tenant_id)
        tenant = tenancy.get_tenant(conn, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    return parse_rules({**rules_of(program), **changes}), tenant.currency


def preview(rt: Runtime, tenant_id: int, changes: dict[str, Any], *, language: str,
            locale: str) -> Preview:
    """What the edited program would say and do: its terms in ``language``, and the sample
    basket priced for each level. Saves nothing."""
    program, currency = edited(rt, tenant_id, changes)
    basket = sample_basket(currency, program)
    return Preview(program=program, currency=currency,
                   terms=terms.sentences(program, language=language, locale=locale,
                                         currency=currency),
                   basket=basket, examples=examples(program, basket),
                   readability=terms.readability_by_language(program, currency=currency))


def save_edit(rt: Runtime, tenant_id: int, changes: dict[str, Any], *, note: str,
              actor: audit.Actor) -> int:
    """Save the current program with ``changes`` as the next version; the version number."""
    if len(note) > 500:
        raise InvalidInput("the note is longer than 500 characters", field="note")
    program, _ = edited(rt, tenant_id, changes)
    return save(rt, tenant_id, program, note=note.strip(), actor=actor)
