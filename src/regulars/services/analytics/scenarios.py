"""Saved scenarios of the simulator: a draft base program and draft promotions, the period of
past receipts to replay and the payback assumptions. Drafts are validated as the real ones
are (the program's rules as ``PUT /v1/admin/program`` takes them, promotions as a new
promotion) and stored beside them, never offered at a till.

A draft promotion may target a segment: a segment's membership at past moments is not kept,
so the replay takes its members as they were when the period began; its control group, its
budgets and limits are not simulated. Conditions read the basket, the store, the time and
the member's level.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection

from regulars.db.analytics import scenarios as store
from regulars.domain.analytics.payback import Assumptions
from regulars.domain.program.program import Program
from regulars.domain.promotions.condition_cost import analyse
from regulars.domain.promotions.condition_reads import undeclared_member_reads
from regulars.domain.promotions.effects import kind_of
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.promotions import promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime

MAX_PERIOD_DAYS = 3_660
RUN_LEASE = timedelta(minutes=5)
"""How long a running run may show no progress before it counts as stopped."""
MAX_DRAFT_PROMOTIONS = 20
DRAFT_ID_CHARS = 12
"""A draft promotion's id: this many hexadecimal digits, random (48 bits)."""
_ASSUMPTIONS: TypeAdapter[Assumptions] = TypeAdapter(Assumptions)


@dataclass(frozen=True, kw_only=True)
class ScenarioDraft:
    """What an owner sends to save a scenario; ``program`` ``None`` keeps the current
    program (to try promotions alone)."""

    name: str
    program: Program | None
    promotions: tuple[Draft, ...] = ()
    promotion_ids: tuple[str | None, ...] = ()
    """The ids of ``promotions`` to keep, by position (``None`` or missing: a new one)."""
    first_day: date
    last_day: date
    assumptions: Assumptions = Assumptions()


