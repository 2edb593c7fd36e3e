"""A stored effect (of a promotion's version or a coupon series) and a segment's rule in the
words an owner reads: "10 % off", "€2.50 off", "50 points", "spend at least €20.00 in the last
90 days", with the reader's formatters for money, percentages and numbers, never a field name
or a unit of storage (basis points, minor units, thousandths).

Each takes the definition as it is stored (``{"kind": ..., field: value}``); a kind it does not
know reads as its label, with its fields as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regulars.web.templating import Reader

Words = Callable[[Mapping[str, Any], "Reader"], str]


def _quantity(milli: int, r: Reader) -> str:
    return r.number(Decimal(milli).scaleb(-3).normalize())


def _steps(e: Mapping[str, Any], r: Reader) -> str:
    return "; ".join(r.gettext("from %(quantity)s items: %(rate)s off",
                               quantity=_quantity(s["from_milli"], r),
                               rate=r.percent_bp(s["rate_bp"]))
                     for s in e["steps"])


def _gift(e: Mapping[str, Any], r: Reader) -> str:
    words = r.gettext("%(gift)s free for every %(quantity)s bought", gift=e["gift_sku"],
                      quantity=_quantity(e["buy_milli"], r))
    if e.get("max_gifts"):
        words += ", " + r.ngettext("at most %(num)s gift", "at most %(num)s gifts",
                                   e["max_gifts"], num=r.number(e["max_gifts"]))
    return words


_CASHBACK_BASIS = {"paid": "what is paid on these lines",
                   "earn_basis": "the part that earns points"}
_ROUNDING = {"floor": "down", "half_up": "to nearest, halves up",
             "half_even": "to nearest, halves to even", "ceiling": "up"}


def _cashback(e: Mapping[str, Any], r: Reader) -> str:
    words = r.gettext("%(rate)s back into the wallet", rate=r.percent_bp(e["rate_bp"]))
    if e.get("max_minor") is not None:
        words += ", " + r.gettext("at most %(amount)s a receipt", amount=r.money(e["max_minor"]))
    basis = _CASHBACK_BASIS.get(str(e.get("basis", "paid")))
    rounding = _ROUNDING.get(str(e.get("rounding", "floor")))
    if basis:
        words += f" · {r.gettext('Cashback is a share of')}: {r.gettext(basis)}"
    if rounding:
        words += f" · {r.gettext('Rounding of cashback')}: {r.gettext(rounding)}"
    return words


def _coupon(e: Mapping[str, Any], r: Reader) -> str:
    words = r.label("effect", e["kind"])
    name = e.get("series_name")
    return f"{words}: \u201c{name}\u201d" if name else words


EFFECTS: Mapping[str, Words] = {
    "percent_discount": lambda e, r: r.gettext("%(rate)s off", rate=r.percent_bp(e["rate_bp"])),
    "fixed_discount": lambda e, r: r.gettext("%(amount)s off",
                                             amount=r.money(e["amount_minor"])),
    "set_price": lambda e, r: r.gettext("%(price)s a unit",
                                        price=r.money(e["unit_price_minor"])),
    "bonus_points": lambda e, r: r.ngettext("%(num)s point", "%(num)s points", e["points"],
                                            num=r.number(e["points"])),
    "points_percent": lambda e, r: r.gettext("%(rate)s of the amount in points",
                                             rate=r.percent_bp(e["rate_bp"])),
    "points_multiplier": lambda e, r: r.gettext(
        "points × %(factor)s", factor=r.number(Decimal(e["factor_percent"]).scaleb(-2)
                                               .normalize())),
    "cheapest_free": lambda e, r: r.ngettext(
        "the cheapest of every %(num)s item free", "the cheapest of every %(num)s items free",
        e["every_n"], num=r.number(e["every_n"])),
    "volume_steps": _steps,
    "gift_with_purchase": _gift,
    "cashback": _cashback,
    "issue_coupon": _coupon,
}


def effect_words(effect: Mapping[str, Any], reader: Reader, *,
                 series: Mapping[int, str] | None = None) -> str:
    """``effect`` as the owner reads it, with the products or categories it is limited to;
    the coupon series it issues by its name in ``series`` (by id)."""
    if "series_id" in effect and series:
        effect = {**effect, "series_name": series.get(int(effect["series_id"]))}
    kind = str(effect["kind"])
    said = EFFECTS.get(kind)
    words = said(effect, reader) if said else reader.label("effect", kind)
    for name in ("categories", "skus"):
        if effect.get(name):
            words += f" · {reader.label('effect_option', name)}: {', '.join(effect[name])}"
    return words


# Segment rules -------------------------------------------------------------------------------

def _within(days: int, r: Reader) -> str:
    return r.ngettext("in the last %(num)s day", "in the last %(num)s days", days,
                      num=r.number(days))


def _recency(rule: Mapping[str, Any], r: Reader) -> str:
    days = rule["days"]
    if rule["compare"] == "le":
        return r.ngettext("last visit within the last %(num)s day",
                          "last visit within the last %(num)s days", days, num=r.number(days))
    return r.ngettext("no visit for %(num)s day or more", "no visit for %(num)s days or more",
                      days, num=r.number(days))


def _frequency(rule: Mapping[str, Any], r: Reader) -> str:
    count = rule["count"]
    if rule["compare"] == "le":
        words = r.ngettext("at most %(num)s visit", "at most %(num)s visits", count,
                           num=r.number(count))
    else:
        words = r.ngettext("at least %(num)s visit", "at least %(num)s visits", count,
                           num=r.number(count))
    return f"{words} {_within(rule['days'], r)}"


def _spend(rule: Mapping[str, Any], r: Reader) -> str:
    amount = r.money(rule["amount_minor"])
    said = (r.gettext("spend at most %(amount)s", amount=amount) if rule["compare"] == "le"
            else r.gettext("spend at least %(amount)s", amount=amount))
    return f"{said} {_within(rule['days'], r)}"


def _listed(name: str) -> Words:
    return lambda rule, r: f"{r.label('segment_rule', rule['kind'])}: " + ", ".join(
        r.label(name, v) for v in sorted(rule[_FIELD[rule["kind"]]]))


def _levels(rule: Mapping[str, Any], r: Reader) -> str:
    names: Mapping[str, str] = rule.get("level_names") or {}
    return f"{r.label('segment_rule', rule['kind'])}: " + ", ".join(
        names.get(code, code) for code in sorted(rule["levels"]))


_FIELD = {"consent": "values", "rfm": "groups"}

RULES: Mapping[str, Words] = {
    "recency": _recency,
    "frequency": _frequency,
    "spend": _spend,
    "store_share": lambda rule, r: r.gettext(
        "at least %(share)s of visits at store %(store)s",
        share=r.number(rule["min_percent"]) + "\u00a0%",
        store=rule.get("store_name", rule["store_id"]))
    + " " + _within(rule["days"], r),
    "tags": lambda rule, r: (
        r.gettext("all of the tags: %(tags)s", tags=", ".join(sorted(rule["tags"])))
        if rule["match"] == "all"
        else r.gettext("any of the tags: %(tags)s", tags=", ".join(sorted(rule["tags"])))),
    "profile": lambda rule, r: r.gettext("%(field)s is “%(value)s”", field=rule["field"],
                                         value=rule["value"]),
    "birthday": lambda rule, r: r.label("segment_rule", rule["kind"]),
    "consent": _listed("consent"),
    "level": _levels,
    "rfm": _listed("rfm_group"),
}


def rule_words(rule: Mapping[str, Any], reader: Reader, *,
               stores: Mapping[int, str] | None = None,
               levels: Mapping[str, str] | None = None) -> str:
    """A segment's rule as the owner reads it ("spend at least €20.00 in the last 90 days"),
    a store by its name in ``stores`` (by id), a level by its name in ``levels`` (by code),
    an RFM group by its label."""
    if "store_id" in rule and stores:
        rule = {**rule, "store_name": stores.get(int(rule["store_id"]), rule["store_id"])}
    if "levels" in rule and levels:
        rule = {**rule, "level_names": levels}
    said = RULES.get(str(rule["kind"]))
    if said is None:
        return reader.label("segment_rule", rule["kind"])
    return said(rule, reader)
