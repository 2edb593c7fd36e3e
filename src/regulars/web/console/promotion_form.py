"""The promotion builder's form: every field in money, percent and whole items as a person
types them, read into the :class:`~regulars.services.promotions.promotions.Draft` the admin
API builds from JSON, with every problem found at once, by field; and a saved promotion
turned back into the form's values (to edit it, or to start a copy).

Conditions are picked in plain words (:mod:`regulars.domain.promotions.condition_builder`)
or, in the expert mode, typed as CEL. Weekdays, hours and stores are the promotion's own
schedule and store list; the segment is its target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, TypeVar

from starlette.datastructures import FormData

from regulars.domain.money import Rounding
from regulars.domain.promotions.budgets import Limits, Period
from regulars.domain.promotions.condition_builder import Conditions, from_cel, to_cel
from regulars.domain.promotions.promotions import (
    BonusPoints,
    Cashback,
    CashbackOn,
    CheapestFree,
    Effect,
    FixedDiscount,
    GiftWithPurchase,
    IssueCoupon,
    PercentDiscount,
    PointsMultiplier,
    PointsPercent,
    Schedule,
    SetPrice,
    Stacking,
    VolumeStep,
    VolumeSteps,
)
from regulars.errors import InvalidInput
from regulars.services.promotions.coupons import SeriesDraft
from regulars.services.promotions.promotions import Draft, PromotionView
from regulars.text.i18n import N_
from regulars.web.forms import amount_text, parse_day, parse_int, parse_money

KINDS = ("percent_discount", "fixed_discount", "set_price", "bonus_points", "points_percent",
         "points_multiplier", "cheapest_free", "volume_steps", "gift_with_purchase",
         "issue_coupon", "cashback")
CASHBACK_BASES = tuple(b.value for b in CashbackOn)
ROUNDINGS = tuple(r.value for r in Rounding)
STEPS = (1, 2, 3)
MULTI = ("c_level", "weekday", "store")
FLAGS = ("c_members", "c_first", "c_birthday")
TEXT = ("name", "mode", "condition", "c_total", "c_items", "c_category", "c_category_qty",
        "c_sku", "c_sku_qty", "c_visits", "hour_from", "hour_to", "segment_id",
        "control_share", "effect", "rate", "amount", "points", "factor", "every_n",
        "categories", "skus", "gift_sku", "buy", "max_gifts", "series_id", "stacking",
        "cashback_basis", "cashback_rounding", "cashback_cap",
        "priority", "starts_on", "ends_on", "budget", "budget_points", "member_budget",
        "member_points", "uses_per_day", "uses_per_period", "period", "max_uses",
        *(f"step{n}_{part}" for n in STEPS for part in ("from", "rate")))
LIMIT = 10**15
T = TypeVar("T")


def blank() -> dict[str, Any]:
    """The values of a new promotion's form."""
    values: dict[str, Any] = dict.fromkeys(TEXT, "")
    values.update({name: [] for name in MULTI}, **dict.fromkeys(FLAGS, ""))
    values.update(mode="builder", condition="true", effect="percent_discount",
                  stacking="stackable", priority="0", period="month",
                  cashback_basis="paid", cashback_rounding="floor")
    return values


def values_of(form: FormData) -> dict[str, Any]:
    """The form as typed (each text cut to a bound, each list to a few dozen entries)."""
    values: dict[str, Any] = {name: str(form.get(name) or "")[:2000].strip() for name in TEXT}
    for name in MULTI:
        values[name] = [str(v)[:64] for v in form.getlist(name)][:1000]
    for name in FLAGS:
        values[name] = "1" if form.get(name) else ""
    return values


