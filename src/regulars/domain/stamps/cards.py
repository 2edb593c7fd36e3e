"""Stamp cards: "buy 9, the 10th is free".

A card (:class:`StampCard`) names what adds a stamp — each whole item of the listed SKUs or
categories, or one stamp per visit — how many stamps fill it, and its reward: the cheapest
qualifying item free, or a fixed discount. The reward is granted either at the purchase whose
stamps complete the card (``completing``: the 10th coffee itself is free) or at the next
purchase (``next``: the completed card waits, and the next receipt takes the reward).

:func:`plan` is pure: given a card, the member's spendable stamps before the receipt and the
receipt's lines, it says how many stamps the receipt adds (per line, so that a refund knows
which to take back), how many cards it completes, the stamps that spends and the discount on
each line. Amounts are integers: stamps are whole, money is in minor units.

Rules, in the order they apply:

1. A line adds ``quantity_milli // 1000`` stamps (whole items only) when its SKU or category
   qualifies; a per-visit card adds one stamp on the receipt's first line.
2. ``completing``: the cards completed are ``(balance + added) // per_card``; ``next``: the
   cards that were complete before this receipt, ``balance // per_card``.
3. A free-item reward needs an item to be free: completions are capped by the qualifying
   whole items of the receipt (of any line for a per-visit card), the cheapest units first;
   a fixed discount is capped by what the qualifying lines leave to pay. A completion whose
   reward would be worth nothing is not taken (its stamps stay on the card).
4. Each completion spends ``per_card`` stamps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

ITEM_MILLI = 1000  # a whole item in thousandths
MAX_PER_CARD = 100
MAX_EXPIRY_DAYS = 3650


class Reward(StrEnum):
    FREE_ITEM = "free_item"
    DISCOUNT = "discount"


class GrantAt(StrEnum):
    COMPLETING = "completing"
    NEXT = "next"


@dataclass(frozen=True, kw_only=True)
class StampCard:
    """A stamp card as the business defined it. ``per_visit`` cards ignore ``skus`` and
    ``categories``; ``discount_minor`` is the fixed discount of a ``discount`` reward. A
    card is stored only when :func:`card_problems` finds nothing wrong with it."""

    id: int
    name: str
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    per_visit: bool = False
    per_card: int
    reward: Reward
    discount_minor: int = 0
    grant_at: GrantAt = GrantAt.COMPLETING
    expiry_days: int | None = None
    active: bool = True
    titles: Mapping[str, str] = field(default_factory=dict)

    def qualifies(self, sku: str, category: str) -> bool:
        return self.per_visit or sku in self.skus or (bool(category)
                                                      and category in self.categories)

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.name


def card_problems(card: StampCard) -> list[tuple[str, str]]:
    """What is wrong with a card's definition, as (field, problem); empty: nothing."""
    problems = []
    if not 2 <= card.per_card <= MAX_PER_CARD:
        problems.append(("per_card", "a card holds 2 to 100 stamps"))
    if not card.per_visit and not (card.skus or card.categories):
        problems.append(("skus", "a card needs SKUs or categories that qualify, or per visit"))
    if card.reward is Reward.DISCOUNT and card.discount_minor <= 0:
        problems.append(("discount_minor", "a discount reward needs a positive amount"))
    if card.reward is Reward.FREE_ITEM and card.discount_minor:
        problems.append(("discount_minor", "a free item reward has no discount amount"))
    if card.expiry_days is not None and not 1 <= card.expiry_days <= MAX_EXPIRY_DAYS:
        problems.append(("expiry_days", "stamps expire after 1 to 3650 days"))
    return problems


@dataclass(frozen=True, kw_only=True)
class StampLine:
    """A receipt line as a stamp card sees it: ``open_minor`` is what the line leaves to pay
    after the till's own discount (the most a reward may take off it)."""

    line_no: int
    sku: str
    category: str
    quantity_milli: int
    unit_price_minor: int
    open_minor: int


