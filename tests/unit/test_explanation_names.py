"""An explanation names what it speaks of, in every language: the promotion by name and
version, the coupon series and the catalogue reward by name, a member by name (or the last
digits of the phone), never by an internal id; an id only shows when nothing is left to name
it (an erased member)."""

from __future__ import annotations

import re

import pytest

from regulars.services.members.members import words_for as member_words
from regulars.text.wording import NAMED, TEMPLATES, render_code

LOCALES = ("en_GB", "ru_RU", "uk_UA", "bg_BG")
IDS = {"promotion_id": 90417, "series_id": 90418, "reward_id": 90419, "source_id": 90420,
       "member_id": 90421}
NAMES = {"promotion": "Happy hour", "series": "Next coffee", "reward": "Free cake",
         "source": "Anna Petrova", "member": "Boris"}
OTHER = {"version": 3, "points": 5, "discount_minor": 150, "amount_minor": 200,
         "level": "Gold", "product": "A95", "card": "Coffee", "stamps": 2}


def _params(code: str) -> dict[str, int | str]:
    wanted = set(re.findall(r"\{(\w+)\}", TEMPLATES["en"][code]))
    params: dict[str, int | str] = {**IDS, **OTHER}
    params.update({k: v for k, v in NAMES.items() if k in wanted})
    return params


SPEAKING_OF = [code for code, text in TEMPLATES["en"].items()
               if set(re.findall(r"\{(\w+)\}", text)) & (set(NAMES) | set(IDS))]


def test_the_sentences_that_speak_of_something_are_all_checked() -> None:
    assert {"promotion_skipped_budget", "promotion_coupon", "coupon_discount",
            "reward_claimed", "reward_claimed_ahead", "reward_refunded", "merge",
            "merge_wallet", "referral_referrer", "referral_reversed"} <= set(SPEAKING_OF)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("code", SPEAKING_OF)
def test_a_sentence_names_what_it_speaks_of_and_shows_no_id(code: str, locale: str) -> None:
    said = render_code(code, _params(code), locale=locale, currency="EUR")
    for value in IDS.values():
        assert str(value) not in said, said
    assert "#" not in said and "№" not in said, said
    wanted = set(re.findall(r"\{(\w+)\}", TEMPLATES["en"][code]))
    for name in wanted & set(NAMES):
        assert NAMES[name] in said, said


@pytest.mark.parametrize("locale", LOCALES)
def test_a_skipped_promotion_reads_its_name_and_version(locale: str) -> None:
    said = render_code("promotion_skipped_budget", _params("promotion_skipped_budget"),
                       locale=locale, currency="EUR")
    assert "Happy hour" in said and " 3" in said


def test_an_id_with_nothing_left_to_name_it_reads_as_the_id() -> None:
    said = render_code("referral_referrer", {"points": 5, "member_id": 12},
                       locale="en_GB", currency="EUR")
    assert said == "Referral bonus: 5 points for inviting member #12."
    assert set(NAMED.values()) == {"source", "member", "reward", "series"}


def test_a_member_is_named_by_name_else_by_the_phone_ending() -> None:
    assert member_words("Anna", "Petrova", "+79001234567") == "Anna Petrova"
    assert member_words(None, "Petrova", None) == "Petrova"
    assert member_words(None, None, "+79001234567") == "\u2022\u2022\u20224567"
    assert member_words(None, None, None) is None
