"""Console pages: the rewards catalogue members buy with points. List, add, edit and
withdraw rewards (a product free, an amount or a percentage off, a perk), with a title and
description per language, the days it is offered on (the business's local days; a first or
last day left as the API set it keeps its exact instant) and the stores that offer it; every
problem shown beside its field with what was typed kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.domain.catalog.products import parse_price
from regulars.domain.rewards.catalog import LANGUAGES, RewardDraft
from regulars.errors import RegularsError
from regulars.services.members import members
from regulars.services.rewards import catalog
from regulars.services.rewards.catalog import Reward
from regulars.services.tenancy import tenants
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import PAGE_SIZE, form_errors, page_number, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import amount_text
from regulars.web.templating import Reader, render

VIEW = [needs(Permission.VIEW)]
EDIT = [needs(Permission.MARKETING_EDIT)]
AMOUNTS = ("max_price", "amount", "cost")
COUNTS = ("points_cost", "stock_total", "stock_per_day", "claim_days")
TEXTS = ("kind", "sku", "category", "rate", "picture_url", "level_codes", "valid_from",
         "valid_until")
# The service's field names, as the form spells them.
FORM_FIELD = {"max_price_minor": "max_price", "amount_minor": "amount", "cost_minor": "cost",
              "rate_bp": "rate", "store_ids": "store",
              **{f"titles.{lang}": f"title_{lang}" for lang in LANGUAGES},
              **{f"descriptions.{lang}": f"description_{lang}" for lang in LANGUAGES}}


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _count(raw: str, name: str, errors: dict[str, str], reader: Reader) -> int | None:
    if not raw:
        if name in ("points_cost", "claim_days"):
            errors[name] = reader.gettext("required")
        return None
    if not raw.isdigit() or len(raw) > 12:
        errors[name] = reader.gettext("a whole number")
        return None
    return int(raw)


def _amount(raw: str, name: str, errors: dict[str, str], reader: Reader,
            digits: int) -> int | None:
    if not raw:
        return None
    try:
        return parse_price(raw, digits=digits)
    except ValueError as exc:
        errors[name] = reader.gettext(str(exc), digits=digits)
        return None


def _first_instant(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def _day_of(moment: datetime | None, zone: str, *, last: bool = False) -> str:
    """The local day ``moment`` starts (``last``: the last local day before it ends)."""
    if moment is None:
        return ""
    if last:
        moment -= timedelta(microseconds=1)
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def _validity(values: dict[str, Any], errors: dict[str, str], reader: Reader,
              kept: Reward | None) -> tuple[datetime | None, datetime | None]:
    """(valid from, valid until) of the typed first and last days: from the first day's
    start to the last day's end in the business's time zone; a day typed as shown keeps the
    instant it stood for."""
    found: list[datetime | None] = []
    for name, last in (("valid_from", False), ("valid_until", True)):
        raw = values[name]
        stood = None if kept is None else getattr(kept, name)
        if not raw:
            found.append(None)
        elif stood is not None and raw == _day_of(stood, reader.timezone, last=last):
            found.append(stood)
        else:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors[name] = reader.gettext("enter a date like 2026-04-25")
                found.append(None)
                continue
            found.append(_first_instant(day + timedelta(days=1 if last else 0),
                                        reader.timezone))
    return found[0], found[1]


def _stores(values: dict[str, Any], errors: dict[str, str], reader: Reader,
            store_ids: frozenset[int]) -> tuple[int, ...]:
    chosen = {int(s) for s in values["store"] if s.isdigit() and len(s) <= 18}
    if len(chosen) != len(values["store"]) or not chosen <= store_ids:
        errors["store"] = reader.gettext("no such store")
    return tuple(sorted(chosen & store_ids))


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: text(form, name, 600).strip()
                              for name in (*AMOUNTS, *COUNTS, *TEXTS)}
    values["store"] = sorted({str(v)[:20] for v in form.getlist("store")})[:1000]
    for lang in LANGUAGES:
        values[f"title_{lang}"] = text(form, f"title_{lang}", 200)
        values[f"description_{lang}"] = text(form, f"description_{lang}", 1200)
    values["refund_on_expiry"] = "1" if form.get("refund_on_expiry") else ""
    return values


def _draft(form: FormData, reader: Reader, kept: Reward | None, store_ids: frozenset[int]
           ) -> tuple[dict[str, Any], RewardDraft, dict[str, str]]:
    """The form as typed, the reward it describes, and every problem found, by field."""
    values = _values(form)
    errors: dict[str, str] = {}
    valid_from, valid_until = _validity(values, errors, reader, kept)
    digits = reader.minor_digits()
    amounts = {n: _amount(values[n], n, errors, reader, digits) for n in AMOUNTS}
    counts = {n: _count(values[n], n, errors, reader) for n in COUNTS}
    rate = _amount(values["rate"], "rate", errors, reader, 2)
    draft = RewardDraft(
        kind=values["kind"], points_cost=counts["points_cost"] or 0,
        titles={lang: values[f"title_{lang}"] for lang in LANGUAGES},
        descriptions={lang: values[f"description_{lang}"] for lang in LANGUAGES},
        sku=values["sku"], category=values["category"], max_price_minor=amounts["max_price"],
        amount_minor=amounts["amount"], rate_bp=rate, cost_minor=amounts["cost"],
        stock_total=counts["stock_total"], stock_per_day=counts["stock_per_day"],
        picture_url=values["picture_url"], claim_days=counts["claim_days"] or 30,
        refund_on_expiry=bool(values["refund_on_expiry"]),
        level_codes=tuple(c.strip() for c in values["level_codes"].split(",") if c.strip()),
        valid_from=valid_from, valid_until=valid_until,
        store_ids=_stores(values, errors, reader, store_ids))
    for problem in catalog.check(draft):
        errors.setdefault(FORM_FIELD.get(problem.field, problem.field),
                          reader.gettext(problem.message, **(problem.params or {})))
    return values, draft, errors


def _shown(reward: Reward, reader: Reader) -> dict[str, Any]:
    digits = reader.minor_digits()

    def money(value: int | None) -> str:
        return "" if value is None else amount_text(value, digits)

    values: dict[str, Any] = {
              "kind": reward.kind, "points_cost": str(reward.points_cost), "sku": reward.sku,
              "category": reward.category, "max_price": money(reward.max_price_minor),
              "amount": money(reward.amount_minor), "cost": money(reward.cost_minor),
              "rate": "" if reward.rate_bp is None else amount_text(reward.rate_bp, 2),
              "stock_total": "" if reward.stock_total is None else str(reward.stock_total),
              "stock_per_day": ("" if reward.stock_per_day is None
                                else str(reward.stock_per_day)),
              "claim_days": str(reward.claim_days), "picture_url": reward.picture_url,
              "level_codes": ", ".join(reward.level_codes),
              "refund_on_expiry": "1" if reward.refund_on_expiry else "",
              "valid_from": _day_of(reward.valid_from, reader.timezone),
              "valid_until": _day_of(reward.valid_until, reader.timezone, last=True),
              "store": [str(s) for s in reward.store_ids]}
    for lang in LANGUAGES:
        values[f"title_{lang}"] = reward.titles.get(lang, "")
        values[f"description_{lang}"] = reward.descriptions.get(lang, "")
    return values


def _list_page(request: Request, runtime: RuntimeDep, reader: Reader, *, page: int = 1,
               values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               done: str = "", status_code: int = 200) -> Response:
    found = catalog.list_page(runtime, _tenant(reader), limit=PAGE_SIZE,
                              offset=(page - 1) * PAGE_SIZE)
    return render(request, "console/rewards.html", reader, status_code=status_code,
                  page=page, found=found, has_more=page * PAGE_SIZE < found.total,
                  values=values or {"claim_days": "30", "refund_on_expiry": "1",
                                    "kind": "product", "store": []},
                  errors=errors or {}, done=done, reward_languages=LANGUAGES,
                  stores=tenants.list_stores(runtime, _tenant(reader)))


@router.get("/rewards", dependencies=VIEW)
def rewards_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                 page: str = "1", done: str = "") -> Response:
    return _list_page(request, runtime, reader, page=page_number(page), done=done)


@router.post("/rewards", dependencies=EDIT)
def add_reward(request: Request, runtime: RuntimeDep, reader: StaffReader,
               form: Form) -> Response:
    values, draft, errors = _draft(form, reader, None, _store_ids(runtime, reader))
    if not errors:
        try:
            catalog.create(runtime, _tenant(reader), draft, actor=staff_actor(reader))
        except RegularsError as exc:
            errors = {FORM_FIELD.get(k, k): v for k, v in form_errors(exc, reader).items()}
    if errors:
        return _list_page(request, runtime, reader, values=values, errors=errors,
                          status_code=422)
    return RedirectResponse("/console/rewards?done=added", status_code=303)


def _store_ids(runtime: RuntimeDep, reader: Reader) -> frozenset[int]:
    return frozenset(s.id for s in tenants.list_stores(runtime, _tenant(reader)))


def _edit_page(request: Request, runtime: RuntimeDep, reader: Reader, reward: Reward, *,
               values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               done: str = "", status_code: int = 200) -> Response:
    claims = catalog.list_claims(runtime, _tenant(reader), reward_id=reward.id, limit=20)
    return render(request, "console/reward.html", reader, status_code=status_code,
                  reward=reward, title=reward.title(reader.language),
                  values=values or _shown(reward, reader), errors=errors or {}, done=done,
                  reward_languages=LANGUAGES, claims=claims.items,
                  member_names=members.names(runtime, _tenant(reader),
                                             [c.member_id for c in claims.items]),
                  stores=tenants.list_stores(runtime, _tenant(reader)))


@router.get("/rewards/{reward_id}", dependencies=VIEW)
def reward_page(request: Request, runtime: RuntimeDep, reader: StaffReader, reward_id: int,
                done: str = "") -> Response:
    reward = catalog.get(runtime, _tenant(reader), reward_id)
    return _edit_page(request, runtime, reader, reward, done=done)


@router.post("/rewards/{reward_id}", dependencies=EDIT)
def edit_reward(request: Request, runtime: RuntimeDep, reader: StaffReader, reward_id: int,
                form: Form) -> Response:
    reward = catalog.get(runtime, _tenant(reader), reward_id)
    values, draft, errors = _draft(form, reader, reward, _store_ids(runtime, reader))
    if not errors:
        try:
            catalog.update(runtime, _tenant(reader), reward_id, draft, actor=staff_actor(reader))
        except RegularsError as exc:
            errors = {FORM_FIELD.get(k, k): v for k, v in form_errors(exc, reader).items()}
    if errors:
        return _edit_page(request, runtime, reader, reward, values=values, errors=errors,
                          status_code=422)
    return RedirectResponse(f"/console/rewards/{reward_id}?done=saved", status_code=303)


@router.post("/rewards/{reward_id}/active", dependencies=EDIT)
def set_active(runtime: RuntimeDep, reader: StaffReader, reward_id: int,
               form: Form) -> Response:
    active = form.get("active") == "1"
    catalog.set_active(runtime, _tenant(reader), reward_id, active=active,
                       actor=staff_actor(reader))
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/console/rewards/{reward_id}?done={done}", status_code=303)
