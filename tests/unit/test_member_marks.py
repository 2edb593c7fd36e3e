"""A text rendered once for many members, then filled for each, is the text rendered for that
member."""

from __future__ import annotations

import pytest

from regulars.domain.messaging.templates import (
    FIRST_NAME_MARK,
    UNSUBSCRIBE_MARK,
    fill_member,
    render,
    render_for_members,
)

TEXTS = [
    "Hello {first_name}! {points} points. Stop: {unsubscribe_url}",
    "{{first_name}} is written {{ so }}, {first_name}",
    "Add your card: {wallet_pass_url}\nThanks, {first_name}",
    "No placeholders at all",
]
NAMES = ["Anna", "", "{unsubscribe_url}", "O'Brien {{x}}", f"odd{UNSUBSCRIBE_MARK}"]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("name", NAMES)
def test_rendering_once_then_filling_a_member_gives_the_members_own_text(text: str,
                                                                          name: str) -> None:
    values = {"points": "120", "wallet_pass_url": ""}
    link = "https://example.com/c/1/unsubscribe/1.2.abc"
    once = render_for_members(text, values)
    assert fill_member(once, first_name=name, unsubscribe_url=link) == render(
        text, {**values, "first_name": name, "unsubscribe_url": link})


def test_marks_already_in_a_template_or_a_value_are_dropped() -> None:
    once = render_for_members(f"a{FIRST_NAME_MARK}b {{points}}", {"points": UNSUBSCRIBE_MARK})
    assert once == "ab "
