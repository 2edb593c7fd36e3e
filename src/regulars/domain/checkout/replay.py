"""Replaying past receipts under a program: what each receipt would have given, summed per
program, store and level, and what the points issued become (redeemed, expired, still owed).

Pure. Each receipt is priced by :func:`regulars.domain.checkout.engine.evaluate`, the function
the till's quote and commit run, and a member's receipt gets the cashback the till would credit
(:func:`regulars.domain.stored_value.cashback.of_member_sale`; nothing is paid from a wallet
or by goods accounts in a replay), with the level the member held at that moment under the
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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from regulars.domain.checkout.engine import evaluate
from regulars.domain.checkout.quote import BasketLine, MemberContext, Quote
from regulars.domain.money import BASIS_POINTS, Rounding, divide
from regulars.domain.program.program import (
    DowngradePolicy,
    LevelStatus,
    LevelWindow,
    Program,
    SpendWindows,
    level_status,
    window_starts,
)
from regulars.domain.promotions.promotions import Candidate, Offers, Promotion
from regulars.domain.stored_value.cashback import of_member_sale

ANONYMOUS = "-"
"""The level key of receipts without a member."""

UNREACHABLE = 1 << 62
"""A spend no member reaches."""


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
    basket_key: tuple[tuple[str, str, int, int], ...] = ()
    """The lines' (sku, category, quantity, unit price)."""


@dataclass(slots=True)
class _MemberSpend:
    lifetime_minor: int = 0
    rolling: deque[tuple[date, int]] = field(default_factory=deque)
    rolling_minor: int = 0
    by_year: dict[int, int] = field(default_factory=dict)
    floor_code: str | None = None
    known: LevelStatus | None = None
    """The status last found: it holds while the window's spend stays in
    ``[known_from, known_until)`` (and, under a calendar window, the year stays
    ``known_year``)."""
    known_from: int = 0
    known_until: int = 0
    known_year: int = 0


class SpendTracker:
    """Each member's qualifying spend as the replay goes by, over the windows ``program``'s
    levels look at (the others stay at zero: :func:`level_status` does not read them).
    Receipts must be added in time order; memory is one running total per member, plus the
    days of the last year for a rolling window (summed as they come and go) or the spend per
    calendar year."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._members: dict[int, _MemberSpend] = {}
        self._window = program.level_window
        self._never = program.downgrade_policy is DowngradePolicy.NEVER
        self._rolling_for = (date.min, date.min)
        """(a day, the first day of the rolling window that ends on it)."""

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

    def _window_minor(self, spend: _MemberSpend, day: date) -> int:
        """The spend over the program's window on ``day`` (the rolling window's days before
        it dropped)."""
        if self._window is LevelWindow.LIFETIME:
            return spend.lifetime_minor
        if self._window is LevelWindow.CALENDAR_YEAR:
            return spend.by_year.get(day.year, 0)
        if self._rolling_for[0] != day:
            self._rolling_for = (day, window_starts(day)[0])
        rolling_day = self._rolling_for[1]
        while spend.rolling and spend.rolling[0][0] < rolling_day:
            spend.rolling_minor -= spend.rolling.popleft()[1]
        return spend.rolling_minor

    def status(self, member_id: int, day: date) -> LevelStatus:
        """The level ``member_id`` holds on ``day`` under the program, before the receipt.

        The level moves only when the window's spend crosses a threshold (or, under a
        calendar window, the year turns), so the status found last is given again while the
        spend stays between the bounds it holds for (its ``window_spend_minor`` and
        ``to_next_minor`` then tell of that moment: the engine's figures read only the
        level)."""
        spend = self._members.get(member_id)
        if spend is None:
            spend = self._members[member_id] = _MemberSpend()
        window = self._window_minor(spend, day)
        if (spend.known is not None and spend.known_from <= window < spend.known_until
                and spend.known_year in (0, day.year)):
            return spend.known
        windows = SpendWindows(lifetime_minor=spend.lifetime_minor,
                               rolling_12_months_minor=spend.rolling_minor,
                               this_year_minor=spend.by_year.get(day.year, 0),
                               last_year_minor=spend.by_year.get(day.year - 1, 0))
        status = level_status(self.program, windows, spend.floor_code)
        floor = self.program.level_by_code(spend.floor_code)
        if floor is None or status.level.threshold_minor > floor.threshold_minor:
            spend.floor_code = status.level.code
        self._remember(spend, status, windows, day)
        return status

    def _remember(self, spend: _MemberSpend, status: LevelStatus, windows: SpendWindows,
                  day: date) -> None:
        """Keep ``status`` with the window's spends it holds for: up to the next level's
        threshold, and down to the level's own unless something besides the window's spend
        holds the member there (the floor under ``never``, last year's level under a calendar
        window) or it is the first level."""
        program, level, nxt = self.program, status.level, status.next_level
        held = level is program.levels[0]
        if self._never and spend.floor_code == level.code:
            held = True
        if self._window is LevelWindow.CALENDAR_YEAR:
            held = held or program.level_for_spend(windows.last_year_minor) is level
        spend.known = status
        spend.known_from = -UNREACHABLE if held else level.threshold_minor
        spend.known_until = UNREACHABLE if nxt is None else nxt.threshold_minor
        spend.known_year = day.year if self._window is LevelWindow.CALENDAR_YEAR else 0

    def add(self, member_id: int, day: date, amount_minor: int) -> None:
        spend = self._members.get(member_id)
        if spend is None:
            spend = self._members[member_id] = _MemberSpend()
        spend.lifetime_minor += amount_minor
        if self._window is LevelWindow.ROLLING_12_MONTHS:
            spend.rolling.append((day, amount_minor))
            spend.rolling_minor += amount_minor
        elif self._window is LevelWindow.CALENDAR_YEAR:
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
    cashback_minor: int = 0
    """The money members' receipts would have returned into their wallets."""

    def merge(self, other: Totals) -> None:
        self.receipts += other.receipts
        self.gross_minor += other.gross_minor
        self.discount_minor += other.discount_minor
        self.paid_minor += other.paid_minor
        self.points_issued += other.points_issued
        self.cashback_minor += other.cashback_minor


