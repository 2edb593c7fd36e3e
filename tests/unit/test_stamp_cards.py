"""Stamp cards' rules without a database: which items add stamps, when a card completes,
what its reward takes off, and what refunds take back."""

from __future__ import annotations

from regulars.domain.stamps.cards import (
    GrantAt,
    Reward,
    StampCard,
    StampLine,
    card_problems,
    plan,
    reversed_by_refund,
)

COFFEE_CARD = StampCard(id=1, name="Coffee", categories=frozenset({"coffee"}), per_card=10,
                        reward=Reward.FREE_ITEM)


def coffee(line_no: int, price: int = 350, quantity: int = 1, *,
           discount: int = 0) -> StampLine:
    return StampLine(line_no=line_no, sku=f"C{price}", category="coffee",
                     quantity_milli=quantity * 1000, unit_price_minor=price,
                     open_minor=price * quantity - discount)


CAKE = StampLine(line_no=9, sku="CAKE", category="bakery", quantity_milli=1000,
                 unit_price_minor=500, open_minor=500)


def test_each_whole_qualifying_item_adds_a_stamp_and_parts_add_none() -> None:
    beans = StampLine(line_no=1, sku="BEANS", category="coffee", quantity_milli=2500,
                      unit_price_minor=1000, open_minor=2500)
    done = plan(COFFEE_CARD, 0, [beans, CAKE])
    assert done.added_by_line == (2, 0)
    assert (done.completed, done.on_card) == (0, 2)


def test_the_stamp_that_completes_the_card_makes_its_item_free() -> None:
    done = plan(COFFEE_CARD, 9, [CAKE, coffee(2)])
    assert (done.added, done.completed, done.spent) == (1, 1, 10)
    assert done.discount_by_line == (0, 350)
    assert done.balance_after == 0


def test_the_cheapest_qualifying_item_is_the_free_one() -> None:
    done = plan(COFFEE_CARD, 8, [coffee(1, 450), coffee(2, 300), CAKE])
    assert done.discount_by_line == (0, 300, 0)


def test_twenty_coffees_at_once_complete_two_cards() -> None:
    done = plan(COFFEE_CARD, 0, [coffee(1, 350, 20)])
    assert (done.completed, done.discount_minor, done.balance_after) == (2, 700, 0)


def test_a_next_purchase_card_waits_for_the_next_receipt() -> None:
    card = StampCard(id=2, name="Cake", categories=frozenset({"bakery"}), per_card=3,
                     reward=Reward.DISCOUNT, discount_minor=200, grant_at=GrantAt.NEXT)
    filled = plan(card, 2, [CAKE])
    assert (filled.completed, filled.ready, filled.on_card) == (0, 1, 0)
    taken = plan(card, 3, [CAKE])
    assert (taken.completed, taken.discount_by_line, taken.balance_after) == (1, (200,), 1)


def test_a_discount_never_takes_more_than_the_line_leaves_to_pay() -> None:
    card = StampCard(id=3, name="Big", categories=frozenset({"coffee"}), per_card=2,
                     reward=Reward.DISCOUNT, discount_minor=10_000)
    done = plan(card, 1, [coffee(1, 350, discount=50)])
    assert done.discount_by_line == (300,)


def test_a_free_item_already_free_completes_nothing() -> None:
    done = plan(COFFEE_CARD, 9, [coffee(1, 350, discount=350)])
    assert (done.completed, done.balance_after) == (0, 10)


def test_an_inactive_card_gives_no_reward() -> None:
    off = StampCard(id=4, name="Off", categories=frozenset({"coffee"}), per_card=2,
                    reward=Reward.FREE_ITEM, active=False)
    assert plan(off, 5, [coffee(1)]).completed == 0


def test_a_per_visit_card_adds_one_stamp_per_receipt() -> None:
    visits = StampCard(id=5, name="Visits", per_visit=True, per_card=5,
                       reward=Reward.FREE_ITEM)
    assert plan(visits, 0, [coffee(1, 350, 3), CAKE]).added_by_line == (1, 0)


def test_refunds_take_back_one_stamp_per_whole_item_returned() -> None:
    assert reversed_by_refund(False, [3, 0], [3000, 1000], [1000, 1000]) == 1
    assert reversed_by_refund(False, [3, 0], [3000, 1000], [3000, 0]) == 3
    assert reversed_by_refund(False, [2], [2500], [500]) == 0
    assert reversed_by_refund(True, [1, 0], [1000, 1000], [1000, 0]) == 0
    assert reversed_by_refund(True, [1, 0], [1000, 1000], [1000, 1000]) == 1


def test_a_card_definition_names_each_field_at_fault() -> None:
    bad = StampCard(id=0, name="x", per_card=1, reward=Reward.DISCOUNT, expiry_days=0)
    assert [field for field, _ in card_problems(bad)] == [
        "per_card", "skus", "discount_minor", "expiry_days"]
    assert card_problems(COFFEE_CARD) == []
