"""Cashier own-card fraud: a cashier who puts customers' purchases on their own or a friend's
card. Each (cashier, member) pair seen on the scanned receipts gets a score from 0 to 100,
the sum of the points of its signals (each capped); a pair at or above the tenant's
``flag_score`` is flagged, with the signals as its evidence.

The signals, and why each is suspicious:

- ``concentration``: the member's receipts in a store fall on this cashier far more often than
  the cashier's share of that store's identified receipts predicts. The points grow with the
  surprise, ``-log10`` of the binomial tail probability of seeing that many or more.
- ``burst``: the member is identified on more receipts by this cashier within a short window
  than one customer buys (a card held behind the till and used for strangers).
- ``staff_contact``: the member's phone or e-mail is a staff member's.
- ``typed``: identification was typed rather than scanned on at least ``typed_share_percent``
  of the pair's receipts where the till says how, far more often than in the store (a card
  that is not there).
- ``bonus``: the pair's receipts fall on double-points moments far more often than the store's.
- ``adjustment``: the cashier added points by hand to a member they serve; more for each
  further addition.

One signal alone stays under the default flag score: an honest regular who always goes to the
same cashier, or a cashier who shops in their own store, is not flagged without a second sign.

Everything here is pure: the caller passes the receipts and adjustments it read.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

MAX_SCORE = 100
MAX_SURPRISE = 12.0
"""Tail probabilities below 1e-12 count as 1e-12: the points are capped long before."""


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """A tenant's settings for the scan; each bounded by :data:`LIMITS`."""

    flag_score: int = 50
    """A pair at or above this score (0 to 100) is flagged."""
    min_pair_receipts: int = 4
    """Fewer receipts than this together, and a pair is only scored on adjustments and on a
    staff member's contact details."""
    burst_window_minutes: int = 120
    burst_receipts: int = 2
    """More receipts than this for one member by one cashier within the window is a burst."""
    typed_share_percent: int = 50
    """Typed on at least this share of the pair's receipts where the till said how."""


LIMITS: dict[str, tuple[int, int]] = {
    "flag_score": (1, 100), "min_pair_receipts": (2, 1000),
    "burst_window_minutes": (5, 7 * 24 * 60), "burst_receipts": (1, 1000),
    "typed_share_percent": (1, 100),
}


def check_thresholds(thresholds: Thresholds) -> list[tuple[str, int, int]]:
    """The (field, low, high) of every setting out of its bounds; empty when all are fine."""
    return [(name, low, high) for name, (low, high) in LIMITS.items()
            if not low <= getattr(thresholds, name) <= high]


@dataclass(frozen=True, kw_only=True)
class ReceiptFact:
    """One identified receipt with a cashier, as the scan sees it."""

    staff_id: int
    member_id: int
    store_id: int
    occurred_at: datetime
    typed: bool | None
    """True: identification typed; False: scanned; None: the till did not say."""
    bonus: bool
    """A promotion gave points on it (a double-points moment)."""


class PairReceipts(NamedTuple):
    """A cashier's identified receipts for one member in one store, counted: the scan reads
    one of these a (cashier, member, store), not a row a receipt."""

    staff_id: int
    member_id: int
    store_id: int
    receipts: int
    bonus: int
    """Receipts a promotion gave points on."""
    typed: int
    """Receipts whose identification was typed."""
    told: int
    """Receipts where the till said how the member was identified."""
    times: tuple[datetime, ...]
    """When each was made."""


@dataclass(frozen=True, kw_only=True)
class Adjustment:
    """Points a staff member added (or took) by hand on a member's account."""

    staff_id: int
    member_id: int
    points: int


@dataclass(frozen=True, kw_only=True)
class Signal:
    code: str
    points: int
    params: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PairScore:
    staff_id: int
    member_id: int
    score: int
    receipts: int
    signals: tuple[Signal, ...]


# Points per signal: the cap, and for concentration and bonus the points per unit of surprise.
CONCENTRATION_POINTS_PER_SURPRISE, CONCENTRATION_CAP = 6, 40
BURST_POINTS_PER_EXTRA, BURST_CAP = 10, 30
STAFF_CONTACT_POINTS = 35
TYPED_POINTS_PER_SURPRISE, TYPED_CAP = 4, 15
BONUS_POINTS_PER_SURPRISE, BONUS_CAP = 4, 15
ADJUSTMENT_POINTS, ADJUSTMENT_POINTS_PER_MORE, ADJUSTMENT_CAP = 25, 10, 45
SURPRISE_FLOOR, BONUS_SURPRISE_FLOOR = 2.0, 3.0
"""Tail probabilities above 1 % (0.1 % for double-points moments, which whole days of a
member's shopping share) earn no points: chance among thousands of pairs."""


