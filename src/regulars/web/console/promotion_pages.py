"""Console pages of promotions: the list, one promotion with its versions, and the builder
that creates one, edits it (a new version) or starts a copy; pause, resume and archive.
Anyone in the console sees them; changing them needs ``marketing_edit``. The builder calls
the same services as the admin API (:mod:`regulars.api.promotions`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.domain.promotions.promotions import Effect
from regulars.errors import InvalidInput, RegularsError
from regulars.services.promotions import conditions, marketing_view, promotions
from regulars.services.promotions.marketing_view import PromotionChoices
from regulars.services.promotions.promotions import Draft
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor
from regulars.web.console.promotion_form import (
    KINDS,
    Choices,
    blank,
    condition_of,
    draft_of,
    values_of,
    view_values,
)
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import errors_of
from regulars.web.templating import Reader, render

EDIT = [needs(Permission.MARKETING_EDIT)]
VIEW = [needs(Permission.VIEW)]
# The variables an expert condition may read, shown beside its text.
VARIABLES = (
    ("basket.total_minor", "int"), ("basket.quantity_milli", "int"),
    ("basket.lines[].sku", "string"), ("basket.lines[].category", "string"),
    ("basket.lines[].quantity_milli", "int"), ("basket.lines[].unit_price_minor", "int"),
    ("basket.lines[].amount_minor", "int"), ("member.id", "int"), ("member.level", "string"),
    ("member.consent", "string"), ("member.visits", "int"), ("member.spend_minor", "int"),
    ("member.birthday_today", "bool"), ("member.first_purchase", "bool"),
    ("store.id", "int"), ("time.date", "string"), ("time.weekday", "int"),
    ("time.hour", "int"), ("time.minute", "int"))


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _choices(found: PromotionChoices) -> Choices:
    return Choices(store_ids=frozenset(s.id for s in found.stores),
                   segment_ids=frozenset(s.id for s in found.segments),
                   series_ids=frozenset(s.id for s in found.series))


def _field(name: str) -> str:
    """The form's field for a service's field name (``effects.0.series_id``: ``series_id``)."""
    return {"store_ids": "store", "budget_minor": "budget"}.get(
        name.rsplit(".", 1)[-1], name.rsplit(".", 1)[-1])


def saving_errors(exc: RegularsError, reader: Reader) -> dict[str, str]:
    """A service's refusal of a builder's draft, beside the form's field it names."""
    return {_field(k): v for k, v in form_errors(exc, reader).items()}


def _preview(values: dict[str, Any], reader: Reader) -> dict[str, Any]:
    """The CEL the form's conditions make and, when it is refused, why."""
    condition, errors = condition_of(values, digits=reader.minor_digits())
    problem = "; ".join(errors_of(e, reader)[e.field or "_form"] for e in errors.values())
    if condition is not None:
        try:
            conditions.check_condition(condition)
        except InvalidInput as exc:
            problem = errors_of(exc, reader)["condition"]
    return {"cel": condition if condition is not None else values["condition"]
            if values["mode"] == "expert" else "", "problem": problem}


def builder_page(request: Request, reader: Reader, found: PromotionChoices, *,
                 values: dict[str, Any], errors: dict[str, str], action: str,
                 promotion: promotions.PromotionView | None = None, status_code: int = 200,
                 preview: dict[str, Any] | None = None, **draft: Any) -> Response:
    """The builder. ``draft``, for a scenario's draft promotion: ``scenario`` (whose draft
    it is), ``kinds`` and ``variables`` (the offers and the condition variables a replay
    counts), ``draft_id`` (which one is edited), ``hidden`` (fields the form carries
    unseen, as they are) and ``also`` (its effects after the first, which saving keeps)."""
    context = {"scenario": None, "kinds": KINDS, "variables": VARIABLES, "draft_id": None,
               "hidden": (), "also": promotion.effects[1:] if promotion else (), **draft}
    return render(request, "console/promotion_form.html", reader, status_code=status_code,
                  values=values, errors=errors, action=action, promotion=promotion,
                  choices=found, preview=preview or _preview(values, reader), **context)


def read_builder(form: FormData, reader: Reader, found: PromotionChoices, *,
                 kept: tuple[Effect, ...] = ()
                 ) -> tuple[dict[str, Any], Draft | None, dict[str, str]]:
    """The builder's values as typed, the draft they describe (or ``None``) and every
    problem, as the message beside its field."""
    values = values_of(form)
    draft, problems = draft_of(values, digits=reader.minor_digits(), choices=_choices(found),
                               kept=kept)
    return values, draft, {name: errors_of(exc, reader)[exc.field or "_form"]
                           for name, exc in problems.items()}