@dataclass(frozen=True, kw_only=True)
class RunState:
    """A run's progress; ``status`` is ``running``, ``done`` or ``failed``."""

    id: int
    scenario_id: int
    status: str
    receipts_total: int
    receipts_done: int
    detail: str | None
    created_at: datetime
    finished_at: datetime | None

    @property
    def percent(self) -> int:
        if self.status == "done" or not self.receipts_total:
            return 100 if self.status == "done" else 0
        return min(100, self.receipts_done * 100 // self.receipts_total)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    id: int
    name: str
    program: Program | None
    promotions: tuple[Draft, ...]
    promotion_ids: tuple[str, ...]
    """Each draft promotion's id, by position: stable while it is kept, never given again."""
    first_day: date
    last_day: date
    assumptions: Assumptions
    created_at: datetime
    updated_at: datetime
    last_run: RunState | None = None


def run_state(row: dict[str, Any], now: datetime) -> RunState:
    """The run as it stands at ``now``: a run still ``running`` whose heartbeat (written
    with every page of progress) is older than :data:`RUN_LEASE` has stopped — its process
    died — and is ``failed``, saying so; running the scenario again starts afresh."""
    status, detail = row["status"], row["detail"]
    beat = row.get("heartbeat_at") or row["created_at"]
    if status == "running" and now - beat > RUN_LEASE:
        status = "failed"
        detail = (f"stopped: no progress since {beat:%Y-%m-%d %H:%M} UTC "
                  "(the process running it ended); run the scenario again")
    return RunState(id=row["id"], scenario_id=row["scenario_id"], status=status,
                    receipts_total=row["receipts_total"], receipts_done=row["receipts_done"],
                    detail=detail, created_at=row["created_at"],
                    finished_at=row["finished_at"])


def _scenario(row: dict[str, Any], last_run: dict[str, Any] | None, now: datetime
              ) -> Scenario:
    return Scenario(
        id=row["id"], name=row["name"],
        program=None if row["program"] is None else programs.parse_rules(row["program"]),
        promotions=tuple(promotions.draft_of(d) for d in row["promotions"]),
        promotion_ids=tuple(_stored_id(row["id"], i, d) for i, d in enumerate(row["promotions"])),
        first_day=row["first_day"], last_day=row["last_day"],
        assumptions=_ASSUMPTIONS.validate_python(row["assumptions"]),
        created_at=row["created_at"], updated_at=row["updated_at"],
        last_run=None if last_run is None else run_state(last_run, now))


def _stored_id(scenario_id: int, index: int, definition: dict[str, Any]) -> str:
    """A draft promotion's id; one saved before drafts had ids gets one from where it is and
    what it holds, the same on every read until the scenario is saved with it."""
    if "id" in definition:
        return str(definition["id"])
    text = json.dumps([scenario_id, index, definition], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:DRAFT_ID_CHARS]


def parse_program(data: Any) -> Program | None:
    """Draft rules (``None``: the current program); errors name ``program.<field>``."""
    if data is None:
        return None
    try:
        return programs.parse_rules(data)
    except InvalidInput as exc:
        where = f"program.{exc.field}" if exc.field else "program"
        raise InvalidInput(f"program.{exc.detail}", field=where) from exc


def parse_assumptions(data: dict[str, Any]) -> Assumptions:
    """Assumptions from their JSON form; errors name ``assumptions.<field>``."""
    try:
        return _ASSUMPTIONS.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = str(first["msg"]).removeprefix("Value error, ")
        name = reason.split(" ", 1)[0] if not first["loc"] else str(first["loc"][0])
        raise InvalidInput(f"assumptions.{name}: {reason}", field=f"assumptions.{name}") from exc


def _values(draft: ScenarioDraft) -> dict[str, Any]:
    name = draft.name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name: 1 to 100 characters", field="name")
    if draft.last_day < draft.first_day:
        raise InvalidInput("last_day: before first_day", field="last_day")
    if (draft.last_day - draft.first_day).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(f"last_day: the period is longer than {MAX_PERIOD_DAYS} days",
                           field="last_day")
    if len(draft.promotions) > MAX_DRAFT_PROMOTIONS:
        raise InvalidInput(f"promotions: at most {MAX_DRAFT_PROMOTIONS}", field="promotions")
    ids = [*draft.promotion_ids[:len(draft.promotions)],
           *[None] * (len(draft.promotions) - len(draft.promotion_ids))]
    return {"name": name,
            "program": None if draft.program is None else programs.rules_of(draft.program),
            "promotions": [{"id": i or secrets.token_hex(DRAFT_ID_CHARS // 2),
                            **promotions.definition_of(p)}
                           for i, p in zip(ids, draft.promotions, strict=True)],
            "first_day": draft.first_day, "last_day": draft.last_day,
            "assumptions": _ASSUMPTIONS.dump_python(draft.assumptions, mode="json")}


REPLAYED_MEMBER_FIELDS = frozenset({"id", "level"})
"""What a replay knows of a receipt's member (its visits, spend, consent, birthday and first
purchase then are not kept)."""
UNREPLAYED_EFFECTS = frozenset({"issue_coupon", "gift_with_purchase"})
"""Effects a replay cannot count: a coupon is given at commit and costs only when it is
used later, and a gift costs only when the till rings it up, which past receipts did not
do for an offer they never had."""


def check_replayable(promotion: Draft) -> None:
    """Refuse a draft promotion with an effect of :data:`UNREPLAYED_EFFECTS` (its figures
    would show no cost) or whose condition reads of the member anything but
    :data:`REPLAYED_MEMBER_FIELDS` (judged on its parse tree, see
    :func:`~regulars.domain.promotions.condition_reads.undeclared_member_reads`): in a replay
    such a condition would never hold. Raises :class:`InvalidInput` naming
    ``effects.<index>`` or ``condition``."""
    for index, effect in enumerate(promotion.effects):
        kind = kind_of(effect)
        if kind in UNREPLAYED_EFFECTS:
            raise InvalidInput("a replay counts discounts, points and cashback, not %(kind)s",
                               field=f"effects.{index}", params={"kind": kind})
    unknown = undeclared_member_reads(analyse(promotion.condition).root,
                                      REPLAYED_MEMBER_FIELDS)
    if unknown:
        raise InvalidInput("a replay knows the member's level only, not %(names)s",
                           field="condition", params={"names": ", ".join(unknown)})


def _check_promotions(conn: Connection, tenant_id: int, draft: ScenarioDraft) -> None:
    """Each draft promotion checked as a new promotion is (its stores, segment and coupon
    series are the tenant's own) and as a replay can run it
    (:func:`check_replayable`); errors name ``promotions.<index>.<field>``."""
    for index, promotion in enumerate(draft.promotions):
        try:
            promotions.validate_draft(conn, tenant_id, promotion)
            check_replayable(promotion)
        except InvalidInput as exc:
            where = f"promotions.{index}.{exc.field or 'condition'}"
            reason = exc.detail.split(": ", 1)[-1]
            raise InvalidInput(f"{where}: {reason}", field=where) from exc


def _check_ids(draft: ScenarioDraft, kept: tuple[str, ...]) -> None:
    """The ids ``draft`` keeps are ``kept`` ones (a scenario's own), each kept once; raises
    :class:`InvalidInput` naming ``promotions.<index>.id``."""
    seen: set[str] = set()
    for index, draft_id in enumerate(draft.promotion_ids):
        if draft_id is None:
            continue
        if draft_id not in kept or draft_id in seen:
            where = f"promotions.{index}.id"
            raise InvalidInput(f"{where}: no draft promotion {draft_id} to keep here",
                               field=where)
        seen.add(draft_id)


def create(rt: Runtime, tenant_id: int, draft: ScenarioDraft, *,
           actor: audit.Actor) -> Scenario:
    _check_ids(draft, ())
    values = _values(draft)
    now = rt.now()
    with rt.db.write() as conn:
        _check_promotions(conn, tenant_id, draft)
        scenario_id = store.insert_scenario(conn, tenant_id, values, now=now)
        audit.record(conn, tenant_id, actor, "scenario.create", f"scenario {scenario_id}",
                     at=now, scenario_id=scenario_id)
        row = store.get_scenario(conn, tenant_id, scenario_id)
    assert row is not None
    return _scenario(row, None, now)


def draft_of(scenario: Scenario) -> ScenarioDraft:
    """The scenario as a draft that saves it unchanged (its draft promotions' ids kept)."""
    return ScenarioDraft(name=scenario.name, program=scenario.program,
                         promotions=scenario.promotions, promotion_ids=scenario.promotion_ids,
                         first_day=scenario.first_day, last_day=scenario.last_day,
                         assumptions=scenario.assumptions)


def _amend(rt: Runtime, tenant_id: int, scenario_id: int,
           change: Callable[[Scenario], ScenarioDraft], *, actor: audit.Actor) -> Scenario:
    """Save what ``change`` makes of the scenario as it is, read locked (two people changing
    it at once each see the other's change), in one transaction."""
    now = rt.now()
    with rt.db.write() as conn:
        row = store.get_scenario(conn, tenant_id, scenario_id, for_update=True)
        if row is None:
            raise NotFound("scenario not found")
        draft = change(_scenario(row, None, now))
        return _save(conn, tenant_id, scenario_id, draft, _values(draft), actor=actor, now=now)


def update(rt: Runtime, tenant_id: int, scenario_id: int, draft: ScenarioDraft, *,
           actor: audit.Actor) -> Scenario:
    """Replace the scenario whole, keeping the ids of the draft promotions ``draft`` names
    by id (the others are new); its runs keep the figures they had (the scenario's
    ``updated_at`` after a run's ``created_at`` tells that run saw an older draft). Raises
    :class:`NotFound`, or :class:`InvalidInput` naming the field."""
    _values(draft)

    def replaced(current: Scenario) -> ScenarioDraft:
        _check_ids(draft, current.promotion_ids)
        return draft

    return _amend(rt, tenant_id, scenario_id, replaced, actor=actor)


def change_settings(rt: Runtime, tenant_id: int, scenario_id: int, *, name: str,
                    first_day: date, last_day: date, assumptions: Assumptions,
                    actor: audit.Actor) -> Scenario:
    """Rename the scenario, change its period and assumptions; its drafts stay. Raises
    :class:`NotFound`, or :class:`InvalidInput` naming ``name`` or ``last_day``."""
    return _amend(rt, tenant_id, scenario_id, lambda s: replace(
        draft_of(s), name=name, first_day=first_day, last_day=last_day,
        assumptions=assumptions), actor=actor)


def change_program(rt: Runtime, tenant_id: int, scenario_id: int, program: Program | None, *,
                   actor: audit.Actor) -> Scenario:
    """Set the scenario's draft program (``None``: the current program); the rest stays."""
    return _amend(rt, tenant_id, scenario_id, lambda s: replace(draft_of(s), program=program),
                  actor=actor)


def _save(conn: Connection, tenant_id: int, scenario_id: int, draft: ScenarioDraft,
          values: dict[str, Any], *, actor: audit.Actor, now: datetime) -> Scenario:
    _check_promotions(conn, tenant_id, draft)
    if not store.update_scenario(conn, tenant_id, scenario_id, values, now=now):
        raise NotFound("scenario not found")
    audit.record(conn, tenant_id, actor, "scenario.update", f"scenario {scenario_id}",
                 at=now, scenario_id=scenario_id)
    row = store.get_scenario(conn, tenant_id, scenario_id)
    last = store.latest_runs(conn, tenant_id).get(scenario_id)
    assert row is not None
    return _scenario(row, last, now)


def change_promotion(rt: Runtime, tenant_id: int, scenario_id: int, draft_id: str | None,
                     promotion: Draft | None, *,
                     actor: audit.Actor) -> Scenario:
    """Add ``promotion`` to the scenario's draft promotions (``draft_id`` ``None``), put it
    in the place of the one of ``draft_id`` (which keeps its id), or (``promotion`` ``None``)
    remove that one; the rest of the scenario stays, saved as :func:`update` saves it, in one
    transaction. Raises :class:`NotFound` for another business's scenario or no draft
    promotion of ``draft_id`` (one removed meanwhile: ids are never given again),
    :class:`InvalidInput` naming ``promotions.<index>.<field>`` (or ``promotions`` when
    there would be more than :data:`MAX_DRAFT_PROMOTIONS`)."""

    def changed(scenario: Scenario) -> ScenarioDraft:
        pairs: list[tuple[str | None, Draft]] = list(
            zip(scenario.promotion_ids, scenario.promotions, strict=True))
        at = next((i for i, (kept, _) in enumerate(pairs) if kept == draft_id), None)
        if draft_id is not None and at is None:
            raise NotFound("draft promotion not found")
        if at is None:
            assert promotion is not None
            pairs.append((None, promotion))
        elif promotion is not None:
            pairs[at] = (pairs[at][0], promotion)
        else:
            del pairs[at]
        return replace(draft_of(scenario), promotions=tuple(p for _, p in pairs),
                       promotion_ids=tuple(i for i, _ in pairs))

    return _amend(rt, tenant_id, scenario_id, changed, actor=actor)


def delete(rt: Runtime, tenant_id: int, scenario_id: int, *,
           actor: audit.Actor) -> None:
    now = rt.now()
    with rt.db.write() as conn:
        if not store.delete_scenario(conn, tenant_id, scenario_id):
            raise NotFound("scenario not found")
        audit.record(conn, tenant_id, actor, "scenario.delete", f"scenario {scenario_id}",
                     at=now, scenario_id=scenario_id)


def get(rt: Runtime, tenant_id: int, scenario_id: int) -> Scenario:
    with rt.db.read() as conn:
        row = store.get_scenario(conn, tenant_id, scenario_id)
        if row is None:
            raise NotFound("scenario not found")
        return _scenario(row, store.latest_runs(conn, tenant_id).get(scenario_id),
                         rt.now())


def list_all(rt: Runtime, tenant_id: int) -> list[Scenario]:
    with rt.db.read() as conn:
        rows = store.list_scenarios(conn, tenant_id)
        runs = store.latest_runs(conn, tenant_id)
    now = rt.now()
    return [_scenario(r, runs.get(r["id"]), now) for r in rows]