def binomial_surprise(successes: int, trials: int, p: float) -> float:
    """``-log10 P(X >= successes)`` for ``X ~ Binomial(trials, p)``, capped at
    :data:`MAX_SURPRISE`; 0 when ``successes`` is not above what is expected."""
    if trials <= 0 or successes <= trials * p:
        return 0.0
    if p <= 0.0:
        return MAX_SURPRISE
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
             + k * log_p + (trials - k) * log_q for k in range(successes, trials + 1)]
    top = max(terms)
    log_tail = top + math.log(sum(math.exp(t - top) for t in terms))
    return min(MAX_SURPRISE, max(0.0, -log_tail / math.log(10)))


_Surprise = Callable[[int, int, float], float]


def _max_in_window(times: Sequence[datetime], window: timedelta) -> int:
    ordered, best = sorted(times), 0
    for end, at in enumerate(ordered):
        # The most so far grows by one only if this one and the ``best`` before it fit.
        if at - ordered[end - best] < window:
            best += 1
    return best


class GroupInStore(NamedTuple):
    """One (cashier, member, store) group of :class:`PairReceipts` with the totals its
    signals compare it against: the database counts these over the grouped rows, and
    :func:`with_totals` the same in Python."""

    staff_id: int
    member_id: int
    store_id: int
    receipts: int
    bonus: int
    typed: int
    told: int
    most: int
    """The most of its receipts within any span shorter than the burst window."""
    first: int
    """Where the group comes among the others (its first receipt's id): of a pair's stores
    that score the same, the first wins."""
    pair_receipts: int
    """The cashier's receipts for the member in every store."""
    cashier_receipts: int
    """The cashier's identified receipts in the store."""
    member_receipts: int
    """The member's receipts in the store, by any cashier."""
    store_receipts: int
    store_bonus: int
    store_typed: int
    store_told: int


def group_facts(facts: Iterable[ReceiptFact]) -> list[PairReceipts]:
    """``facts`` counted per (cashier, member, store), in the order each first appears."""
    groups: dict[tuple[int, int, int], list[ReceiptFact]] = {}
    for f in facts:
        groups.setdefault((f.staff_id, f.member_id, f.store_id), []).append(f)
    return [PairReceipts(staff_id=s, member_id=m, store_id=store, receipts=len(found),
                         bonus=sum(f.bonus for f in found),
                         typed=sum(f.typed is True for f in found),
                         told=sum(f.typed is not None for f in found),
                         times=tuple(f.occurred_at for f in found))
            for (s, m, store), found in groups.items()]


def _sums(groups: Sequence[PairReceipts], *columns: str) -> Counter[tuple[int, ...]]:
    """``receipts`` summed over the groups sharing the ``columns``' values."""
    sums: Counter[tuple[int, ...]] = Counter()
    for g in groups:
        sums[tuple(getattr(g, c) for c in columns)] += g.receipts
    return sums


def with_totals(groups: Sequence[PairReceipts], *,
                burst_window_minutes: int) -> list[GroupInStore]:
    """Each group (each key once) with its totals, ``first`` its place in ``groups``."""
    window = timedelta(minutes=burst_window_minutes)
    pair = _sums(groups, "staff_id", "member_id")
    cashier = _sums(groups, "staff_id", "store_id")
    member = _sums(groups, "member_id", "store_id")
    store: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for g in groups:
        counts = store[g.store_id]
        for n, value in enumerate((g.receipts, g.bonus, g.typed, g.told)):
            counts[n] += value
    return [GroupInStore(*g[:7], _max_in_window(g.times, window), n,
                         pair[(g.staff_id, g.member_id)],
                         cashier[(g.staff_id, g.store_id)], member[(g.member_id, g.store_id)],
                         *store[g.store_id]) for n, g in enumerate(groups)]


def _concentration(g: GroupInStore, surprise: _Surprise) -> Signal | None:
    share = g.cashier_receipts / g.store_receipts
    if g.receipts <= g.member_receipts * share:
        return None
    found = surprise(g.receipts, g.member_receipts, share)
    if found < SURPRISE_FLOOR:
        return None
    points = min(CONCENTRATION_CAP, round(CONCENTRATION_POINTS_PER_SURPRISE * found))
    return Signal(code="concentration", points=points, params={
        "store_id": g.store_id, "receipts": g.receipts, "member_receipts": g.member_receipts,
        "share_percent": _percent(g.receipts, g.member_receipts),
        "expected_percent": round(share * 100), "surprise_tenths": round(found * 10)})


def _burst(g: GroupInStore, thresholds: Thresholds) -> Signal | None:
    extra = g.most - thresholds.burst_receipts
    if extra <= 0:
        return None
    return Signal(code="burst", points=min(BURST_CAP, BURST_POINTS_PER_EXTRA * extra),
                  params={"receipts": g.most, "minutes": thresholds.burst_window_minutes})


def _typed(g: GroupInStore, thresholds: Thresholds, surprise: _Surprise) -> Signal | None:
    if not g.told or g.typed * 100 < thresholds.typed_share_percent * g.told:
        return None
    found = surprise(g.typed, g.told, g.store_typed / g.store_told)
    if found < SURPRISE_FLOOR:
        return None
    return Signal(code="typed", points=min(TYPED_CAP, round(TYPED_POINTS_PER_SURPRISE * found)),
                  params={"typed": g.typed, "told": g.told,
                          "store_percent": _percent(g.store_typed, g.store_told)})


