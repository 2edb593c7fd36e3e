"""Replaying past receipts under a program: what each receipt would have given, summed per
program, store and level, and what the points issued become (redeemed, expired, still owed).

Pure. Each receipt is priced by :func:`regulars.domain.checkout.engine.evaluate`, the function
the till's quote and commit run, with the level the member held at that moment under the
replayed program (:class:`SpendTracker` keeps each member's qualifying spend over the
program's level window as the receipts go by). Nobody spends points in a replay: what members
would redeem comes from a :class:`RedemptionModel` fitted on the tenant's own history
(:func:`fit_redemption`) and applied to the points issued per day (:func:`project`).

Qualifying spend is what members actually paid (the receipt as recorded, less refunds), so a
level reached in the replay is the level the quote would have found on that day.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from regulars.domain.checkout.engine import evaluate
from regulars.domain.checkout.quote import BasketLine, MemberContext, Quote
from regulars.domain.money import BASIS_POINTS, Rounding, divide
from regulars.domain.program.program import (
    LevelStatus,
    LevelWindow,
    Program,
    SpendWindows,
    level_status,
    window_starts,
)
from regulars.domain.promotions.promotions import Offers

ANONYMOUS = "-"
"""The level key of receipts without a member."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplayReceipt:
    """One past receipt as the replay reads it: its basket as sold (before any discount the
    loyalty program or a promotion gave), the member (``None``: anonymous), the store, the
    tenant's local time (naive) and day, and what the member actually paid towards
    levels."""

    receipt_id: int
    member_id: int | None
    store_id: int
    day: date
    local: datetime
    lines: tuple[BasketLine, ...]
    qualifying_minor: int
    basket_key: tuple[object, ...] = ()
    """The lines' (sku, category, quantity, unit price), for remembering what the engine
    gave the same basket at the same level (empty: never remembered)."""


@dataclass(slots=True)
class _MemberSpend:
    lifetime_minor: int = 0
    rolling: deque[tuple[date, int]] = field(default_factory=deque)
    rolling_minor: int = 0
    by_year: dict[int, int] = field(default_factory=dict)
    floor_code: str | None = None