class _Reading:
    """Reads fields, keeping the first problem of each instead of stopping at it."""

    def __init__(self, values: Mapping[str, Any], digits: int) -> None:
        self.values, self.digits = values, digits
        self.errors: dict[str, InvalidInput] = {}

    def take(self, name: str, read: Callable[[str], T]) -> T | None:
        raw = str(self.values.get(name) or "")
        if not raw:
            return None
        try:
            return read(raw)
        except InvalidInput as exc:
            self.errors.setdefault(name, exc)
            return None

    def refuse(self, name: str, message: str, **params: object) -> None:
        self.errors.setdefault(name, InvalidInput(message, field=name, params=params))

    def money(self, name: str) -> int | None:
        return self.take(name, lambda raw: parse_money(raw, digits=self.digits, field=name))

    def whole(self, name: str, minimum: int = 1, maximum: int = LIMIT) -> int | None:
        return self.take(name, lambda raw: parse_int(raw, field=name, minimum=minimum,
                                                     maximum=maximum))

    def scaled(self, name: str, digits: int, minimum: int, maximum: int,
               message: str) -> int | None:
        """A decimal with ``digits`` decimals as an integer (percent: basis points, items:
        thousandths), from ``minimum`` to ``maximum`` (as integers) or refused."""
        found = self.take(name, lambda raw: parse_money(raw, digits=digits, field=name))
        if found is not None and not minimum <= found <= maximum:
            self.refuse(name, message)
            return None
        return found

    def percent(self, name: str) -> int | None:
        return self.scaled(name, 2, 1, 10_000, N_("enter a percent from 0.01 to 100"))

    def items(self, name: str) -> int | None:
        return self.scaled(name, 3, 1, 10**12, N_("enter a quantity above 0"))


def _codes(raw: str) -> frozenset[str]:
    return frozenset(sorted({c.strip()[:64] for c in raw.split(",") if c.strip()})[:500])


def _conditions(r: _Reading) -> str:
    v = r.values
    if v["mode"] == "expert":
        if not v["condition"]:
            r.refuse("condition", N_("enter a condition (true: every receipt)"))
        return str(v["condition"]) or "true"
    if v["c_category_qty"] and not v["c_category"]:
        r.refuse("c_category", N_("enter the category the quantity counts"))
    if v["c_sku_qty"] and not v["c_sku"]:
        r.refuse("c_sku", N_("enter the product the quantity counts"))
    try:
        picked = Conditions(
            min_total_minor=r.money("c_total"), min_quantity_milli=r.items("c_items"),
            category=v["c_category"][:64], category_milli=r.items("c_category_qty") or 1000,
            sku=v["c_sku"][:64], sku_milli=r.items("c_sku_qty") or 1000,
            levels=tuple(sorted(set(v["c_level"])))[:20], members_only=bool(v["c_members"]),
            first_purchase=bool(v["c_first"]), birthday=bool(v["c_birthday"]),
            min_visits=r.whole("c_visits", minimum=0, maximum=10**9))
    except ValueError:
        return "true"  # a bound the fields above refused already
    return to_cel(picked)


def _steps(r: _Reading) -> tuple[VolumeStep, ...]:
    steps: list[VolumeStep] = []
    for n in STEPS:
        start, rate = r.items(f"step{n}_from"), r.percent(f"step{n}_rate")
        if (start is None) != (rate is None) and f"step{n}_from" not in r.errors \
                and f"step{n}_rate" not in r.errors:
            r.refuse(f"step{n}_rate" if rate is None else f"step{n}_from",
                     N_("enter both the quantity and the percent"))
        if start is not None and rate is not None:
            if steps and start <= steps[-1].from_milli:
                r.refuse(f"step{n}_from", N_("each step must start above the one before"))
            steps.append(VolumeStep(from_milli=start, rate_bp=rate))
    if not steps and not any(f"step{n}_{p}" in r.errors for n in STEPS
                             for p in ("from", "rate")):
        r.refuse("step1_from", N_("enter at least one step"))
    return tuple(steps)


def _needed(r: _Reading, name: str, found: T | None) -> T | None:
    if found is None and name not in r.errors:
        r.refuse(name, N_("enter a value for this offer"))
    return found


Match = dict[str, frozenset[str]]


def _percent_off(r: _Reading, match: Match) -> Effect | None:
    rate = _needed(r, "rate", r.percent("rate"))
    return None if rate is None else PercentDiscount(rate_bp=rate, **match)


def _points_percent(r: _Reading, _match: Match) -> Effect | None:
    rate = _needed(r, "rate", r.percent("rate"))
    return None if rate is None else PointsPercent(rate_bp=rate)


def _amount_off(r: _Reading, match: Match) -> Effect | None:
    amount = _needed(r, "amount", r.money("amount"))
    if amount == 0:
        r.refuse("amount", N_("enter an amount above 0"))
    return None if not amount else FixedDiscount(amount_minor=amount, **match)


