"""Console pages: a scenario's draft promotions, added, edited and removed with the
promotion builder (the same form, read the same way as a real promotion's), offering what a
replay counts: discounts and points, for everyone or a segment, by basket, store, time and
the member's level. Saved with the rest of the scenario
(:func:`regulars.services.analytics.scenarios.change_promotion`); never offered at a till."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.domain.promotions.condition_builder import Conditions, from_cel
from regulars.errors import NotFound, RegularsError
from regulars.services.analytics import scenarios
from regulars.services.analytics.scenarios import Scenario
from regulars.services.promotions import marketing_view, promotions
from regulars.services.promotions.marketing_view import PromotionChoices
from regulars.services.promotions.promotions import Draft
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import N_
from regulars.web import offer_words
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor
from regulars.web.console.promotion_form import blank, definition_values
from regulars.web.console.promotion_pages import (
    VARIABLES,
    builder_page,
    previewing,
    read_builder,
    saving_errors,
)
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader

EDIT = [needs(Permission.PROGRAM_EDIT)]
DRAFT_KINDS = (
    "percent_discount",
    "fixed_discount",
    "set_price",
    "cheapest_free",
    "volume_steps",
    "bonus_points",
    "points_percent",
    "points_multiplier",
    "cashback",
)
"""The offers a replay counts (discounts, points and cashback): gifts and coupons are not
part of its figures."""
DRAFT_VARIABLES = tuple(
    (name, kind)
    for name, kind in VARIABLES
    if not name.startswith("member.")
    or name.removeprefix("member.") in scenarios.REPLAYED_MEMBER_FIELDS
)
HIDDEN = (
    "control_share",
    "budget",
    "budget_points",
    "member_budget",
    "member_points",
    "uses_per_day",
    "uses_per_period",
    "period",
)
"""Fields a replay leaves out: not shown on a draft's form, carried through it as they are
(a draft saved through the admin API keeps them)."""


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _scenario(
    runtime: RuntimeDep, reader: Reader, scenario_id: int, draft_id: str | None = None
) -> tuple[Scenario, Draft | None]:
    """The business's scenario (404 otherwise) and its draft promotion of ``draft_id`` (404
    for an id it does not hold, one removed meanwhile say)."""
    scenario = scenarios.get(runtime, _tenant(reader), scenario_id)
    if draft_id is None:
        return scenario, None
    if draft_id not in scenario.promotion_ids:
        raise NotFound("draft promotion not found")
    return scenario, scenario.promotions[scenario.promotion_ids.index(draft_id)]


def choices_for(runtime: RuntimeDep, tenant_id: int, scenario: Scenario) -> PromotionChoices:
    """What the builder offers for ``scenario``'s drafts: the levels are its draft
    program's (the ones a replay gives members under the draft)."""
    found = marketing_view.promotion_choices(runtime, tenant_id)
    if scenario.program is None:
        return found
    return replace(found, levels=tuple((lv.code, lv.name) for lv in scenario.program.levels))


def _page(
    request: Request,
    reader: Reader,
    runtime: RuntimeDep,
    scenario: Scenario,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    draft_id: str | None,
    editing: Draft | None,
    status_code: int = 200,
) -> Response:
    kinds = DRAFT_KINDS if values["effect"] in DRAFT_KINDS else (*DRAFT_KINDS, values["effect"])
    where = "new" if draft_id is None else f"{draft_id}/edit"
    return builder_page(
        request,
        reader,
        choices_for(runtime, _tenant(reader), scenario),
        values=values,
        errors=errors,
        status_code=status_code,
        action=f"/console/scenarios/{scenario.id}/promotions/{where}",
        scenario=scenario,
        kinds=kinds,
        variables=DRAFT_VARIABLES,
        draft_id=draft_id,
        hidden=HIDDEN,
        also=() if editing is None else promotions.definition_of(editing)["effects"][1:],
    )