@dataclass(frozen=True, kw_only=True)
class StampPlan:
    """What one receipt does to one card: stamps added per line (basket order), cards
    completed and the stamps they spend, the discount per line, and the member's stamps
    after the receipt."""

    card: StampCard
    balance_before: int
    added_by_line: tuple[int, ...]
    completed: int
    discount_by_line: tuple[int, ...]

    @property
    def added(self) -> int:
        return sum(self.added_by_line)

    @property
    def spent(self) -> int:
        return self.completed * self.card.per_card

    @property
    def discount_minor(self) -> int:
        return sum(self.discount_by_line)

    @property
    def balance_after(self) -> int:
        return self.balance_before + self.added - self.spent

    @property
    def ready(self) -> int:
        """Completed cards waiting for the next purchase (``next`` cards only)."""
        if self.card.grant_at is GrantAt.NEXT:
            return self.balance_after // self.card.per_card
        return 0

    @property
    def on_card(self) -> int:
        """Stamps on the card being filled (the "7" of "7 of 10")."""
        return self.balance_after - self.ready * self.card.per_card

    @property
    def touched(self) -> bool:
        return bool(self.added or self.completed)


def stamps_by_line(card: StampCard, lines: Sequence[StampLine]) -> tuple[int, ...]:
    """Stamps each line adds (rule 1)."""
    if card.per_visit:
        return tuple(1 if i == 0 else 0 for i in range(len(lines)))
    return tuple(ln.quantity_milli // ITEM_MILLI if card.qualifies(ln.sku, ln.category) else 0
                 for ln in lines)


def plan(card: StampCard, balance: int, lines: Sequence[StampLine]) -> StampPlan:
    """What this receipt does to ``card`` for a member holding ``balance`` spendable stamps
    (rules 1–4 of the module docstring). Raises ``ValueError`` for a negative balance."""
    if balance < 0:
        raise ValueError("a stamp balance is never negative")
    added = stamps_by_line(card, lines)
    if card.grant_at is GrantAt.COMPLETING:
        wanted = (balance + sum(added)) // card.per_card
    else:
        wanted = balance // card.per_card
    discount = tuple(0 for _ in lines)
    completed = 0
    if wanted and card.active:
        completed, discount = _reward(card, wanted, lines)
    return StampPlan(card=card, balance_before=balance, added_by_line=added,
                     completed=completed, discount_by_line=discount)


def _reward(card: StampCard, wanted: int,
            lines: Sequence[StampLine]) -> tuple[int, tuple[int, ...]]:
    """(cards completed, discount per line) for up to ``wanted`` completions (rule 3)."""
    discount = [0] * len(lines)
    eligible = [i for i, ln in enumerate(lines)
                if card.qualifies(ln.sku, ln.category) and ln.open_minor > 0]
    if card.reward is Reward.DISCOUNT:
        left = wanted * card.discount_minor
        for i in eligible:
            take = min(left, lines[i].open_minor)
            discount[i], left = take, left - take
        if not any(discount):
            return 0, tuple(discount)
        return wanted, tuple(discount)
    units = sorted((lines[i].unit_price_minor, lines[i].line_no, i) for i in eligible
                   for _ in range(lines[i].quantity_milli // ITEM_MILLI))
    completed = 0
    for price, _, i in units:
        if completed == wanted:
            break
        take = min(price, lines[i].open_minor - discount[i])
        if take <= 0:
            continue
        discount[i] += take
        completed += 1
    return completed, tuple(discount)


def reversed_by_refund(card_per_visit: bool, added_by_line: Sequence[int],
                       quantities_milli: Sequence[int],
                       refunded_milli: Sequence[int]) -> int:
    """Stamps a receipt's refunds have taken back in all, after refunding
    ``refunded_milli`` of each line (cumulative): each whole item returned takes its stamp
    back; a per-visit stamp goes back when nothing of the receipt is left."""
    if card_per_visit:
        return sum(added_by_line) if all(
            r >= q for q, r in zip(quantities_milli, refunded_milli, strict=True)) else 0
    total = 0
    for added, quantity, refunded in zip(added_by_line, quantities_milli, refunded_milli,
                                         strict=True):
        kept = (quantity - refunded) // ITEM_MILLI
        total += max(0, added - kept)
    return total
