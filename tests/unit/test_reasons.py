"""Which reasons each points entry of a purchase shows: those of spending on the spend entry,
the others on the earn entry, an entry alone keeping all; purchases recorded with every reason
on both entries are split when read."""

from __future__ import annotations

from regulars.domain.checkout.reasons import Stored, of_earn, of_spend, shown

LIMIT = {"code": "spend_limit", "params": {"max_points": 50}}
PAID = {"code": "points_spent", "params": {"points": 10}}
EARNED = {"code": "points_earned", "params": {"points": 30}}
PROMOTION = {"code": "promotion_discount", "params": {"promotion": "P", "version": 1}}
WHY = [LIMIT, PAID, EARNED, PROMOTION]


def test_a_purchase_that_spends_and_earns_splits_its_reasons_between_the_entries() -> None:
    assert of_spend(WHY, earned=True) == [LIMIT, PAID]
    assert of_earn(WHY, spent=True) == [EARNED, PROMOTION]


def test_an_entry_alone_keeps_every_reason() -> None:
    assert of_spend(WHY, earned=False) == WHY
    assert of_earn(WHY, spent=False) == WHY


def test_entries_recorded_with_every_reason_show_each_once() -> None:
    page = [Stored(code="earn", receipt_id=7, why=WHY), Stored(code="spend", receipt_id=7, why=WHY)]
    assert shown(page) == [[EARNED, PROMOTION], [LIMIT, PAID]]


def test_a_spend_entry_whose_earn_entry_is_on_another_page_still_splits() -> None:
    assert shown([Stored(code="spend", receipt_id=7, why=WHY)]) == [[LIMIT, PAID]]


def test_entries_recorded_apart_and_a_spend_that_earned_nothing_show_as_they_are() -> None:
    nothing = [LIMIT, PAID, {"code": "points_earned", "params": {"points": 0}}, PROMOTION]
    page = [Stored(code="earn", receipt_id=7, why=[EARNED, PROMOTION]),
            Stored(code="spend", receipt_id=7, why=[LIMIT, PAID]),
            Stored(code="spend", receipt_id=8, why=nothing),
            Stored(code="earn", receipt_id=9, why=[LIMIT, EARNED])]
    assert shown(page) == [[EARNED, PROMOTION], [LIMIT, PAID], nothing, [LIMIT, EARNED]]
