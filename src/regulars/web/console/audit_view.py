"""How the audit page words an entry for its reader: who made it, what it was made on and
its details, in the reader's language.

The trail stores codes (``staff 3``, ``till 4``) and canonical JSON details (ids, codes and
amounts); the page shows a name for the actor, the thing in words with its id, and each
detail as ``label: value``, the value formatted by what its key holds (``*_minor`` money,
``*_bp`` a percentage, points as points, a store by its name, the fields a change touched by
their labels). A key with no label here shows as its own words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from regulars.services.audit import audit
from regulars.services.audit.audit import AuditEntry
from regulars.text.i18n import N_
from regulars.web.templating import Reader, units

SUBJECTS: dict[str, str] = {
    "audit log": N_("audit trail"), "budget": N_("budget"), "business": N_("business"),
    "campaign": N_("campaign"), "certificate": N_("gift card"),
    "certificate series": N_("gift card series"), "coupon series": N_("coupon series"),
    "data retention": N_("data retention"), "experiment": N_("experiment"),
    "FAQ entry": N_("question"), "feedback": N_("feedback"),
    "fraud thresholds": N_("fraud thresholds"), "goods account": N_("prepaid goods account"),
    "holdout": N_("holdout"), "key": N_("API key"), "ledger export": N_("points ledger export"),
    "member": N_("member"), "members export": N_("members export"),
    "members import": N_("members import"), "message settings": N_("message settings"),
    "product": N_("product"), "products": N_("products"),
    "program version": N_("program version"), "promotion": N_("promotion"),
    "receipt": N_("receipt"), "receipts export": N_("receipts export"),
    "receipts import": N_("receipts import"), "reward": N_("reward"),
    "reward settings": N_("reward settings"), "scenario": N_("scenario"),
    "staff": N_("staff member"), "stamp card": N_("stamp card"), "store": N_("store"),
    "template": N_("message template"), "till": N_("till"), "till policy": N_("till policy"),
    "wallet passes": N_("wallet passes"),
}

DETAILS: dict[str, str] = {
    "active": N_("active"), "after": N_("after"), "amount_minor": N_("amount"),
    "before": N_("before"), "changed": N_("changed"), "code": N_("code"),
    "count": N_("count"), "created": N_("created"), "expires_at": N_("expires"),
    "imported": N_("imported"), "kind": N_("kind"),
    "language": N_("language"), "manager_pin_above_minor": N_("manager's PIN above"),
    "max_uses": N_("uses at most"), "member_id": N_("member"), "name": N_("name"),
    "nominal_values_minor": N_("values"), "paid_minor": N_("amount"), "points": N_("points"),
    "points_cost": N_("costs"), "reason": N_("reason"), "refund_id": N_("refund"),
    "receipt_id": N_("receipt number"), "rejected": N_("rejected"), "role": N_("role"),
    "rows": N_("rows"), "sku": N_("SKU"), "store_after": N_("store after"),
    "store_before": N_("store before"), "store_id": N_("store"), "till": N_("till"),
    "total_minor": N_("total"),
    "updated": N_("updated"), "valid_days": N_("days valid"), "version": N_("version"),
    "was": N_("was"),
}

POINTS_KEYS = frozenset({"points", "points_cost", "balance_points"})
STORE_KEYS = frozenset({"store_id", "store_before", "store_after"})
# A staff member's fields a change touched (``changed``), in words.
CHANGED: dict[str, str] = {"name": N_("the person's name"), "store_id": N_("store")}
# A role's code in words; ``before`` and ``after`` hold roles only in a role's change (a
# store's rename has its names there, shown as they are).
ROLE_ACTION = "staff.role"


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a detail's value is read with: the entry's action and the business's stores by
    id (a store that is gone shows as its id)."""

    action: str = ""
    stores: Mapping[int, str] = field(default_factory=dict)

    def is_role(self, key: str) -> bool:
        return key == "role" or (self.action == ROLE_ACTION and key in ("before", "after"))