def _bonus(g: GroupInStore, surprise: _Surprise) -> Signal | None:
    share = g.store_bonus / g.store_receipts
    if g.bonus <= g.receipts * share:
        return None
    found = surprise(g.bonus, g.receipts, share)
    if found < BONUS_SURPRISE_FLOOR:
        return None
    return Signal(code="bonus", points=min(BONUS_CAP, round(BONUS_POINTS_PER_SURPRISE * found)),
                  params={"bonus": g.bonus, "receipts": g.receipts,
                          "store_percent": _percent(g.store_bonus, g.store_receipts)})


def _percent(part: int, whole: int) -> int:
    return round(part * 100 / whole) if whole else 0


def _store_signals(g: GroupInStore, thresholds: Thresholds,
                   surprise: _Surprise) -> list[Signal]:
    return [s for s in (_concentration(g, surprise), _burst(g, thresholds),
                        _typed(g, thresholds, surprise), _bonus(g, surprise)) if s is not None]


def score_pairs(facts: Sequence[ReceiptFact], adjustments: Sequence[Adjustment], *,
                staff_contacts: frozenset[tuple[int, int]], thresholds: Thresholds
                ) -> list[PairScore]:
    """:func:`score_groups` of the receipts ``facts``, one by one."""
    return score_groups(group_facts(facts), adjustments, staff_contacts=staff_contacts,
                        thresholds=thresholds)


def score_groups(groups: Sequence[PairReceipts], adjustments: Sequence[Adjustment], *,
                 staff_contacts: frozenset[tuple[int, int]], thresholds: Thresholds
                 ) -> list[PairScore]:
    """:func:`score_counted` of ``groups`` (each key once), their totals counted here."""
    counted = with_totals(groups, burst_window_minutes=thresholds.burst_window_minutes)
    return score_counted(counted, adjustments, staff_contacts=staff_contacts,
                         thresholds=thresholds)


def score_counted(groups: Iterable[GroupInStore], adjustments: Sequence[Adjustment], *,
                  staff_contacts: frozenset[tuple[int, int]], thresholds: Thresholds
                  ) -> list[PairScore]:
    """Every (cashier, member) pair with at least one signal, highest score first.

    ``groups`` holds the receipts counted per (cashier, member, store) with their totals, in
    any order; a pair's signals are those of the store where they add up to most, the
    ``first`` winning a tie; a pair with fewer than ``min_pair_receipts`` receipts in all is
    scored only on the rest. ``staff_contacts`` holds the (staff id, member id) pairs where
    the member's phone or e-mail is the staff member's. Adjustments count only for a pair with
    receipts together (a member the staff member serves); only added points count.
    """
    # The tails repeat: a few cashiers' shares, small counts.
    surprise: _Surprise = functools.lru_cache(maxsize=1 << 16)(binomial_surprise)
    together: dict[tuple[int, int], int] = {}
    best: dict[tuple[int, int], tuple[int, int, list[Signal]]] = {}
    for g in groups:
        key = (g.staff_id, g.member_id)
        together[key] = g.pair_receipts
        if g.pair_receipts < thresholds.min_pair_receipts:
            continue
        found = _store_signals(g, thresholds, surprise)
        points = sum(s.points for s in found)
        if points and (key not in best or (-points, g.first) < best[key][:2]):
            best[key] = -points, g.first, found
    added: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    for adj in adjustments:
        if adj.points > 0 and (adj.staff_id, adj.member_id) in together:
            added[(adj.staff_id, adj.member_id)].append(adj.points)
    scores = []
    for key in set(best) | staff_contacts | set(added):
        signals = list(best[key][2]) if key in best else []
        if key in staff_contacts:
            signals.append(Signal(code="staff_contact", points=STAFF_CONTACT_POINTS))
        if points_added := added.get(key):
            signals.append(_adjustment(points_added))
        scores.append(PairScore(staff_id=key[0], member_id=key[1],
                                score=min(MAX_SCORE, sum(s.points for s in signals)),
                                receipts=together.get(key, 0), signals=tuple(signals)))
    scores.sort(key=lambda p: (-p.score, p.staff_id, p.member_id))
    return scores


def _adjustment(points: list[int]) -> Signal:
    return Signal(code="adjustment", points=min(
        ADJUSTMENT_CAP, ADJUSTMENT_POINTS + ADJUSTMENT_POINTS_PER_MORE * (len(points) - 1)),
                  params={"adjustments": len(points), "points": sum(points)})


def flagged(scores: Iterable[PairScore], thresholds: Thresholds) -> list[PairScore]:
    """The pairs at or above the flag score."""
    return [p for p in scores if p.score >= thresholds.flag_score]