def _set_price(r: _Reading, match: Match) -> Effect | None:
    amount = _needed(r, "amount", r.money("amount"))
    if not match["categories"] and not match["skus"]:
        r.refuse("skus", N_("name the products or categories that get this price"))
        return None
    return None if amount is None else SetPrice(unit_price_minor=amount, **match)


def _bonus(r: _Reading, _match: Match) -> Effect | None:
    points = _needed(r, "points", r.whole("points", maximum=10**9))
    return None if points is None else BonusPoints(points=points)


def _multiplier(r: _Reading, _match: Match) -> Effect | None:
    factor = _needed(r, "factor", r.scaled("factor", 2, 101, 10_000,
                                           N_("enter a multiplier above 1 and at most 100")))
    return None if factor is None else PointsMultiplier(factor_percent=factor)


def _cheapest(r: _Reading, match: Match) -> Effect | None:
    every = _needed(r, "every_n", r.whole("every_n", minimum=2, maximum=1000))
    return None if every is None else CheapestFree(every_n=every, **match)


def _volume(r: _Reading, match: Match) -> Effect | None:
    steps = _steps(r)
    return VolumeSteps(steps=steps, **match) if steps else None


def _effect(r: _Reading, series_ids: frozenset[int]) -> Effect | None:
    """The offer the form describes, or ``None`` with its problems noted."""
    kind = r.values["effect"]
    match = {"categories": _codes(r.values["categories"]), "skus": _codes(r.values["skus"])}
    if kind == "issue_coupon":
        series = _needed(r, "series_id", r.whole("series_id"))
        if series is not None and series not in series_ids:
            r.refuse("series_id", N_("choose a coupon series"))
            return None
        return None if series is None else IssueCoupon(series_id=series)
    read = _READERS.get(kind)
    if read is None:
        r.refuse("effect", N_("choose what the offer gives"))
        return None
    return read(r, match)


def _cashback(r: _Reading, match: Match) -> Effect | None:
    rate = _needed(r, "rate", r.percent("rate"))
    basis, rounding = r.values["cashback_basis"] or "paid", r.values["cashback_rounding"] or "floor"
    if basis not in CASHBACK_BASES:
        r.refuse("cashback_basis", N_("choose what the cashback is a share of"))
    if rounding not in ROUNDINGS:
        r.refuse("cashback_rounding", N_("choose how the cashback is rounded"))
    cap = r.money("cashback_cap")
    if cap == 0:
        r.refuse("cashback_cap", N_("enter an amount above 0, or leave it empty for no cap"))
    if rate is None or "cashback_basis" in r.errors or "cashback_rounding" in r.errors \
            or "cashback_cap" in r.errors:
        return None
    return Cashback(rate_bp=rate, basis=CashbackOn(basis), rounding=Rounding(rounding),
                    max_minor=cap, **match)


def _gift(r: _Reading, match: Match) -> Effect | None:
    gift = str(r.values["gift_sku"])[:64]
    if not gift:
        r.refuse("gift_sku", N_("enter the SKU of the gift"))
    buy = _needed(r, "buy", r.items("buy"))
    most = r.whole("max_gifts", maximum=1000)
    if not gift or buy is None:
        return None
    return GiftWithPurchase(gift_sku=gift, buy_milli=buy, max_gifts=most, **match)


_READERS: dict[str, Callable[[_Reading, Match], Effect | None]] = {
    "percent_discount": _percent_off, "points_percent": _points_percent,
    "fixed_discount": _amount_off, "set_price": _set_price, "bonus_points": _bonus,
    "points_multiplier": _multiplier, "cheapest_free": _cheapest, "volume_steps": _volume,
    "gift_with_purchase": _gift, "cashback": _cashback}


def _day(r: _Reading, name: str) -> date | None:
    return r.take(name, lambda raw: parse_day(raw, field=name))


def _schedule(r: _Reading) -> Schedule:
    starts, ends = _day(r, "starts_on"), _day(r, "ends_on")
    if starts and ends and ends < starts:
        r.refuse("ends_on", N_("the last day lies before the first"))
        ends = None
    days = frozenset(int(d) for d in r.values["weekday"] if d in "1234567" and len(d) == 1)
    hour_from = r.whole("hour_from", minimum=0, maximum=23)
    hour_to = r.whole("hour_to", minimum=1, maximum=24)
    if hour_from is not None and hour_from == hour_to:
        r.refuse("hour_to", N_("the hours must differ"))
        hour_to = None
    return Schedule(starts_on=starts, ends_on=ends, weekdays=days,
                    hour_from=hour_from or 0, hour_to=hour_to or 24)