def _save(
    request: Request,
    reader: Reader,
    runtime: RuntimeDep,
    form: Form,
    scenario_id: int,
    draft_id: str | None,
) -> Response:
    """Add (``draft_id`` ``None``) or replace the draft promotion the builder describes; on a
    problem the builder again, every error beside its field, nothing saved."""
    scenario, editing = _scenario(runtime, reader, scenario_id, draft_id)
    found = choices_for(runtime, _tenant(reader), scenario)
    kept = () if editing is None else editing.effects[1:]
    values, draft, errors = read_builder(form, reader, found, kept=kept)
    for name in HIDDEN:  # carried unseen: its problem goes above the form
        if name in errors:
            errors["_form"] = errors.pop(name)
    if values["effect"] not in DRAFT_KINDS and "effect" not in errors:
        errors["effect"] = reader.gettext(
            "a replay counts discounts, points and cashback: choose one of those offers"
        )
        draft = None
    if draft is not None and not previewing(form):
        try:
            scenarios.check_replayable(draft)
            scenarios.change_promotion(
                runtime, _tenant(reader), scenario_id, draft_id, draft, actor=staff_actor(reader)
            )
        except RegularsError as exc:
            # A refusal of the scenario as a whole (too many drafts) goes above the form.
            errors = {
                name if name in values else "_form": message
                for name, message in saving_errors(exc, reader).items()
            }
        else:
            return RedirectResponse(
                f"/console/scenarios/{scenario_id}#draft-promotions", status_code=303
            )
    return _page(
        request,
        reader,
        runtime,
        scenario,
        values=values,
        errors=errors,
        draft_id=draft_id,
        editing=editing,
        status_code=422 if errors else 200,
    )


# The list on the scenario's page -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DraftLine:
    """A draft promotion in plain words, with the builder's own labels."""

    id: str
    name: str
    offer: str
    condition: str
    cel: bool
    """Whether ``condition`` is the CEL as written (the expert mode's)."""
    where: str
    who: str


def _offer(effects: Sequence[Mapping[str, Any]], series: Mapping[int, str],
           reader: Reader) -> str:
    """The draft's effects as the promotions page words them (:mod:`regulars.web.offer_words`)."""
    return " · ".join(offer_words.effect_words(e, reader, series=series) for e in effects)


def _quantity(milli: int, reader: Reader) -> str:
    return reader.number(Decimal(milli).scaleb(-3).normalize())


def _condition(picked: Conditions, levels: Mapping[str, str], reader: Reader) -> str:
    """The picked conditions with the builder's labels (those a replay can hold)."""
    p = picked
    shown = [
        (
            p.min_total_minor is not None,
            f"{reader.gettext('Basket total at least')} {reader.money(p.min_total_minor)}",
        ),
        (
            p.min_quantity_milli is not None,
            f"{reader.gettext('Items in the basket at least')} "
            f"{_quantity(p.min_quantity_milli or 0, reader)}",
        ),
        (
            bool(p.category),
            f"{reader.gettext('An item of the category')} {p.category} × "
            f"{_quantity(p.category_milli, reader)}",
        ),
        (
            bool(p.sku),
            f"{reader.gettext('The product')} {p.sku} × {_quantity(p.sku_milli, reader)}",
        ),
        (
            bool(p.levels),
            f"{reader.gettext('Members of these levels')}: "
            + ", ".join(levels.get(code, code) for code in p.levels),
        ),
        (p.members_only, reader.gettext("Members only (not anonymous receipts)")),
    ]
    return " · ".join(text for asked, text in shown if asked) or reader.gettext("Every receipt")


