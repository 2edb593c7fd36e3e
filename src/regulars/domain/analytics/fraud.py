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

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
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


def _max_in_window(times: Sequence[datetime], window: timedelta) -> int:
    ordered, best, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class _Counts:
    receipts: int = 0
    bonus: int = 0
    typed: int = 0
    told: int = 0
    times: list[datetime] = field(default_factory=list)

    def add(self, group: PairReceipts) -> None:
        self.receipts += group.receipts
        self.bonus += group.bonus
        self.typed += group.typed
        self.told += group.told


@dataclass
class _Tally:
    """The counts the signals compare: per store, per (cashier, store), per (member, store)
    and per (cashier, member, store)."""

    store: defaultdict[int, _Counts] = field(default_factory=lambda: defaultdict(_Counts))
    cashier: defaultdict[tuple[int, int], _Counts] = field(
        default_factory=lambda: defaultdict(_Counts))
    member: defaultdict[tuple[int, int], _Counts] = field(
        default_factory=lambda: defaultdict(_Counts))
    pair: defaultdict[tuple[int, int, int], _Counts] = field(
        default_factory=lambda: defaultdict(_Counts))


def group_facts(facts: Iterable[ReceiptFact]) -> list[PairReceipts]:
    """``facts`` counted per (cashier, member, store), in the order each first appears."""
    groups: dict[tuple[int, int, int], _Counts] = {}
    for f in facts:
        counts = groups.setdefault((f.staff_id, f.member_id, f.store_id), _Counts())
        counts.receipts += 1
        counts.bonus += f.bonus
        if f.typed is not None:
            counts.told += 1
            counts.typed += f.typed
        counts.times.append(f.occurred_at)
    return [PairReceipts(staff_id=s, member_id=m, store_id=store, receipts=c.receipts,
                         bonus=c.bonus, typed=c.typed, told=c.told, times=tuple(c.times))
            for (s, m, store), c in groups.items()]


def _tally(groups: Iterable[PairReceipts]) -> _Tally:
    tally = _Tally()
    for g in groups:
        tally.store[g.store_id].add(g)
        tally.cashier[(g.staff_id, g.store_id)].add(g)
        tally.member[(g.member_id, g.store_id)].add(g)
        together = tally.pair[(g.staff_id, g.member_id, g.store_id)]
        together.add(g)
        together.times.extend(g.times)
    return tally


def _concentration(tally: _Tally, staff_id: int, member_id: int, store_id: int,
                   together: _Counts) -> Signal | None:
    store, member = tally.store[store_id], tally.member[(member_id, store_id)]
    share = tally.cashier[(staff_id, store_id)].receipts / store.receipts
    surprise = binomial_surprise(together.receipts, member.receipts, share)
    if surprise < SURPRISE_FLOOR:
        return None
    points = min(CONCENTRATION_CAP, round(CONCENTRATION_POINTS_PER_SURPRISE * surprise))
    return Signal(code="concentration", points=points, params={
        "store_id": store_id, "receipts": together.receipts,
        "member_receipts": member.receipts, "share_percent": _percent(
            together.receipts, member.receipts),
        "expected_percent": round(share * 100), "surprise_tenths": round(surprise * 10)})


def _burst(together: _Counts, thresholds: Thresholds) -> Signal | None:
    window = timedelta(minutes=thresholds.burst_window_minutes)
    most = _max_in_window(together.times, window)
    extra = most - thresholds.burst_receipts
    if extra <= 0:
        return None
    return Signal(code="burst", points=min(BURST_CAP, BURST_POINTS_PER_EXTRA * extra),
                  params={"receipts": most, "minutes": thresholds.burst_window_minutes})


def _typed(tally: _Tally, store_id: int, together: _Counts,
           thresholds: Thresholds) -> Signal | None:
    if not together.told or together.typed * 100 < thresholds.typed_share_percent * together.told:
        return None
    store = tally.store[store_id]
    surprise = binomial_surprise(together.typed, together.told, store.typed / store.told)
    if surprise < SURPRISE_FLOOR:
        return None
    return Signal(code="typed", points=min(TYPED_CAP, round(TYPED_POINTS_PER_SURPRISE * surprise)),
                  params={"typed": together.typed, "told": together.told,
                          "store_percent": _percent(store.typed, store.told)})