@dataclass(slots=True)
class Tally:
    """One program's replay: totals overall, per store and per level the member held, and
    the points issued per day (for :func:`project`)."""

    total: Totals = field(default_factory=Totals)
    by_store: dict[int, Totals] = field(default_factory=dict)
    by_level: dict[str, Totals] = field(default_factory=dict)
    issued_by_day: dict[date, int] = field(default_factory=dict)
    by_segment: dict[int, Totals] = field(default_factory=dict)
    """Per segment the member was in (a receipt counts in each of its member's)."""

    def merge(self, other: Tally) -> None:
        """Add ``other`` (a replay of other receipts) into this one."""
        self.total.merge(other.total)
        for store_id, totals in other.by_store.items():
            self.by_store.setdefault(store_id, Totals()).merge(totals)
        for code, totals in other.by_level.items():
            self.by_level.setdefault(code, Totals()).merge(totals)
        for day, points in other.issued_by_day.items():
            self.issued_by_day[day] = self.issued_by_day.get(day, 0) + points
        for segment_id, totals in other.by_segment.items():
            self.by_segment.setdefault(segment_id, Totals()).merge(totals)


ActiveFor = Callable[[int | None, int, datetime, "Basket", LevelStatus | None],
                    tuple[Promotion, ...]]
"""The draft promotions that apply to a receipt (their condition met, running at its store
and local time), given its member (``None``: anonymous), store, local time, basket and the
level its member holds under the draft (``None``: anonymous)."""


MAX_REMEMBERED = 100_000
"""Baskets a replay remembers before it sums up and starts afresh (bounded memory)."""

Basket = tuple[tuple[str, str, int, int], ...]
"""A receipt's lines as (sku, category, quantity in thousandths, unit price)."""

QuoteFigures = tuple[int, int, int, int, str, int]
"""What a quote gave a receipt: gross, discount, paid, points earned, the level key, and the
cashback the till would credit (none without a member)."""

DraftKey = str | None | tuple[str | None, tuple[int, ...]]
"""What the draft's figures of a basket depend on: the level code (``None``: anonymous), and
the ids of the draft promotions that apply when there are any."""


def basket_lines(basket: Basket) -> tuple[BasketLine, ...]:
    return tuple([BasketLine(sku=sku, category=category, quantity_milli=quantity,
                             unit_price_minor=price)
                  for sku, category, quantity, price in basket])


def _figures(program: Program, basket: Basket, status: LevelStatus | None,
             offers: Offers | None = None) -> QuoteFigures:
    member = None if status is None else MemberContext(level=status, spendable_points=0)
    quote = evaluate(program, basket_lines(basket), member, offers=offers)
    cashback = None if member is None else of_member_sale(program, quote)
    return (quote.gross_minor, quote.discount_minor, quote.paid_minor, quote.points_earned,
            quote.level_code or ANONYMOUS, 0 if cashback is None else cashback.total_minor)


