"""Own-card fraud scoring on generated data: a month of a chain with honest cashiers and
members (including regulars who favour one cashier, staff who shop where they work and
goodwill adjustments), with fraud patterns injected by a few cashiers. With a fixed seed the
scan finds at least 95 % of the injected pairs and flags at most 1 % of the honest cashiers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from regulars.domain.analytics.fraud import (
    Adjustment,
    ReceiptFact,
    Thresholds,
    binomial_surprise,
    check_thresholds,
    flagged,
    score_pairs,
)

START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 30
BONUS_DAYS = frozenset({6, 13, 20, 27})
STORES, CASHIERS_PER_STORE, MEMBERS = 12, 6, 6000
PATTERNS = ("own_card", "friend_card", "quiet_friend", "bonus_friend", "adjusted_friend")


@dataclass
class Month:
    facts: list[ReceiptFact] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    contacts: set[tuple[int, int]] = field(default_factory=set)
    fraud_pairs: set[tuple[int, int]] = field(default_factory=set)
    dishonest: set[int] = field(default_factory=set)
    cashiers: list[int] = field(default_factory=list)


def _cashiers(store: int) -> list[int]:
    return [store * 100 + k for k in range(CASHIERS_PER_STORE)]


def _at(rng: random.Random, day: int) -> datetime:
    return START + timedelta(days=day, hours=rng.randint(8, 21), minutes=rng.randint(0, 59))


def _receipt(rng: random.Random, month: Month, *, staff: int, member: int, store: int,
             day: int, typed_p: float = 0.08, at: datetime | None = None) -> None:
    told = rng.random() < 0.9
    month.facts.append(ReceiptFact(
        staff_id=staff, member_id=member, store_id=store, occurred_at=at or _at(rng, day),
        typed=(rng.random() < typed_p) if told else None, bonus=day in BONUS_DAYS))


def _honest(rng: random.Random, month: Month) -> None:
    weights = {s: [rng.uniform(0.5, 2.0) for _ in range(CASHIERS_PER_STORE)]
               for s in range(STORES)}
    for member in range(1, MEMBERS + 1):
        home = rng.randrange(STORES)
        visits = min(25, int(rng.expovariate(1 / 4)) + 1)
        favourite = rng.choice(_cashiers(home)) if rng.random() < 0.3 else None
        for _ in range(visits):
            store = home if rng.random() < 0.85 else rng.randrange(STORES)
            staff = (favourite if favourite and store == home and rng.random() < 0.5
                     else rng.choices(_cashiers(store), weights[store])[0])
            _receipt(rng, month, staff=staff, member=member, store=store,
                     day=rng.randrange(DAYS))
        if rng.random() < 0.02:  # goodwill points from a cashier who served them once
            staff = rng.choice(_cashiers(home))
            _receipt(rng, month, staff=staff, member=member, store=home, day=rng.randrange(DAYS))
            month.adjustments.append(Adjustment(staff_id=staff, member_id=member, points=200))


def _staff_shopping(rng: random.Random, month: Month) -> None:
    """A third of the cashiers have a card of their own and shop where they work, served by
    colleagues."""
    for store in range(STORES):
        for staff in _cashiers(store):
            if rng.random() < 0.33:
                card = 100_000 + staff
                month.contacts.add((staff, card))
                for _ in range(rng.randint(1, 8)):
                    colleague = rng.choice([c for c in _cashiers(store) if c != staff])
                    _receipt(rng, month, staff=colleague, member=card, store=store,
                             day=rng.randrange(DAYS))


def _inject(rng: random.Random, month: Month, staff: int, store: int, pattern: str) -> None:
    card = 200_000 + staff
    month.fraud_pairs.add((staff, card))
    month.dishonest.add(staff)
    if pattern == "own_card":
        month.contacts.add((staff, card))
        for _ in range(rng.randint(8, 30)):
            _receipt(rng, month, staff=staff, member=card, store=store, day=rng.randrange(DAYS),
                     typed_p=0.5)
    elif pattern == "friend_card":  # strangers' receipts in runs during a busy hour
        for day in rng.sample(range(DAYS), rng.randint(3, 6)):
            rush = _at(rng, day)
            for _ in range(rng.randint(3, 6)):
                _receipt(rng, month, staff=staff, member=card, store=store, day=day,
                         typed_p=0.7, at=rush + timedelta(minutes=rng.randint(0, 90)))
    elif pattern == "quiet_friend":  # one a day at most, typed
        for day in rng.sample(range(DAYS), rng.randint(8, 14)):
            _receipt(rng, month, staff=staff, member=card, store=store, day=day, typed_p=0.95)
    elif pattern == "bonus_friend":  # kept for the double-points days
        for day in sorted(BONUS_DAYS):
            for _ in range(rng.randint(2, 3)):
                _receipt(rng, month, staff=staff, member=card, store=store, day=day,
                         typed_p=0.3)
    else:  # adjusted_friend: a few receipts, then points by hand
        for _ in range(rng.randint(5, 9)):
            _receipt(rng, month, staff=staff, member=card, store=store, day=rng.randrange(DAYS))
        for _ in range(rng.randint(2, 3)):  # topped up again and again
            month.adjustments.append(Adjustment(staff_id=staff, member_id=card,
                                                points=rng.randint(300, 3000)))


def generate(seed: int) -> Month:
    rng = random.Random(seed)
    month = Month()
    month.cashiers = [c for s in range(STORES) for c in _cashiers(s)]
    _honest(rng, month)
    _staff_shopping(rng, month)
    for n, staff in enumerate(rng.sample(month.cashiers, 20)):
        store = staff // 100
        _inject(rng, month, staff, store, PATTERNS[n % len(PATTERNS)])
    rng.shuffle(month.facts)
    return month


def scan(month: Month, thresholds: Thresholds) -> set[tuple[int, int]]:
    found = flagged(score_pairs(month.facts, month.adjustments,
                                staff_contacts=frozenset(month.contacts),
                                thresholds=thresholds), thresholds)
    return {(p.staff_id, p.member_id) for p in found}


@pytest.mark.parametrize("seed", [19, 20_260_301])
def test_the_scan_finds_injected_fraud_and_spares_honest_cashiers(seed: int) -> None:
    month = generate(seed)
    found = scan(month, Thresholds())
    recall = len(found & month.fraud_pairs) / len(month.fraud_pairs)
    honest = [c for c in month.cashiers if c not in month.dishonest]
    falsely = {s for s, _ in found - month.fraud_pairs if s not in month.dishonest}
    assert recall >= 0.95, sorted(month.fraud_pairs - found)
    assert len(falsely) <= 0.01 * len(honest), sorted(found - month.fraud_pairs)


def test_a_regular_who_favours_one_cashier_is_not_flagged_on_that_alone() -> None:
    facts = [ReceiptFact(staff_id=1, member_id=9, store_id=1,
                         occurred_at=START + timedelta(days=d), typed=False, bonus=False)
             for d in range(20)]
    facts += [ReceiptFact(staff_id=s, member_id=100 + n, store_id=1,
                          occurred_at=START + timedelta(days=n % 30, hours=s), typed=False,
                          bonus=False) for n in range(300) for s in (1, 2, 3)]
    scores = score_pairs(facts, [], staff_contacts=frozenset(), thresholds=Thresholds())
    [pair] = [p for p in scores if p.member_id == 9]
    assert [s.code for s in pair.signals] == ["concentration"]
    assert pair.score < Thresholds().flag_score


def test_a_burst_on_one_card_with_the_same_cashier_is_flagged_with_its_evidence() -> None:
    facts = [ReceiptFact(staff_id=s, member_id=100 + n, store_id=1,
                         occurred_at=START + timedelta(days=n % 30, hours=s), typed=False,
                         bonus=False) for n in range(200) for s in (1, 2, 3, 4)]
    facts += [ReceiptFact(staff_id=2, member_id=7, store_id=1,
                          occurred_at=START + timedelta(days=3, minutes=10 * k), typed=True,
                          bonus=False) for k in range(8)]
    [pair] = flagged(score_pairs(facts, [], staff_contacts=frozenset(),
                                 thresholds=Thresholds()), Thresholds())
    assert (pair.staff_id, pair.member_id, pair.receipts) == (2, 7, 8)
    codes = {s.code: s for s in pair.signals}
    assert set(codes) == {"concentration", "burst", "typed"}
    assert codes["burst"].params == {"receipts": 8, "minutes": 120}
    assert codes["typed"].params == {"typed": 8, "told": 8, "store_percent": 1}


def test_adjustments_count_only_for_members_the_staff_member_serves() -> None:
    facts = [ReceiptFact(staff_id=1, member_id=5, store_id=1, occurred_at=START, typed=None,
                         bonus=False)]
    adjustments = [Adjustment(staff_id=1, member_id=5, points=100),
                   Adjustment(staff_id=1, member_id=6, points=100),
                   Adjustment(staff_id=1, member_id=5, points=-50)]
    scores = score_pairs(facts, adjustments, staff_contacts=frozenset(),
                         thresholds=Thresholds())
    assert [(p.member_id, [(s.code, s.params) for s in p.signals]) for p in scores] == [
        (5, [("adjustment", {"adjustments": 1, "points": 100})])]


def test_binomial_surprise_matches_hand_computed_tails() -> None:
    assert binomial_surprise(3, 3, 0.5) == pytest.approx(0.90309, abs=1e-4)  # 1/8
    assert binomial_surprise(1, 2, 0.5) == 0.0  # not above the expected count
    assert binomial_surprise(2, 2, 0.1) == pytest.approx(2.0)
    assert binomial_surprise(500, 500, 0.1) == 12.0


def test_thresholds_out_of_bounds_are_named() -> None:
    assert check_thresholds(Thresholds()) == []
    assert check_thresholds(Thresholds(flag_score=0, burst_receipts=5000)) == [
        ("flag_score", 1, 100), ("burst_receipts", 1, 1000)]


def test_the_api_bounds_are_the_domain_bounds() -> None:
    from regulars.api.fraud import FraudSettingsIn
    from regulars.domain.analytics.fraud import LIMITS

    schema = FraudSettingsIn.model_json_schema()["properties"]
    assert {name: (schema[name]["minimum"], schema[name]["maximum"]) for name in LIMITS} == LIMITS
