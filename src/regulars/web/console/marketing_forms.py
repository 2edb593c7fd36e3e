"""Reading the segment form into the drafts the services take
(the same drafts the admin API builds from JSON). Every refusal names the form field."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from regulars.errors import InvalidInput
from regulars.services.promotions.segments import Draft as SegmentDraft
from regulars.services.promotions.segments import rule_of
from regulars.web.console.pagekit import text
from regulars.web.forms import parse_int, parse_money

RULE_KINDS = ("recency", "frequency", "spend", "store_share", "tags", "profile", "consent",
              "level", "rfm", "birthday")
RULE_ROWS = (1, 2, 3)
RULE_PARTS = ("kind", "compare", "days", "count", "amount", "tags", "match", "consent",
              "store", "percent", "field", "value", "levels", "groups")
RFM_GROUP_ORDER = ("champions", "loyal", "potential_loyalist", "new", "promising",
                   "need_attention", "about_to_sleep", "at_risk", "cannot_lose", "hibernating",
                   "lost")
"""The ``rfm`` rule's group codes, best first, as the form's hint lists them."""
# A rule's field, as the form names it (without the row).
_RULE_FIELD = {"amount_minor": "amount", "values": "consent", "store_id": "store",
               "min_percent": "percent"}


def _codes(raw: str) -> frozenset[str]:
    return frozenset(c.strip() for c in raw.split(",") if c.strip())


CHECKED_PARTS = ("consent", "levels", "groups")
"""Rule parts the form offers as boxes to tick, each ticked code sent on its own."""


def rule_values(form: FormData) -> dict[str, str]:
    """Each rule row's fields as text; the ticked codes of a part joined by commas."""
    return {f"{part}-{row}": (",".join(str(v) for v in form.getlist(f"{part}-{row}"))[:500]
                              if part in CHECKED_PARTS else text(form, f"{part}-{row}", 500)
                              ).strip()
            for row in RULE_ROWS for part in RULE_PARTS}


def _rule_data(kind: str, row: int, values: dict[str, str], digits: int) -> dict[str, Any]:
    """A rule row's fields in the stored form ``rule_of`` reads."""
    def number(part: str, *, minimum: int = 0) -> int:
        return parse_int(values[f"{part}-{row}"], field=f"{part}-{row}", minimum=minimum,
                         maximum=10**9)

    data: dict[str, Any] = {"kind": kind}
    if kind in ("recency", "frequency", "spend", "store_share"):
        data["days"] = number("days", minimum=1)
    if kind in ("recency", "frequency", "spend"):
        data["compare"] = values[f"compare-{row}"] or "ge"
    if kind == "frequency":
        data["count"] = number("count")
    if kind == "spend":
        data["amount_minor"] = parse_money(values[f"amount-{row}"], digits=digits,
                                           field=f"amount-{row}")
    if kind == "store_share":
        data.update(store_id=number("store", minimum=1),
                    min_percent=number("percent", minimum=1))
    if kind == "tags":
        data["match"] = values[f"match-{row}"] or "any"
        data["tags"] = sorted(_codes(values[f"tags-{row}"]))
    if kind == "profile":
        data.update(field=values[f"field-{row}"], value=values[f"value-{row}"])
    if kind == "consent":
        data["values"] = sorted(_codes(values[f"consent-{row}"]))
    if kind == "level":
        data["levels"] = sorted(_codes(values[f"levels-{row}"]))
    if kind == "rfm":
        data["groups"] = sorted(_codes(values[f"groups-{row}"]))
    return data


def segment_draft(name: str, values: dict[str, str], digits: int) -> SegmentDraft:
    """A segment from its name and up to three rule rows (a row without a kind is unused).
    Raises :class:`InvalidInput` naming the row's field."""
    if not name:
        raise InvalidInput("enter a name", field="name")
    rules = []
    for row in RULE_ROWS:
        kind = values[f"kind-{row}"]
        if not kind:
            continue
        data = _rule_data(kind, row, values, digits)
        try:
            rules.append(rule_of(data))
        except ValueError as exc:
            part = str(exc).split(":", 1)[0].split(".")[0]
            known = ("field" if kind == "profile" else "groups" if kind == "rfm"
                     else _RULE_FIELD.get(part, part))
            field = f"{known}-{row}" if known in RULE_PARTS else f"kind-{row}"
            raise InvalidInput(str(exc), field=field) from exc
    if not rules:
        raise InvalidInput("choose at least one rule", field="kind-1")
    return SegmentDraft(name=name[:200], rules=tuple(rules))
