"""A text rendered once for many members, then filled for each, is the text rendered for that
member; a member without a first name is not addressed by an empty one."""

from __future__ import annotations

import pytest

from regulars.domain.messaging.templates import (
    DEFAULTS,
    FIRST_NAME_MARK,
    LANGUAGES,
    SAMPLE,
    UNSUBSCRIBE_MARK,
    default,
    fill_member,
    render,
    render_for_members,
)

TEXTS = [
    "Hello {first_name}! {points} points. Stop: {unsubscribe_url}",
    "{{first_name}} is written {{ so }}, {first_name}",
    "Add your card: {wallet_pass_url}\nThanks, {first_name}",
    "No placeholders at all",
    "{first_name}, you keep your level {points}.\nHappy birthday, {first_name}!",
    "Hi {first_name}! Stop: {unsubscribe_url}",
]
NAMES = ["Anna", "", "  ", "{unsubscribe_url}", "O'Brien {{x}}", f"odd{UNSUBSCRIBE_MARK}"]


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


@pytest.mark.parametrize("event", list(DEFAULTS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_wording_reads_naturally_without_a_first_name(event: str,
                                                                   language: str) -> None:
    wording = default(event, language)
    values = {**{k: v for k, v in SAMPLE.items() if k not in ("first_name", "unsubscribe_url")},
              "wallet_pass_url": ""}
    for name in ("", "  "):
        once = render_for_members(wording.body, values)
        body = fill_member(once, first_name=name, unsubscribe_url="https://x.test/u")
        assert body == render(wording.body, {**values, "first_name": name,
                                             "unsubscribe_url": "https://x.test/u"})
        assert FIRST_NAME_MARK not in body and "Anna" not in body
        assert body[0] in "+0123456789" or body[0].isupper(), body
        for clumsy in (" ,", ",,", ", !", ",!", ", :", ",:", ",.", "  ", " !", " :"):
            assert clumsy not in body, body


@pytest.mark.parametrize(("template", "without", "with_name"), [
    ("{first_name}, you keep your level {level}.", "You keep your level Silver.",
     "Anna, you keep your level Silver."),
    ("{first_name}, ваш уровень {level} сохранён.", "Ваш уровень Silver сохранён.",
     "Anna, ваш уровень Silver сохранён."),
    ("Happy birthday, {first_name}!", "Happy birthday!", "Happy birthday, Anna!"),
    ("Вітаємо, {first_name}: ваш рівень тепер {level}.", "Вітаємо: ваш рівень тепер Silver.",
     "Вітаємо, Anna: ваш рівень тепер Silver."),
    ("Добре дошли в X, {first_name}!\nOK", "Добре дошли в X!\nOK",
     "Добре дошли в X, Anna!\nOK"),
    ("Thanks. {first_name}, see you soon", "Thanks. See you soon", "Thanks. Anna, see you soon"),
    ("Hello {first_name}, welcome", "Hello, welcome", "Hello Anna, welcome"),
])
def test_the_words_addressing_the_member_by_name_go_with_the_name(
        template: str, without: str, with_name: str) -> None:
    once = render_for_members(template, {"level": "Silver"})
    assert fill_member(once, first_name=None, unsubscribe_url="") == without
    assert fill_member(once, first_name="Anna", unsubscribe_url="") == with_name