def _limits(r: _Reading) -> Limits:
    def positive_money(name: str) -> int | None:
        found = r.money(name)
        if found == 0:
            r.refuse(name, N_("enter an amount above 0, or leave it empty for no cap"))
            return None
        return found
    return Limits(budget_minor=positive_money("budget"),
                  budget_points=r.whole("budget_points"),
                  member_minor=positive_money("member_budget"),
                  member_points=r.whole("member_points"),
                  uses_per_day=r.whole("uses_per_day"),
                  uses_per_period=r.whole("uses_per_period"),
                  period=Period.WEEK if r.values["period"] == "week" else Period.MONTH)


@dataclass(frozen=True, kw_only=True)
class Choices:
    """What the form's lists offer: the ids a submitted choice must be one of."""

    store_ids: frozenset[int]
    segment_ids: frozenset[int]
    series_ids: frozenset[int]


def _target(r: _Reading, choices: Choices) -> tuple[frozenset[int] | None, int | None, int]:
    stores = frozenset(int(s) for s in r.values["store"] if s.isdigit()) & choices.store_ids
    raw = str(r.values["segment_id"])
    segment = int(raw) if raw.isdigit() and int(raw) in choices.segment_ids else None
    if raw and segment is None:
        r.refuse("segment_id", N_("choose a segment"))
    share = r.scaled("control_share", 2, 0, 5000, N_("enter a percent from 0 to 50")) or 0
    if share and segment is None and "segment_id" not in r.errors:
        r.refuse("control_share", N_("a control group needs a segment"))
    return stores or None, segment, share


def condition_of(values: Mapping[str, Any], *,
                 digits: int) -> tuple[str | None, dict[str, InvalidInput]]:
    """The CEL condition of the form's conditions (picked or typed), or ``None`` and the
    problems of those fields."""
    r = _Reading(values, digits)
    condition = _conditions(r)
    return (None, r.errors) if r.errors else (condition, {})


def draft_of(values: Mapping[str, Any], *, digits: int, choices: Choices,
             kept: tuple[Effect, ...] = ()) -> tuple[Draft | None, dict[str, InvalidInput]]:
    """The draft the form describes and ``None`` problems, or ``None`` and every problem
    found, by field. ``kept``: effects after the first, which the form does not show and
    saving keeps."""
    r = _Reading(values, digits)
    if not values["name"]:
        r.refuse("name", N_("enter a name"))
    condition = _conditions(r)
    effect = _effect(r, choices.series_ids)
    schedule, limits = _schedule(r), _limits(r)
    stores, segment, share = _target(r, choices)
    priority = r.whole("priority", minimum=-1000, maximum=1000) or 0
    stacking = values["stacking"] if values["stacking"] in set(Stacking) else "stackable"
    if r.errors or effect is None:
        return None, r.errors
    return Draft(name=str(values["name"])[:200], condition=condition, effects=(effect, *kept),
                 stacking=Stacking(stacking), priority=priority, schedule=schedule,
                 store_ids=stores, limits=limits, segment_id=segment,
                 control_share_bp=share), {}


def series_draft_of(values: Mapping[str, Any], *,
                    digits: int) -> tuple[SeriesDraft | None, dict[str, InvalidInput]]:
    """The coupon series the form describes (its offer: any but issuing a coupon), or
    ``None`` and every problem found, by field."""
    r = _Reading(values, digits)
    if not values["name"]:
        r.refuse("name", N_("enter a name"))
    effect = None
    if values["effect"] == "issue_coupon":
        r.refuse("effect", N_("choose what the offer gives"))
    else:
        effect = _effect(r, frozenset())
    schedule = _schedule(r)
    uses = r.whole("max_uses", maximum=10**6) or 1
    if r.errors or effect is None:
        return None, r.errors
    return SeriesDraft(name=str(values["name"])[:200], effect=effect, max_uses=uses,
                       starts_on=schedule.starts_on, ends_on=schedule.ends_on), {}


# A saved promotion, back into the form ---------------------------------------------------------

