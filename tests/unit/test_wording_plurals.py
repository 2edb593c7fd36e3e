"""A counted noun in an explanation takes the form its count asks for in each language: one
form in English and Bulgarian for 1 and another for the rest, and in Russian and Ukrainian
one form for 1, 21, …, another for 2–4, 22–24, …, and a third for 5–20, 25, 111, …"""

from __future__ import annotations

import re

import pytest

from regulars.text import catalogs
from regulars.text.wording import COUNTED, TEMPLATES, render_code

COUNTS = (1, 2, 5, 21, 22, 25, 111)
LOCALES = {"en": "en_GB", "ru": "ru_RU", "uk": "uk_UA", "bg": "bg_BG"}

RETURNED = {
    "en": ["1 point spent on the returned goods came back."]
          + [f"{n} points spent on the returned goods came back." for n in COUNTS[1:]],
    "ru": ["Возвращён 1 балл, потраченный на возвращённый товар.",
           "Возвращено 2 балла, потраченных на возвращённый товар.",
           "Возвращено 5 баллов, потраченных на возвращённый товар.",
           "Возвращён 21 балл, потраченный на возвращённый товар.",
           "Возвращено 22 балла, потраченных на возвращённый товар.",
           "Возвращено 25 баллов, потраченных на возвращённый товар.",
           "Возвращено 111 баллов, потраченных на возвращённый товар."],
    "uk": ["Повернуто 1 бал, витрачений на повернений товар.",
           "Повернуто 2 бали, витрачені на повернений товар.",
           "Повернуто 5 балів, витрачених на повернений товар.",
           "Повернуто 21 бал, витрачений на повернений товар.",
           "Повернуто 22 бали, витрачені на повернений товар.",
           "Повернуто 25 балів, витрачених на повернений товар.",
           "Повернуто 111 балів, витрачених на повернений товар."],
    "bg": ["1 точка, използвана за върнатите стоки, е възстановена."]
          + [f"{n} точки, използвани за върнатите стоки, са възстановени."
             for n in COUNTS[1:]],
}

WELCOME = {  # the noun alone: (1, 2, 5, 21, 22, 25, 111)
    "en": ["point", "points", "points", "points", "points", "points", "points"],
    "ru": ["балл", "балла", "баллов", "балл", "балла", "баллов", "баллов"],
    "uk": ["бал", "бали", "балів", "бал", "бали", "балів", "балів"],
    "bg": ["точка", "точки", "точки", "точки", "точки", "точки", "точки"],
}

STAMPS_ADDED = {
    "ru": ["добавлен 1 штамп", "добавлено 2 штампа", "добавлено 5 штампов",
           "добавлен 21 штамп", "добавлено 22 штампа", "добавлено 25 штампов",
           "добавлено 111 штампов"],
    "uk": ["додано 1 штамп", "додано 2 штампи", "додано 5 штампів", "додано 21 штамп",
           "додано 22 штампи", "додано 25 штампів", "додано 111 штампів"],
    "bg": ["добавен 1 печат"] + [f"добавени {n} печата" for n in COUNTS[1:]],
    "en": ["1 stamp added"] + [f"{n} stamps added" for n in COUNTS[1:]],
}


@pytest.mark.parametrize("language", LOCALES)
def test_returned_points_agree_with_their_count(language: str) -> None:
    said = [render_code("refund_returned", {"points": n}, locale=LOCALES[language],
                        currency="EUR") for n in COUNTS]
    assert said == RETURNED[language]


@pytest.mark.parametrize("language", LOCALES)
def test_a_bonus_names_its_points_in_the_form_of_the_count(language: str) -> None:
    said = [render_code("welcome", {"points": n}, locale=LOCALES[language], currency="EUR")
            for n in COUNTS]
    assert [text.rstrip(".").split()[-1] for text in said] == WELCOME[language]
    assert all(f" {n} " in text for n, text in zip(COUNTS, said, strict=True))


@pytest.mark.parametrize("language", LOCALES)
def test_stamps_added_to_a_card_agree_with_their_count(language: str) -> None:
    said = [render_code("stamp_progress", {"card": "Coffee", "added": n, "stamps": 3,
                                           "per_card": 10, "ready": 0},
                        locale=LOCALES[language], currency="EUR") for n in COUNTS]
    assert [phrase in text for phrase, text in zip(STAMPS_ADDED[language], said,
                                                   strict=True)] == [True] * len(COUNTS)


def test_spending_up_to_a_number_of_points_takes_the_genitive_in_russian() -> None:
    said = [render_code("spend_limit", {"max_points": n, "spendable_points": 500,
                                        "share_bp": 5000, "point_value_minor": 1},
                        locale="ru_RU", currency="RUB") for n in (1, 2, 5, 21)]
    assert [text.split(":")[0] for text in said] == [
        "Можно списать до 1 балла", "Можно списать до 2 баллов", "Можно списать до 5 баллов",
        "Можно списать до 21 балла"]


def test_a_negative_adjustment_takes_the_form_of_its_size() -> None:
    assert render_code("adjust", {"points": -2, "reason": "x"}, locale="ru_RU",
                       currency="RUB") == "Ручная корректировка на -2 балла: x."
    assert render_code("adjust", {"points": -1, "reason": "x"}, locale="en_GB",
                       currency="EUR") == "Manual adjustment of -1 point: x."


def test_the_sentence_for_one_has_the_placeholders_of_the_plural() -> None:
    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    for code, (count, one) in COUNTED.items():
        assert count in names(one), code
        assert names(one) == names(TEMPLATES["en"][code]), code


def test_every_counted_sentence_has_every_plural_form_in_the_catalogs() -> None:
    plural = {message.id for message in catalogs.extract() if isinstance(message.id, tuple)}
    assert {(one, TEMPLATES["en"][code]) for code, (_, one) in COUNTED.items()} <= plural
    assert catalogs.check() == []


@pytest.mark.parametrize(("language", "rule"), [
    ("en", "spending starts at a balance of 100 points, and the spendable balance is 60"),
    ("ru", "списывать можно с баланса 100 баллов, а доступно к списанию 60"),
    ("uk", "списувати можна з балансу 100 балів, а доступно до списання 60"),
    ("bg", "използването започва от баланс 100 точки, а наличните за използване са 60"),
])
def test_a_balance_below_the_least_to_spend_names_that_rule_not_up_to_nothing(
        language: str, rule: str) -> None:
    params = {"max_points": 0, "spendable_points": 60, "share_bp": 3000,
              "point_value_minor": 100, "min_balance_points": 100}
    text = render_code("spend_limit", params, locale=LOCALES[language], currency="EUR")
    assert rule in text.replace("\u00a0", " ")
    assert "0" not in text.replace("100", "").replace("60", "")


def test_a_limit_of_nothing_for_another_reason_keeps_the_share_sentence() -> None:
    params = {"max_points": 0, "spendable_points": 600, "share_bp": 3000,
              "point_value_minor": 100, "min_balance_points": 100}
    text = render_code("spend_limit", params, locale="en_GB", currency="EUR")
    assert text.startswith("Up to 0 points can be spent here: spendable balance 600")