class Replay:
    """Both programs over the same receipts: ``draft`` (with its draft promotions, those
    ``draft_active`` says apply to each receipt) and ``current``. Feed receipts in time
    order, each day begun with :meth:`begin_day`, with :meth:`add_basket`; then
    :meth:`settle` and read the tallies ``draft`` and ``current``.

    The engine is pure, nobody spends points in a replay and draft promotions have no
    budgets or limits here, so the same basket at the same levels with the same draft
    promotions applying gets the same figures (the engine reads a receipt's store and time
    only to know which promotions run, and that is in the key): each (draft level and
    promotions, current level, basket) is priced once under both programs and numbered, and
    receipts are counted per (store, segments, number); the points of the day being
    replayed are summed apart."""

    def __init__(self, draft: Program, current: Program, *,
                 draft_active: ActiveFor | None = None,
                 segments: dict[int, frozenset[int]] | None = None) -> None:
        self.draft, self.current = Tally(), Tally()
        # Each member's segments as one number: a receipt is counted per (store, segments,
        # basket), 0 being none (and anonymous).
        self._groups: list[tuple[int, ...]] = [()]
        self._group_of: dict[int, int] = {}
        numbered: dict[tuple[int, ...], int] = {(): 0}
        for member_id, ids in _segments_by_member(segments or {}).items():
            found = numbered.get(ids)
            if found is None:
                found = numbered[ids] = len(self._groups)
                self._groups.append(ids)
            self._group_of[member_id] = found
        self.draft_spend, self.current_spend = SpendTracker(draft), SpendTracker(current)
        self.active = draft_active
        self._numbers: dict[tuple[DraftKey, str | None, Basket], int] = {}
        self._figures: list[tuple[QuoteFigures, QuoteFigures]] = []
        self._points: list[tuple[int, int]] = []
        self._counts: dict[tuple[int, int, int], int] = {}
        self._day: date | None = None
        self._draft_points = self._current_points = 0

    def begin_day(self, day: date) -> None:
        for points, tally in ((self._draft_points, self.draft),
                              (self._current_points, self.current)):
            if points:
                assert self._day is not None
                tally.issued_by_day[self._day] = tally.issued_by_day.get(self._day, 0) + points
        self._day, self._draft_points, self._current_points = day, 0, 0

    def _number(self, key: tuple[DraftKey, str | None, Basket],
                statuses: tuple[LevelStatus | None, LevelStatus | None],
                offers: Offers | None) -> int:
        """The number of ``key``, priced first (the draft with ``offers``)."""
        if len(self._numbers) >= MAX_REMEMBERED:
            self.settle()
        draft = _figures(self.draft_spend.program, key[2], statuses[0], offers)
        current = _figures(self.current_spend.program, key[2], statuses[1])
        found = self._numbers[key] = len(self._figures)
        self._figures.append((draft, current))
        self._points.append((draft[3], current[3]))
        return found

    def priced(self, number: int) -> tuple[QuoteFigures, QuoteFigures]:
        """The draft's figures and the current program's of the basket numbered ``number``
        (as :meth:`add_basket` gave it, before any :meth:`settle`)."""
        return self._figures[number]

    def add_basket(self, member_id: int | None, store_id: int, day: date, basket: Basket,
                   qualifying_minor: int, local: datetime | None = None) -> int:
        """One receipt of ``day`` (the day begun last; ``local``: its local time, needed
        with draft promotions); the number its figures have (see :meth:`priced`)."""
        group = 0
        draft_code = current_code = None
        statuses: tuple[LevelStatus | None, LevelStatus | None] = (None, None)
        if member_id is not None:
            group = self._group_of.get(member_id, 0)
            statuses = (self.draft_spend.status(member_id, day),
                        self.current_spend.status(member_id, day))
            draft_code, current_code = statuses[0].level.code, statuses[1].level.code
            if qualifying_minor:
                self.draft_spend.add(member_id, day, qualifying_minor)
                self.current_spend.add(member_id, day, qualifying_minor)
        draft_key: DraftKey = draft_code
        chosen: tuple[Promotion, ...] = ()
        if self.active is not None:
            assert local is not None, "draft promotions need the receipt's local time"
            chosen = self.active(member_id, store_id, local, basket, statuses[0])
            if chosen:
                draft_key = (draft_code, tuple([p.id for p in chosen]))
        key = (draft_key, current_code, basket)
        number = self._numbers.get(key)
        if number is None:
            offers = None if not chosen else Offers(
                candidates=tuple([Candidate(promotion=p, condition_met=True) for p in chosen]),
                store_id=store_id, local_now=local or datetime.min)
            number = self._number(key, statuses, offers)
        counted = (store_id, group, number)
        self._counts[counted] = self._counts.get(counted, 0) + 1
        draft_points, current_points = self._points[number]
        self._draft_points += draft_points
        self._current_points += current_points
        return number

    def settle(self) -> None:
        """Add what was counted into ``draft`` and ``current`` and forget the baskets."""
        for (store_id, group, number), count in self._counts.items():
            for figures, tally in zip(self._figures[number], (self.draft, self.current),
                                      strict=True):
                _count(tally, store_id, self._groups[group], figures, count)
        self._numbers, self._figures, self._points, self._counts = {}, [], [], {}
        if self._day is not None:
            self.begin_day(self._day)