def _text(value: int | None, digits: int) -> str:
    return "" if value is None else amount_text(value, digits)


def _condition_values(condition: str, digits: int) -> dict[str, Any]:
    picked = from_cel(condition)
    if picked is None:
        return {"mode": "expert", "condition": condition}
    return {"mode": "builder", "condition": condition,
            "c_total": _text(picked.min_total_minor, digits),
            "c_items": _text(picked.min_quantity_milli, 3),
            "c_category": picked.category,
            "c_category_qty": _text(picked.category_milli, 3) if picked.category else "",
            "c_sku": picked.sku, "c_sku_qty": _text(picked.sku_milli, 3) if picked.sku else "",
            "c_level": list(picked.levels), "c_members": "1" if picked.members_only else "",
            "c_first": "1" if picked.first_purchase else "",
            "c_birthday": "1" if picked.birthday else "",
            "c_visits": "" if picked.min_visits is None else str(picked.min_visits)}


def _effect_values(effect: Mapping[str, Any], digits: int) -> dict[str, Any]:
    kind = effect["kind"]
    found: dict[str, Any] = {"effect": kind,
                             "categories": ", ".join(effect.get("categories", ())),
                             "skus": ", ".join(effect.get("skus", ()))}
    if "rate_bp" in effect:
        found["rate"] = amount_text(effect["rate_bp"], 2)
    if "amount_minor" in effect or "unit_price_minor" in effect:
        found["amount"] = amount_text(effect.get("amount_minor",
                                                 effect.get("unit_price_minor", 0)), digits)
    for name, key in (("points", "points"), ("every_n", "every_n"),
                      ("series_id", "series_id"), ("max_gifts", "max_gifts")):
        if effect.get(key) is not None:
            found[name] = str(effect[key])
    if "factor_percent" in effect:
        found["factor"] = amount_text(effect["factor_percent"], 2)
    if kind == "cashback":
        found.update(cashback_basis=effect.get("basis", "paid"),
                     cashback_rounding=effect.get("rounding", "floor"),
                     cashback_cap=_text(effect.get("max_minor"), digits))
    if "buy_milli" in effect:
        found.update(gift_sku=effect["gift_sku"], buy=amount_text(effect["buy_milli"], 3))
    for n, step in zip(STEPS, effect.get("steps", ()), strict=False):
        found[f"step{n}_from"] = amount_text(step["from_milli"], 3)
        found[f"step{n}_rate"] = amount_text(step["rate_bp"], 2)
    return found


def view_values(view: PromotionView, *, digits: int) -> dict[str, Any]:
    """The form's values for ``view`` (its first effect: the form shows one)."""
    return definition_values(asdict(view), digits=digits)


def definition_values(definition: Mapping[str, Any], *, digits: int) -> dict[str, Any]:
    """The form's values for a promotion in storage form (as
    :func:`~regulars.services.promotions.promotions.definition_of` gives it, or a saved one's
    fields): its first effect, as the form shows one."""
    d = definition
    values = blank()
    values.update(_condition_values(d["condition"], digits))
    values.update(_effect_values(d["effects"][0], digits))
    schedule, limits = d["schedule"], d["limits"]
    values.update(
        name=d["name"], stacking=d["stacking"], priority=str(d["priority"]),
        starts_on=schedule.get("starts_on") or "", ends_on=schedule.get("ends_on") or "",
        weekday=[str(day) for day in schedule.get("weekdays", ())],
        hour_from="" if schedule.get("hour_from", 0) == 0 else str(schedule["hour_from"]),
        hour_to="" if schedule.get("hour_to", 24) == 24 else str(schedule["hour_to"]),
        store=[str(s) for s in d["store_ids"] or ()],
        segment_id="" if d["segment_id"] is None else str(d["segment_id"]),
        control_share=amount_text(d["control_share_bp"], 2) if d["control_share_bp"] else "",
        budget=_text(limits.get("budget_minor"), digits),
        budget_points=str(limits.get("budget_points") or ""),
        member_budget=_text(limits.get("member_minor"), digits),
        member_points=str(limits.get("member_points") or ""),
        uses_per_day=str(limits.get("uses_per_day") or ""),
        uses_per_period=str(limits.get("uses_per_period") or ""),
        period=limits.get("period") or "month")
    return values
