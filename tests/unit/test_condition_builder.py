"""The promotion builder's plain-words conditions and the CEL they stand for."""

import pytest

from regulars.domain.promotions.condition_builder import NOTHING, Conditions, from_cel, to_cel


def test_nothing_picked_is_true_and_reads_back() -> None:
    assert to_cel(NOTHING) == "true"
    assert from_cel("true") == NOTHING


def test_each_condition_writes_its_cel_joined_by_and() -> None:
    picked = Conditions(min_total_minor=50000, min_quantity_milli=3000, category="coffee",
                        category_milli=2000, sku="LATTE", levels=("gold",),
                        members_only=True, first_purchase=True, birthday=True, min_visits=5)
    assert to_cel(picked) == (
        'basket.total_minor >= 50000 && basket.quantity_milli >= 3000 && '
        'basket.lines.exists(l, l.category == "coffee" && l.quantity_milli >= 2000) && '
        'basket.lines.exists(l, l.sku == "LATTE") && member != null && '
        'member.level == "gold" && member.first_purchase && member.birthday_today && '
        'member.visits >= 5')


@pytest.mark.parametrize("conditions", [
    Conditions(min_total_minor=0),
    Conditions(category='say "hi" && go', category_milli=1500),
    Conditions(sku="кофе", sku_milli=1000, levels=("silver", "gold")),
    Conditions(first_purchase=True, min_visits=2),
])
def test_written_conditions_read_back_unchanged(conditions: Conditions) -> None:
    assert from_cel(to_cel(conditions)) == conditions


@pytest.mark.parametrize("text", [
    "basket.total_minor > 100",
    "member.visits >= 5 || member.first_purchase",
    "member.first_purchase && basket.total_minor >= 100",  # another order than ours
    "member.visits >= 5 && member.visits >= 6",  # a part twice
    "basket.lines.exists(l, l.sku == 1)",
])
def test_a_condition_written_by_hand_is_not_read_as_picked(text: str) -> None:
    assert from_cel(text) is None


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="min_total_minor"):
        Conditions(min_total_minor=-1)