def _segments_by_member(segments: dict[int, frozenset[int]]) -> dict[int, tuple[int, ...]]:
    found: dict[int, list[int]] = {}
    for segment_id in sorted(segments):
        for member_id in segments[segment_id]:
            found.setdefault(member_id, []).append(segment_id)
    return {member_id: tuple(ids) for member_id, ids in found.items()}


def _count(tally: Tally, store_id: int, segments: tuple[int, ...], figures: QuoteFigures,
           count: int) -> None:
    gross, discount, paid, points, level, cashback = figures
    for totals in (tally.total, tally.by_store.setdefault(store_id, Totals()),
                   tally.by_level.setdefault(level, Totals()),
                   *[tally.by_segment.setdefault(s, Totals()) for s in segments]):
        totals.receipts += count
        totals.gross_minor += gross * count
        totals.discount_minor += discount * count
        totals.paid_minor += paid * count
        totals.points_issued += points * count
        totals.cashback_minor += cashback * count


# What the points issued become ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RedemptionModel:
    """How the tenant's members use their points, fitted on its own history
    (:func:`fit_redemption`): the share of points issued that are ever redeemed, and how
    long after issue, on average, they are; or the stated defaults while that history is too
    thin to tell (``default_reason``)."""

    redeemed_share_bp: int
    delay_days: int
    issued_points: int
    """The points the history holds (issued on receipts)."""
    history_days: int = 0
    """The days since the history's first receipt."""
    default_reason: str | None = None
    """Why the defaults were kept instead of a fit: ``no_points`` (nothing issued yet),
    ``short_history`` (fewer than :data:`MIN_HISTORY_DAYS` days) or ``few_points`` (fewer
    than :data:`MIN_HISTORY_POINTS` points); ``None``: fitted."""

    @property
    def fitted(self) -> bool:
        """Fitted on the history (a run saved before the reason was kept: when it had
        points, since the defaults were then kept with none)."""
        return self.default_reason is None and self.issued_points > 0


DEFAULT_MODEL = RedemptionModel(redeemed_share_bp=5_000, delay_days=60, issued_points=0,
                                default_reason="no_points")

MIN_HISTORY_DAYS = 90
"""Receipts over fewer days than this tell nothing of how points are used: a new business's
first redemptions would read as every point redeemed, after a wait of years."""

MIN_HISTORY_POINTS = 1_000
"""Fewer points issued than this tell nothing either: a handful of redemptions would swing
the share from nothing to everything."""


def _default_reason(issued_points: int, history_days: int) -> str | None:
    if issued_points <= 0:
        return "no_points"
    if history_days < MIN_HISTORY_DAYS:
        return "short_history"
    if issued_points < MIN_HISTORY_POINTS:
        return "few_points"
    return None


def fit_redemption(*, issued_points: int, redeemed_points: int, outstanding_points: int,
                   redeemed_last_year_points: int, history_days: int) -> RedemptionModel:
    """The redeemed share is points redeemed over points issued, all history; the delay is
    Little's law: points outstanding over points redeemed per day (last 365 days), the time a
    point waits on average. Without history (no points issued, receipts over fewer than
    :data:`MIN_HISTORY_DAYS` days, or fewer than :data:`MIN_HISTORY_POINTS` points issued),
    :data:`DEFAULT_MODEL`'s share and delay (half, after 60 days), with the reason."""
    reason = _default_reason(issued_points, history_days)
    if reason is not None:
        return replace(DEFAULT_MODEL, issued_points=max(0, issued_points),
                       history_days=max(0, history_days), default_reason=reason)
    share = min(BASIS_POINTS, divide(redeemed_points * BASIS_POINTS, issued_points,
                                     Rounding.HALF_UP))
    if redeemed_last_year_points > 0:
        delay = divide(outstanding_points * 365, redeemed_last_year_points, Rounding.HALF_UP)
    else:
        delay = DEFAULT_MODEL.delay_days
    return RedemptionModel(redeemed_share_bp=share, delay_days=max(1, min(delay, 3_650)),
                           issued_points=issued_points, history_days=history_days)


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
    """What the program gives away on the receipts: its discounts, its cashback (money in the
    wallet: no breakage) and the points the model says will be redeemed, at the point's value
    (breakage costs nothing)."""
    will_redeem = projection.issued_points - projection.breakage_points
    return (totals.discount_minor + totals.cashback_minor
            + will_redeem * projection.point_value_minor)
