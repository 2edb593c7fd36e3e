"""Console pages: stamp cards ("buy 9, the 10th is free"). List, add, change and switch a
card on or off; every problem shown beside its field with what was typed kept."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.domain.catalog.products import parse_price
from regulars.domain.stamps.cards import GrantAt, Reward, StampCard, card_problems
from regulars.errors import InvalidInput, RegularsError
from regulars.services.stamps import cards
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import amount_text, parse_int
from regulars.web.templating import Reader, render

VIEW = [needs(Permission.VIEW)]
EDIT = [needs(Permission.MARKETING_EDIT)]
FIELDS = ("name", "skus", "categories", "per_card", "discount", "expiry_days", "reward",
          "grant_at", "title_en", "title_ru", "title_uk", "title_bg")
LANGUAGES = ("en", "ru", "uk", "bg")
# The service's field names, as the form spells them.
FORM_FIELD = {"discount_minor": "discount"}


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _codes(raw: str) -> frozenset[str]:
    return frozenset(c.strip()[:64] for c in raw.replace(";", ",").split(",") if c.strip())


def _number(values: dict[str, str], name: str, errors: dict[str, str], reader: Reader, *,
            minimum: int, maximum: int) -> int | None:
    if not values[name]:
        return None
    try:
        return parse_int(values[name], field=name, minimum=minimum, maximum=maximum)
    except InvalidInput as exc:
        errors[name] = reader.gettext(exc.template, **exc.params)
        return None


def _card(form: FormData, reader: Reader) -> tuple[dict[str, str], StampCard,
                                                  dict[str, str]]:
    """The form as typed, the card it describes and every problem found, by field."""
    values = {name: text(form, name, 2000).strip() for name in FIELDS}
    values["per_visit"] = "1" if form.get("per_visit") else ""
    values["active"] = "1" if form.get("active") else ""
    errors: dict[str, str] = {}
    if len(values["name"]) not in range(1, 81):
        errors["name"] = reader.gettext("1 to 80 characters")
    per_card = _number(values, "per_card", errors, reader, minimum=2, maximum=100)
    expiry = _number(values, "expiry_days", errors, reader, minimum=1, maximum=3650)
    discount = 0
    if values["reward"] == Reward.DISCOUNT.value:
        try:
            discount = parse_price(values["discount"], digits=reader.minor_digits())
        except ValueError as exc:
            errors["discount"] = reader.gettext(str(exc), digits=reader.minor_digits())
    card = StampCard(
        id=0, name=values["name"][:80], skus=_codes(values["skus"]),
        categories=_codes(values["categories"]), per_visit=bool(values["per_visit"]),
        per_card=per_card or 10,
        reward=Reward(values["reward"]) if values["reward"] in set(Reward) else Reward.FREE_ITEM,
        discount_minor=discount,
        grant_at=(GrantAt(values["grant_at"]) if values["grant_at"] in set(GrantAt)
                  else GrantAt.COMPLETING),
        expiry_days=expiry, active=bool(values["active"]),
        titles={lang: values[f"title_{lang}"][:80] for lang in LANGUAGES
                if values[f"title_{lang}"]})
    if per_card is None and "per_card" not in errors:
        errors["per_card"] = reader.gettext("enter a whole number from %(minimum)s to "
                                            "%(maximum)s", minimum=2, maximum=100)
    for field, problem in card_problems(card):
        errors.setdefault(FORM_FIELD.get(field, field), reader.gettext(problem))
    return values, card, errors


def _values_of(card: StampCard, reader: Reader) -> dict[str, str]:
    shown = {"name": card.name, "skus": ", ".join(sorted(card.skus)),
             "categories": ", ".join(sorted(card.categories)),
             "per_card": str(card.per_card), "reward": card.reward.value,
             "discount": amount_text(card.discount_minor, reader.minor_digits())
             if card.discount_minor else "",
             "grant_at": card.grant_at.value,
             "expiry_days": str(card.expiry_days or ""),
             "per_visit": "1" if card.per_visit else "", "active": "1" if card.active else ""}
    shown.update({f"title_{lang}": card.titles.get(lang, "") for lang in LANGUAGES})
    return shown


def _page(request: Request, runtime: RuntimeDep, reader: Reader, *,
          editing: StampCard | None = None, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, done: str = "",
          status_code: int = 200) -> Response:
    shown = values if values is not None else (
        _values_of(editing, reader) if editing else {"per_card": "10", "active": "1",
                                                     "reward": "free_item",
                                                     "grant_at": "completing"})
    return render(request, "console/stamp_cards.html", reader, status_code=status_code,
                  cards=cards.list_all(runtime, _tenant(reader)), editing=editing,
                  values=shown, errors=errors or {}, done=done)


@router.get("/stamp-cards", dependencies=VIEW)
def stamp_cards_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                     done: str = "") -> Response:
    return _page(request, runtime, reader, done=done[:20])


@router.get("/stamp-cards/{card_id}", dependencies=VIEW)
def stamp_card_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                    card_id: int) -> Response:
    return _page(request, runtime, reader, editing=cards.get(runtime, _tenant(reader), card_id))


@router.post("/stamp-cards", dependencies=EDIT)
def add_stamp_card(request: Request, runtime: RuntimeDep, reader: StaffReader,
                   form: Form) -> Response:
    values, card, errors = _card(form, reader)
    if not errors:
        try:
            cards.create(runtime, _tenant(reader), card, staff_actor(reader))
        except RegularsError as exc:
            errors = {FORM_FIELD.get(k, k): v for k, v in form_errors(exc, reader).items()}
    if errors:
        return _page(request, runtime, reader, values=values, errors=errors, status_code=422)
    return RedirectResponse("/console/stamp-cards?done=added", status_code=303)


@router.post("/stamp-cards/{card_id}", dependencies=EDIT)
def edit_stamp_card(request: Request, runtime: RuntimeDep, reader: StaffReader, card_id: int,
                    form: Form) -> Response:
    editing = cards.get(runtime, _tenant(reader), card_id)
    values, card, errors = _card(form, reader)
    if not errors:
        try:
            cards.update(runtime, _tenant(reader), card_id, card, staff_actor(reader))
        except RegularsError as exc:
            errors = {FORM_FIELD.get(k, k): v for k, v in form_errors(exc, reader).items()}
    if errors:
        return _page(request, runtime, reader, editing=editing, values=values, errors=errors,
                     status_code=422)
    return RedirectResponse("/console/stamp-cards?done=saved", status_code=303)
