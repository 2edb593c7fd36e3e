"""What of the member a condition reads, judged on its parse tree: the replay's check that a
draft promotion reads of the member its id and level only."""

from __future__ import annotations

import pytest

from regulars.domain.promotions.condition_cost import analyse
from regulars.domain.promotions.condition_reads import undeclared_member_reads
from regulars.domain.promotions.effects import PercentDiscount
from regulars.errors import InvalidInput
from regulars.services.analytics.scenarios import check_replayable
from regulars.services.promotions.promotions import Draft

TEN = (PercentDiscount(rate_bp=1000),)
DECLARED = frozenset({"id", "level"})


def reads(text: str) -> list[str]:
    return undeclared_member_reads(analyse(text).root, DECLARED)


@pytest.mark.parametrize(
    "text",
    [
        "true",
        'member.level == "gold"',
        'member . level in ["gold", "silver"]',
        "member != null && member.id > 0",
        "null == member",
        'has(member.level) && member["level"] == "gold"',
        "member.level.size() > 2",
        '"member.visits" == member.level',
        "member.level == 'gold' // member.visits > 3",
        "basket.lines.exists(member, member.sku == 'cake')",
        'basket.lines.exists(l, l.category == "member.visits")',
        "basket.total_minor > 100 && store.id == 1",
    ],
)
def test_a_condition_reading_only_the_declared_fields_passes(text: str) -> None:
    assert reads(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("member.visits > 3", ["member.visits"]),
        ("member . name == 'Ann'", ["member.name"]),
        ("member\n  .\n  spend_minor > 0", ["member.spend_minor"]),
        ("has(member.birthday_today)", ["member.birthday_today"]),
        ('member["visits"] > 1', ["member.visits"]),
        ("member[basket.lines[0].sku] == 1", ["member[…]"]),
        ("'gold' in member", ["member"]),
        ("[member].exists(m, m.visits > 1)", ["member"]),
        ("size(member) > 2", ["member"]),
        ("basket.lines.exists(l, l.sku == 'x') && member.consent == 'full'", ["member.consent"]),
        ("basket.lines.exists(member, true) && member.visits > 1", ["member.visits"]),
        ("member.level == 'gold' || member.first_purchase", ["member.first_purchase"]),
    ],
)
def test_a_condition_reading_more_of_the_member_is_found(text: str, found: list[str]) -> None:
    assert reads(text) == found


def test_a_replay_refuses_a_draft_reading_an_unreplayed_member_field_and_says_which() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_replayable(
            Draft(name="x", effects=TEN, condition="member .visits > 3 // member.level")
        )
    assert refused.value.field == "condition"
    assert refused.value.params == {"names": "member.visits"}


def test_a_replay_takes_a_draft_whose_comment_or_string_only_spells_another_field() -> None:
    for text in (
        'member.level == "gold" // not member.visits',
        'basket.lines.exists(l, l.sku == "member.x")',
    ):
        check_replayable(Draft(name="x", effects=TEN, condition=text))
