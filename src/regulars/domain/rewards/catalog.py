"""The rewards catalogue: rewards a member buys with points, the rules a valid one follows,
what it takes off a basket, and whether a member may claim it; pure.

A reward is one of four kinds (:class:`RewardKind`):

- ``product``: one unit of a product (by SKU, or any product of a category) free, up to
  ``max_price_minor`` when set (a dearer unit gets that much off);
- ``fixed``: ``amount_minor`` off the matching lines (every line when no SKU or category is
  named), never more than they cost;
- ``percent``: ``rate_bp`` off the matching lines, rounded down;
- ``perk``: no basket line (a free upgrade, a gift at the counter).

Amounts are integer minor units; nothing here reads a clock: ``now`` is a parameter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from regulars.domain.money import BASIS_POINTS, Rounding, allocate, apply_rate

LANGUAGES = ("en", "ru", "uk", "bg")
MAX_POINTS = 10 ** 9
MAX_AMOUNT_MINOR = 10 ** 12
MAX_STOCK = 10 ** 9
MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 1000
MAX_URL_CHARS = 500
MAX_SKU_CHARS = 64
MAX_CATEGORY_CHARS = 64
MAX_STORES = 100
MAX_LEVELS = 20
MAX_LEVEL_CHARS = 32
MAX_CLAIM_DAYS = 365


def N_(message: str) -> str:
    """``message`` as it is: marks a message the pages translate where they show it."""
    return message


class RewardKind(StrEnum):
    PRODUCT = "product"
    FIXED = "fixed"
    PERCENT = "percent"
    PERK = "perk"


@dataclass(frozen=True, kw_only=True)
class RewardTerms:
    """What a reward takes off a basket."""

    kind: RewardKind
    sku: str = ""
    category: str = ""
    max_price_minor: int | None = None
    amount_minor: int | None = None
    rate_bp: int | None = None


@dataclass(frozen=True, kw_only=True)
class RewardDraft:
    """What the business says a catalogue reward is (see the module's docstring for kinds).

    ``cost_minor`` is its stated cost to the business (``None``: what it takes off the bill);
    ``claim_days`` how long a code claimed in advance stays valid; ``refund_on_expiry``
    whether an unused claimed code gives its points back when it expires."""

    kind: str
    points_cost: int
    titles: Mapping[str, str]
    descriptions: Mapping[str, str]
    sku: str = ""
    category: str = ""
    max_price_minor: int | None = None
    amount_minor: int | None = None
    rate_bp: int | None = None
    cost_minor: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    store_ids: tuple[int, ...] = ()
    level_codes: tuple[str, ...] = ()
    stock_total: int | None = None
    stock_per_day: int | None = None
    picture_url: str = ""
    claim_days: int = 30
    refund_on_expiry: bool = True


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One problem of a draft: the field as the API spells it, and a message to translate."""

    field: str
    message: str
    params: Mapping[str, int | str] | None = None


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" for c in text)


def _texts(name: str, texts: Mapping[str, str], limit: int, *,
           required: bool) -> list[Problem]:
    found: list[Problem] = []
    if required and not any(t.strip() for t in texts.values()):
        found.append(Problem(field=f"{name}.en", message=N_("a title in at least one "
                                                            "language is required")))
    for language, text in texts.items():
        if language not in LANGUAGES:
            found.append(Problem(field=f"{name}.{language}",
                                 message=N_("not a language of the catalogue")))
        elif len(text) > limit:
            found.append(Problem(field=f"{name}.{language}",
                                 message=N_("at most %(limit)s characters"),
                                 params={"limit": limit}))
        elif _has_control(text.replace("\r", "")):
            found.append(Problem(field=f"{name}.{language}",
                                 message=N_("must not contain control characters")))
    return found


def _kind_problems(draft: RewardDraft) -> list[Problem]:
    found: list[Problem] = []
    if draft.kind == RewardKind.PRODUCT and not (draft.sku.strip() or draft.category.strip()):
        found.append(Problem(field="sku", message=N_("name a SKU or a category")))
    if draft.kind == RewardKind.FIXED and not (draft.amount_minor or 0) > 0:
        found.append(Problem(field="amount_minor", message=N_("a fixed discount needs an "
                                                              "amount above zero")))
    if draft.kind == RewardKind.PERCENT and not 0 < (draft.rate_bp or 0) <= BASIS_POINTS:
        found.append(Problem(field="rate_bp", message=N_("must lie between 1 and "
                                                         "%(limit)s"),
                             params={"limit": BASIS_POINTS}))
    for name, value, limit in (("max_price_minor", draft.max_price_minor, MAX_AMOUNT_MINOR),
                               ("amount_minor", draft.amount_minor, MAX_AMOUNT_MINOR),
                               ("cost_minor", draft.cost_minor, MAX_AMOUNT_MINOR),
                               ("stock_total", draft.stock_total, MAX_STOCK),
                               ("stock_per_day", draft.stock_per_day, MAX_STOCK)):
        low = 1 if name.startswith("stock") else 0
        if value is not None and not low <= value <= limit:
            found.append(Problem(field=name, message=N_("must lie between %(low)s and "
                                                        "%(limit)s"),
                                 params={"low": low, "limit": limit}))
    return found


def problems(draft: RewardDraft) -> list[Problem]:
    """Every problem of ``draft``, each naming its field; empty when it is valid."""
    found: list[Problem] = []
    if draft.kind not in set(RewardKind):
        found.append(Problem(field="kind", message=N_("not a kind of reward")))
    if not 1 <= draft.points_cost <= MAX_POINTS:
        found.append(Problem(field="points_cost", message=N_("must lie between 1 and "
                                                             "%(limit)s"),
                             params={"limit": MAX_POINTS}))
    found.extend(_kind_problems(draft))
    for name, text, limit in (("sku", draft.sku, MAX_SKU_CHARS),
                              ("category", draft.category, MAX_CATEGORY_CHARS),
                              ("picture_url", draft.picture_url, MAX_URL_CHARS)):
        if len(text) > limit:
            found.append(Problem(field=name, message=N_("at most %(limit)s characters"),
                                 params={"limit": limit}))
    if draft.picture_url and not draft.picture_url.startswith(("https://", "http://")):
        found.append(Problem(field="picture_url", message=N_("an address starting with "
                                                             "https://")))
    naive = [name for name, value in (("valid_from", draft.valid_from),
                                      ("valid_until", draft.valid_until))
             if value is not None and value.tzinfo is None]
    found.extend(Problem(field=name, message=N_("needs a UTC offset")) for name in naive)
    if (not naive and draft.valid_from and draft.valid_until
            and draft.valid_until <= draft.valid_from):
        found.append(Problem(field="valid_until", message=N_("must come after the start")))
    if not 1 <= draft.claim_days <= MAX_CLAIM_DAYS:
        found.append(Problem(field="claim_days", message=N_("must lie between 1 and "
                                                            "%(limit)s"),
                             params={"limit": MAX_CLAIM_DAYS}))
    if len(draft.store_ids) > MAX_STORES:
        found.append(Problem(field="store_ids", message=N_("at most %(limit)s stores"),
                             params={"limit": MAX_STORES}))
    if len(draft.level_codes) > MAX_LEVELS or any(
            not 0 < len(code) <= MAX_LEVEL_CHARS for code in draft.level_codes):
        found.append(Problem(field="level_codes", message=N_("at most %(limit)s level codes"),
                             params={"limit": MAX_LEVELS}))
    found.extend(_texts("titles", draft.titles, MAX_TITLE_CHARS, required=True))
    found.extend(_texts("descriptions", draft.descriptions, MAX_DESCRIPTION_CHARS,
                        required=False))
    return found


# What a reward takes off a basket ---------------------------------------------------------------


class LineFacts(NamedTuple):
    """A basket line as a reward sees it: ``amount_minor`` is what is left to pay on it."""

    sku: str
    category: str
    unit_price_minor: int
    amount_minor: int


def _matches(terms: RewardTerms, line: LineFacts) -> bool:
    return ((not terms.sku or line.sku == terms.sku)
            and (not terms.category or line.category == terms.category)
            and line.amount_minor > 0)


def discount_by_line(terms: RewardTerms, lines: Sequence[LineFacts]) -> tuple[int, ...]:
    """What the reward takes off each line (zeros when no line matches, and for a perk).

    A product reward takes one unit off the dearest matching line (the first of equals),
    capped by ``max_price_minor`` and by what is left to pay on it; a fixed or percentage
    discount is spread over the matching lines by what is left on each."""
    zeros = [0] * len(lines)
    matching = [i for i, line in enumerate(lines) if _matches(terms, line)]
    if terms.kind is RewardKind.PERK or not matching:
        return tuple(zeros)
    if terms.kind is RewardKind.PRODUCT:
        best = max(matching, key=lambda i: (lines[i].unit_price_minor, -i))
        line = lines[best]
        cap = line.unit_price_minor
        if terms.max_price_minor is not None:
            cap = min(cap, terms.max_price_minor)
        zeros[best] = min(cap, line.amount_minor)
        return tuple(zeros)
    left = [lines[i].amount_minor for i in matching]
    if terms.kind is RewardKind.FIXED:
        total = min(terms.amount_minor or 0, sum(left))
    else:
        total = apply_rate(sum(left), terms.rate_bp or 0, Rounding.FLOOR)
    for i, part in zip(matching, allocate(total, left), strict=True):
        zeros[i] = part
    return tuple(zeros)


# Whether a member may claim it -------------------------------------------------------------------


class Refusal(StrEnum):
    """Why a member may not claim a reward now (each has a label in every language)."""

    INACTIVE = "inactive"
    NOT_YET = "not_yet"
    ENDED = "ended"
    STORE = "store"
    LEVEL = "level"
    POINTS = "points"
    NO_LINE = "no_line"
    STOCK = "stock"


@dataclass(frozen=True, kw_only=True)
class Claimable:
    """What decides whether a reward may be claimed, apart from its stock (counted in the
    database, atomically, when it is claimed)."""

    active: bool
    points_cost: int
    valid_from: datetime | None
    valid_until: datetime | None
    store_ids: tuple[int, ...]
    level_codes: tuple[str, ...]


def refusal(reward: Claimable, *, now: datetime, store_id: int | None,
            level_code: str | None, spendable_points: int) -> Refusal | None:
    """Why the member may not claim ``reward`` at ``now`` (in ``store_id``; ``None`` for a
    claim in advance, valid in any of its stores), or ``None`` when they may."""
    if not reward.active:
        return Refusal.INACTIVE
    if reward.valid_from is not None and now < reward.valid_from:
        return Refusal.NOT_YET
    if reward.valid_until is not None and now >= reward.valid_until:
        return Refusal.ENDED
    if store_id is not None and reward.store_ids and store_id not in reward.store_ids:
        return Refusal.STORE
    if reward.level_codes and level_code not in reward.level_codes:
        return Refusal.LEVEL
    if spendable_points < reward.points_cost:
        return Refusal.POINTS
    return None