def _where(d: Mapping[str, Any], stores: Mapping[int, str], reader: Reader) -> str:
    s = d["schedule"]
    parts = [
        (reader.date(s["starts_on"]) if s.get("starts_on") else reader.gettext("from the start"))
        + " – "
        + (reader.date(s["ends_on"]) if s.get("ends_on") else reader.gettext("open-ended"))
    ]
    if s.get("weekdays"):
        parts.append(
            reader.gettext("Days of the week")
            + ": "
            + ", ".join(reader.gettext(WEEKDAYS[day - 1]) for day in s["weekdays"])
        )
    if s.get("hour_from", 0) != 0 or s.get("hour_to", 24) != 24:
        parts.append(f"{reader.gettext('Hours')}: {s['hour_from']}–{s['hour_to']}")
    if d["store_ids"]:
        parts.append(
            reader.gettext("Stores")
            + ": "
            + ", ".join(stores.get(i, str(i)) for i in d["store_ids"])
        )
    return " · ".join(parts)


WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def draft_lines(scenario: Scenario, found: PromotionChoices, reader: Reader) -> list[DraftLine]:
    """The scenario's draft promotions in plain words, in their order."""
    stores = {s.id: s.name for s in found.stores}
    segments = {s.id: s.name for s in found.segments}
    levels = dict(found.levels)
    series = {s.id: s.name for s in found.series}
    lines = []
    for draft_id, draft in zip(scenario.promotion_ids, scenario.promotions, strict=True):
        d = promotions.definition_of(draft)
        picked = from_cel(draft.condition)
        lines.append(
            DraftLine(
                id=draft_id,
                name=draft.name,
                offer=_offer(d["effects"], series, reader),
                condition=draft.condition if picked is None else _condition(picked, levels, reader),
                cel=picked is None,
                where=_where(d, stores, reader),
                who=reader.gettext("Everyone")
                if draft.segment_id is None
                else segments.get(draft.segment_id, str(draft.segment_id)),
            )
        )
    return lines


@router.get("/scenarios/{scenario_id}/promotions/new", dependencies=EDIT)
def draft_promotion_new(
    request: Request, reader: StaffReader, runtime: RuntimeDep, scenario_id: int
) -> Response:
    scenario, _ = _scenario(runtime, reader, scenario_id)
    return _page(
        request, reader, runtime, scenario, values=blank(), errors={}, draft_id=None, editing=None
    )


@router.post("/scenarios/{scenario_id}/promotions/new", dependencies=EDIT)
def draft_promotion_create(
    request: Request, reader: StaffReader, runtime: RuntimeDep, scenario_id: int, form: Form
) -> Response:
    return _save(request, reader, runtime, form, scenario_id, None)


@router.get("/scenarios/{scenario_id}/promotions/{draft_id}/edit", dependencies=EDIT)
def draft_promotion_edit(
    request: Request, reader: StaffReader, runtime: RuntimeDep, scenario_id: int, draft_id: str
) -> Response:
    scenario, editing = _scenario(runtime, reader, scenario_id, draft_id)
    assert editing is not None
    values = definition_values(promotions.definition_of(editing), digits=reader.minor_digits())
    return _page(
        request,
        reader,
        runtime,
        scenario,
        values=values,
        errors={},
        draft_id=draft_id,
        editing=editing,
    )


@router.post("/scenarios/{scenario_id}/promotions/{draft_id}/edit", dependencies=EDIT)
def draft_promotion_update(
    request: Request,
    reader: StaffReader,
    runtime: RuntimeDep,
    scenario_id: int,
    draft_id: str,
    form: Form,
) -> Response:
    return _save(request, reader, runtime, form, scenario_id, draft_id)


@router.post("/scenarios/{scenario_id}/promotions/{draft_id}/remove", dependencies=EDIT)
def draft_promotion_remove(
    reader: StaffReader, runtime: RuntimeDep, scenario_id: int, draft_id: str
) -> Response:
    scenarios.change_promotion(
        runtime, _tenant(reader), scenario_id, draft_id, None, actor=staff_actor(reader)
    )
    return RedirectResponse(f"/console/scenarios/{scenario_id}#draft-promotions", status_code=303)