def previewing(form: FormData) -> bool:
    """Whether the builder asked to see its condition rather than to save."""
    return str(form.get("step") or "") == "preview"


def _save(request: Request, reader: Reader, runtime: RuntimeDep, form: Form, *,
          action: str, promotion: promotions.PromotionView | None) -> Response:
    """Create (``promotion`` ``None``) or save a new version; on a problem the form again,
    with every error beside its field and the values as typed."""
    tenant_id = _tenant(reader)
    found = marketing_view.promotion_choices(runtime, tenant_id)
    kept = promotions.effects_of(promotion)[1:] if promotion else ()
    values, draft, errors = read_builder(form, reader, found, kept=kept)
    if draft is not None and not previewing(form):
        try:
            saved = (promotions.update(runtime, tenant_id, promotion.id, draft,
                                       actor=staff_actor(reader))
                     if promotion else
                     promotions.create(runtime, tenant_id, draft, actor=staff_actor(reader)))
        except RegularsError as exc:
            errors = saving_errors(exc, reader)
        else:
            return RedirectResponse(f"/console/promotions/{saved.id}", status_code=303)
    return builder_page(request, reader, found, values=values, errors=errors, action=action,
                        promotion=promotion, status_code=422 if errors else 200)


@router.get("/promotions", dependencies=VIEW)
def promotions_list(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return render(request, "console/promotions.html", reader,
                  promotions=marketing_view.promotions_overview(runtime, _tenant(reader)))


@router.get("/promotions/new", dependencies=EDIT)
def promotion_new(request: Request, reader: StaffReader, runtime: RuntimeDep,
                  copy: str = "", segment: str = "") -> Response:
    """An empty builder, or (``copy``: a promotion's id) one filled in from that promotion,
    saved as a new promotion; ``segment`` (a segment's id, from its page) chooses who gets
    it."""
    values = blank()
    if segment.isdigit() and len(segment) < 19:
        values["segment_id"] = segment
    if copy.isdigit() and len(copy) < 19:
        source = promotions.get(runtime, _tenant(reader), int(copy))
        values = view_values(source, digits=reader.minor_digits())
        values["name"] = reader.gettext("%(name)s (copy)", name=source.name)[:200]
    return builder_page(request, reader,
                        marketing_view.promotion_choices(runtime, _tenant(reader)),
                        values=values, errors={}, action="/console/promotions/new")


@router.post("/promotions/new", dependencies=EDIT)
def promotion_create(request: Request, reader: StaffReader, runtime: RuntimeDep,
                     form: Form) -> Response:
    return _save(request, reader, runtime, form, action="/console/promotions/new",
                 promotion=None)


@router.post("/promotions/preview", dependencies=EDIT)
def promotion_preview(request: Request, reader: StaffReader, form: Form) -> Response:
    """The CEL of the builder's conditions as they stand (htmx swaps it into the form)."""
    return render(request, "console/promotion_cel.html", reader,
                  preview=_preview(values_of(form), reader))


@router.get("/promotions/{promotion_id}", dependencies=VIEW)
def promotion_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                   promotion_id: int) -> Response:
    return render(request, "console/promotions_page.html", reader,
                  **marketing_view.promotion_page(runtime, _tenant(reader), promotion_id))


@router.get("/promotions/{promotion_id}/edit", dependencies=EDIT)
def promotion_edit(request: Request, reader: StaffReader, runtime: RuntimeDep,
                   promotion_id: int) -> Response:
    promotion = promotions.get(runtime, _tenant(reader), promotion_id)
    return builder_page(request, reader,
                        marketing_view.promotion_choices(runtime, _tenant(reader)),
                        values=view_values(promotion, digits=reader.minor_digits()), errors={},
                        action=f"/console/promotions/{promotion_id}/edit", promotion=promotion)


@router.post("/promotions/{promotion_id}/edit", dependencies=EDIT)
def promotion_update(request: Request, reader: StaffReader, runtime: RuntimeDep,
                     promotion_id: int, form: Form) -> Response:
    promotion = promotions.get(runtime, _tenant(reader), promotion_id)
    return _save(request, reader, runtime, form,
                 action=f"/console/promotions/{promotion_id}/edit", promotion=promotion)


@router.post("/promotions/{promotion_id}/{step}", dependencies=EDIT)
def promotion_status(reader: StaffReader, runtime: RuntimeDep, promotion_id: int,
                     step: str) -> Response:
    """Pause, resume or archive the promotion."""
    change = {"pause": promotions.pause, "resume": promotions.resume,
              "archive": promotions.archive}.get(step)
    if change is None:
        raise InvalidInput("unknown change", field="step")
    change(runtime, _tenant(reader), promotion_id, actor=staff_actor(reader))
    return RedirectResponse(f"/console/promotions/{promotion_id}", status_code=303)