NO_CONTEXT = Context()


@dataclass(frozen=True, kw_only=True)
class Who:
    """The Who column: a name, and the code it stands for when that adds something."""

    name: str
    code: str | None


def who(reader: Reader, actor: str, names: dict[str, str]) -> Who:
    """``actor`` (``staff 3``) by the name ``names`` gives it, with its code beside; the
    system is named once."""
    if actor == audit.SYSTEM.label:
        return Who(name=reader.gettext("the system"), code=None)
    name = names.get(actor)
    return Who(name=actor, code=None) if name is None else Who(name=name, code=actor)


def subject(reader: Reader, text: str) -> str:
    """``till 4`` as ``касса 4``: the longest known thing the subject starts with, in words,
    followed by the rest (an id); an unknown subject shows as stored."""
    for thing in sorted(SUBJECTS, key=len, reverse=True):
        if text == thing or text.startswith(thing + " "):
            return reader.gettext(SUBJECTS[thing]) + text[len(thing):]
    return text


def _scalar(reader: Reader, key: str, value: object, context: Context) -> str:
    if key in STORE_KEYS and (value is None or isinstance(value, int)):
        return (reader.gettext("all stores") if value is None
                else context.stores.get(value, str(value)))
    if value is None:
        return "—"
    if isinstance(value, bool):
        return reader.gettext("yes") if value else reader.gettext("no")
    if isinstance(value, int) and key.endswith("_minor"):
        return reader.money(value)
    if isinstance(value, int) and key.endswith("_bp"):
        return reader.percent_bp(value)
    if isinstance(value, int) and key.endswith("_milli"):
        return units(reader, value)
    if isinstance(value, int) and key in POINTS_KEYS:
        return reader.ngettext("%(num)s point", "%(num)s points", value,
                               num=reader.number(value))
    if isinstance(value, str) and context.is_role(key):
        return reader.label("role", value)
    if isinstance(value, str) and key == "changed":
        known = CHANGED.get(value)
        return reader.gettext(known) if known else value.replace("_", " ")
    return str(value)


def _value(reader: Reader, key: str, value: object, context: Context) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{label}: {text}"
                         for label, text in details_of(reader, value, context))
    if isinstance(value, list):
        return ", ".join(_value(reader, key, item, context) for item in value)
    return _scalar(reader, key, value, context)


def _label(reader: Reader, key: str) -> str:
    known = DETAILS.get(key)
    return reader.gettext(known) if known else key.replace("_", " ")


def details_of(reader: Reader, detail: dict[str, object],
               context: Context = NO_CONTEXT) -> list[tuple[str, str]]:
    """Each detail as ``(label, value)`` in the reader's words, in the stored order."""
    return [(_label(reader, key), _value(reader, key, value, context))
            for key, value in detail.items()]


def details(reader: Reader, stored: str, context: Context = NO_CONTEXT) -> list[tuple[str, str]]:
    """An entry's stored details (canonical JSON) as :func:`details_of` words them; text that
    is not a JSON object shows as one unlabelled value."""
    try:
        found = json.loads(stored)
    except ValueError:
        return [("", stored)]
    if not isinstance(found, dict):
        return [("", stored)]
    return details_of(reader, found, context)


@dataclass(frozen=True, kw_only=True)
class Row:
    """One entry as the page shows it."""

    entry: AuditEntry
    who: Who
    subject: str
    details: list[tuple[str, str]]


def rows(reader: Reader, entries: list[AuditEntry], names: dict[str, str],
         stores: Mapping[int, str]) -> list[Row]:
    """``entries`` as the page shows them: actors by ``names``, stores by ``stores``."""
    return [Row(entry=e, who=who(reader, e.actor, names), subject=subject(reader, e.subject),
                details=details(reader, e.detail, Context(action=e.action, stores=stores)))
            for e in entries]