def _bonus(tally: _Tally, store_id: int, together: _Counts) -> Signal | None:
    store = tally.store[store_id]
    surprise = binomial_surprise(together.bonus, together.receipts,
                                 store.bonus / store.receipts)
    if surprise < BONUS_SURPRISE_FLOOR:
        return None
    return Signal(code="bonus", points=min(BONUS_CAP, round(BONUS_POINTS_PER_SURPRISE * surprise)),
                  params={"bonus": together.bonus, "receipts": together.receipts,
                          "store_percent": _percent(store.bonus, store.receipts)})


def _percent(part: int, whole: int) -> int:
    return round(part * 100 / whole) if whole else 0


def _receipt_signals(tally: _Tally, staff_id: int, member_id: int,
                     stores: Sequence[tuple[int, _Counts]],
                     thresholds: Thresholds) -> tuple[int, list[Signal]]:
    """The pair's receipts in all its ``stores``, and the signals of the store where they
    look worst."""
    total = sum(c.receipts for _, c in stores)
    if total < thresholds.min_pair_receipts:
        return total, []
    best: list[Signal] = []
    for store_id, together in stores:
        found = [s for s in (_concentration(tally, staff_id, member_id, store_id, together),
                             _burst(together, thresholds),
                             _typed(tally, store_id, together, thresholds),
                             _bonus(tally, store_id, together)) if s is not None]
        if sum(s.points for s in found) > sum(s.points for s in best):
            best = found
    return total, best


def score_pairs(facts: Sequence[ReceiptFact], adjustments: Sequence[Adjustment], *,
                staff_contacts: frozenset[tuple[int, int]], thresholds: Thresholds
                ) -> list[PairScore]:
    """:func:`score_groups` of the receipts ``facts``, one by one."""
    return score_groups(group_facts(facts), adjustments, staff_contacts=staff_contacts,
                        thresholds=thresholds)


def score_groups(groups: Sequence[PairReceipts], adjustments: Sequence[Adjustment], *,
                 staff_contacts: frozenset[tuple[int, int]], thresholds: Thresholds
                 ) -> list[PairScore]:
    """Every (cashier, member) pair with at least one signal, highest score first.

    ``groups`` holds the receipts counted per (cashier, member, store), each key once; of a
    pair's stores, the first listed wins a tie. ``staff_contacts`` holds the (staff id,
    member id) pairs where the member's phone or e-mail is the staff member's. Adjustments
    count only for a pair with receipts together (a member the staff member serves); only
    added points count.
    """
    tally = _tally(groups)
    added: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    for adj in adjustments:
        if adj.points > 0:
            added[(adj.staff_id, adj.member_id)].append(adj.points)
    stores: defaultdict[tuple[int, int], list[tuple[int, _Counts]]] = defaultdict(list)
    for (s, m, store_id), counts in tally.pair.items():
        stores[(s, m)].append((store_id, counts))
    scores = []
    for staff_id, member_id in sorted(set(stores) | staff_contacts):
        receipts, signals = _receipt_signals(tally, staff_id, member_id,
                                             stores.get((staff_id, member_id), []), thresholds)
        if (staff_id, member_id) in staff_contacts:
            signals.append(Signal(code="staff_contact", points=STAFF_CONTACT_POINTS))
        points = added.get((staff_id, member_id))
        if points and receipts:
            signals.append(Signal(code="adjustment", points=min(
                ADJUSTMENT_CAP, ADJUSTMENT_POINTS + ADJUSTMENT_POINTS_PER_MORE * (len(points) - 1)),
                                  params={"adjustments": len(points), "points": sum(points)}))
        if signals:
            score = min(MAX_SCORE, sum(s.points for s in signals))
            scores.append(PairScore(staff_id=staff_id, member_id=member_id, score=score,
                                    receipts=receipts, signals=tuple(signals)))
    scores.sort(key=lambda p: (-p.score, p.staff_id, p.member_id))
    return scores


def flagged(scores: Iterable[PairScore], thresholds: Thresholds) -> list[PairScore]:
    """The pairs at or above the flag score."""
    return [p for p in scores if p.score >= thresholds.flag_score]