class SpendTracker:
    """Each member's qualifying spend as the replay goes by, over the windows ``program``'s
    levels look at (the others stay at zero: :func:`level_status` does not read them).
    Receipts must be added in time order; memory is one running total per member, plus the
    days of the last year for a rolling window."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._members: dict[int, _MemberSpend] = {}

    def start(self, member_id: int, *, lifetime_minor: int,
              days: list[tuple[date, int]]) -> None:
        """What ``member_id`` had spent before the replay: the lifetime total and the
        spend per local day of the last two calendar years (any order)."""
        spend = _MemberSpend(lifetime_minor=lifetime_minor)
        for day, amount in sorted(days):
            spend.rolling.append((day, amount))
            spend.rolling_minor += amount
            spend.by_year[day.year] = spend.by_year.get(day.year, 0) + amount
        self._members[member_id] = spend

    def status(self, member_id: int, day: date) -> LevelStatus:
        """The level ``member_id`` holds on ``day`` under the program, before the receipt."""
        spend = self._members.get(member_id)
        if spend is None:
            spend = self._members[member_id] = _MemberSpend()
        rolling_day, _, _ = window_starts(day)
        while spend.rolling and spend.rolling[0][0] < rolling_day:
            spend.rolling_minor -= spend.rolling.popleft()[1]
        windows = SpendWindows(lifetime_minor=spend.lifetime_minor,
                               rolling_12_months_minor=spend.rolling_minor,
                               this_year_minor=spend.by_year.get(day.year, 0),
                               last_year_minor=spend.by_year.get(day.year - 1, 0))
        status = level_status(self.program, windows, spend.floor_code)
        floor = self.program.level_by_code(spend.floor_code)
        if floor is None or status.level.threshold_minor > floor.threshold_minor:
            spend.floor_code = status.level.code
        return status

    def add(self, member_id: int, day: date, amount_minor: int) -> None:
        spend = self._members.setdefault(member_id, _MemberSpend())
        spend.lifetime_minor += amount_minor
        if self.program.level_window is LevelWindow.ROLLING_12_MONTHS:
            spend.rolling.append((day, amount_minor))
            spend.rolling_minor += amount_minor
        elif self.program.level_window is LevelWindow.CALENDAR_YEAR:
            spend.by_year[day.year] = spend.by_year.get(day.year, 0) + amount_minor

    def levels(self, day: date) -> dict[str, int]:
        """Members per level code on ``day``."""
        counts: dict[str, int] = {}
        for member_id in list(self._members):
            code = self.status(member_id, day).level.code
            counts[code] = counts.get(code, 0) + 1
        return counts


def price_receipt(program: Program, receipt: ReplayReceipt, status: LevelStatus | None,
                  offers: Offers | None = None) -> Quote:
    """What the till's engine gives ``receipt`` for a member at ``status`` (``None``:
    anonymous) who spends no points: the quote a till would have got."""
    member = None if status is None else MemberContext(level=status, spendable_points=0)
    return evaluate(program, receipt.lines, member, offers=offers)


@dataclass(slots=True)
class Totals:
    """Running sums of one program's replay over a group of receipts (all, a store, a
    level)."""

    receipts: int = 0
    gross_minor: int = 0
    discount_minor: int = 0
    paid_minor: int = 0
    points_issued: int = 0

    def add(self, quote: Quote) -> None:
        self.receipts += 1
        self.gross_minor += quote.gross_minor
        self.discount_minor += quote.discount_minor
        self.paid_minor += quote.paid_minor
        self.points_issued += quote.points_earned

    def merge(self, other: Totals) -> None:
        self.receipts += other.receipts
        self.gross_minor += other.gross_minor
        self.discount_minor += other.discount_minor
        self.paid_minor += other.paid_minor
        self.points_issued += other.points_issued


@dataclass(slots=True)
class Tally:
    """One program's replay: totals overall, per store and per level the member held, and
    the points issued per day (for :func:`project`)."""

    total: Totals = field(default_factory=Totals)
    by_store: dict[int, Totals] = field(default_factory=dict)
    by_level: dict[str, Totals] = field(default_factory=dict)
    issued_by_day: dict[date, int] = field(default_factory=dict)

    def add(self, receipt: ReplayReceipt, quote: Quote) -> None:
        self.total.add(quote)
        store = self.by_store.get(receipt.store_id)
        if store is None:
            store = self.by_store[receipt.store_id] = Totals()
        store.add(quote)
        key = quote.level_code or ANONYMOUS
        level = self.by_level.get(key)
        if level is None:
            level = self.by_level[key] = Totals()
        level.add(quote)
        if quote.points_earned:
            self.issued_by_day[receipt.day] = (self.issued_by_day.get(receipt.day, 0)
                                               + quote.points_earned)

    def merge(self, other: Tally) -> None:
        """Add ``other`` (a replay of other receipts) into this one."""
        self.total.merge(other.total)
        for store_id, totals in other.by_store.items():
            self.by_store.setdefault(store_id, Totals()).merge(totals)
        for code, totals in other.by_level.items():
            self.by_level.setdefault(code, Totals()).merge(totals)
        for day, points in other.issued_by_day.items():
            self.issued_by_day[day] = self.issued_by_day.get(day, 0) + points


OffersFor = Callable[["ReplayReceipt", LevelStatus | None], Offers | None]
"""The draft promotions a receipt is offered, given the level its member holds."""


MAX_REMEMBERED = 100_000
"""Quotes a replay remembers per program before it starts afresh (bounded memory)."""


class Replay:
    """Both programs over the same receipts: ``draft`` (with its draft promotions) and
    ``current``. Feed receipts in time order with :meth:`add`.

    The engine is pure and nobody spends points in a replay, so the same basket at the same
    level gets the same figures: each program's quotes are remembered by (level, basket)
    (not the draft's when it has promotions, whose conditions read the store and the time).
    """

    def __init__(self, draft: Program, current: Program, *,
                 draft_offers: OffersFor | None = None) -> None:
        self.draft, self.current = Tally(), Tally()
        self.draft_spend, self.current_spend = SpendTracker(draft), SpendTracker(current)
        self._programs = (draft, current)
        self._offers = draft_offers
        self._remembered: tuple[dict[tuple[object, ...], Quote], ...] = ({}, {})
        self.remembered_hits = 0

    def _price(self, which: int, receipt: ReplayReceipt, status: LevelStatus | None,
               offers: Offers | None) -> Quote:
        if offers is not None or not receipt.basket_key:
            return price_receipt(self._programs[which], receipt, status, offers)
        known = self._remembered[which]
        key = (None if status is None else status.level.code, receipt.basket_key)
        found = known.get(key)
        if found is not None:
            self.remembered_hits += 1
            return found
        if len(known) >= MAX_REMEMBERED:
            known.clear()
        found = known[key] = price_receipt(self._programs[which], receipt, status)
        return found

    def add(self, receipt: ReplayReceipt) -> tuple[Quote, Quote]:
        """Price ``receipt`` under both programs; the draft's quote and the current one's."""
        member_id = receipt.member_id
        draft_status = current_status = None
        if member_id is not None:
            draft_status = self.draft_spend.status(member_id, receipt.day)
            current_status = self.current_spend.status(member_id, receipt.day)
        offers = None if self._offers is None else self._offers(receipt, draft_status)
        draft = self._price(0, receipt, draft_status, offers)
        current = self._price(1, receipt, current_status, None)
        self.draft.add(receipt, draft)
        self.current.add(receipt, current)
        if member_id is not None and receipt.qualifying_minor:
            self.draft_spend.add(member_id, receipt.day, receipt.qualifying_minor)
            self.current_spend.add(member_id, receipt.day, receipt.qualifying_minor)
        return draft, current


# What the points issued become ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RedemptionModel:
    """How the tenant's members use their points, fitted on its own history
    (:func:`fit_redemption`): the share of points issued that are ever redeemed, and how
    long after issue, on average, they are."""

    redeemed_share_bp: int
    delay_days: int
    issued_points: int
    """The points the model was fitted on (0: no history; the defaults were used)."""


DEFAULT_MODEL = RedemptionModel(redeemed_share_bp=5_000, delay_days=60, issued_points=0)


def fit_redemption(*, issued_points: int, redeemed_points: int, outstanding_points: int,
                   redeemed_last_year_points: int) -> RedemptionModel:
    """The redeemed share is points redeemed over points issued, all history; the delay is
    Little's law: points outstanding over points redeemed per day (last 365 days), the time a
    point waits on average. Without history, :data:`DEFAULT_MODEL` (half, after 60 days)."""
    if issued_points <= 0:
        return DEFAULT_MODEL
    share = min(BASIS_POINTS, divide(redeemed_points * BASIS_POINTS, issued_points,
                                     Rounding.HALF_UP))
    if redeemed_last_year_points > 0:
        delay = divide(outstanding_points * 365, redeemed_last_year_points, Rounding.HALF_UP)
    else:
        delay = DEFAULT_MODEL.delay_days
    return RedemptionModel(redeemed_share_bp=share, delay_days=max(1, min(delay, 3_650)),
                           issued_points=issued_points)


@dataclass(frozen=True, kw_only=True)
class Projection:
    """What the points issued in the period would have become by its last day, by the
    model: redeemed, expired, still outstanding (the liability), and the breakage expected
    of them in the end (the points never redeemed)."""

    issued_points: int
    redeemed_points: int
    expired_points: int
    outstanding_points: int
    breakage_points: int
    point_value_minor: int

    @property
    def redeemed_minor(self) -> int:
        return self.redeemed_points * self.point_value_minor

    @property
    def liability_minor(self) -> int:
        return self.outstanding_points * self.point_value_minor


def project(issued_by_day: dict[date, int], model: RedemptionModel, program: Program,
            last_day: date) -> Projection:
    """Points issued on each day are redeemed (the model's share) ``delay_days`` later, or
    before they expire if the program's expiry comes first; the rest expire
    ``expire_after_days`` after issue (never, without expiry). What has not happened by
    ``last_day`` is outstanding."""
    expiry = program.expire_after_days
    wait = model.delay_days if expiry is None else min(model.delay_days, expiry - 1)
    redeemed = expired = issued = breakage = 0
    for day, points in issued_by_day.items():
        issued += points
        will_redeem = divide(points * model.redeemed_share_bp, BASIS_POINTS, Rounding.HALF_UP)
        breakage += points - will_redeem
        if day + timedelta(days=wait) <= last_day:
            redeemed += will_redeem
        if expiry is not None and day + timedelta(days=expiry) <= last_day:
            expired += points - will_redeem
    return Projection(issued_points=issued, redeemed_points=redeemed, expired_points=expired,
                      outstanding_points=issued - redeemed - expired, breakage_points=breakage,
                      point_value_minor=program.point_value_minor)


def reward_cost_minor(totals: Totals, projection: Projection) -> int:
    """What the program gives away on the receipts: its discounts and the points the model
    says will be redeemed, at the point's value (breakage costs nothing)."""
    will_redeem = projection.issued_points - projection.breakage_points
    return totals.discount_minor + will_redeem * projection.point_value_minor
