"""Every message the pages, messages and explanations can show is translated into Russian,
Ukrainian and Bulgarian, with the same placeholders as its English source."""

from __future__ import annotations

from regulars.text import catalogs, i18n
from regulars.text.wording import render_code


def test_every_catalog_is_complete() -> None:
    assert catalogs.check() == []  # `uv run regulars i18n update`, then translate


def test_the_catalogs_are_used() -> None:
    assert [i18n.gettext(lang, "Sign in") for lang in ("en", "ru", "uk", "bg")] == [
        "Sign in", "Войти", "Увійти", "Вход"]
    assert render_code("welcome", {"points": 1500}, locale="uk_UA", currency="UAH") \
        != render_code("welcome", {"points": 1500}, locale="en_GB", currency="UAH")


def test_languages_fall_back_to_the_business_s_then_english() -> None:
    assert i18n.choose(own=None, tenant_locale="ru_RU") == ("ru", "ru_RU")
    assert i18n.choose(own="bg", tenant_locale="ru_RU") == ("bg", "bg_BG")
    assert i18n.choose(own="uk", tenant_locale="uk_UA") == ("uk", "uk_UA")
    assert i18n.choose(own="de", tenant_locale="fr_FR") == ("en", "en_GB")


def test_error_messages_with_numbers_read_in_the_reader_s_language() -> None:
    from regulars.errors import CodeRefused
    from regulars.web.forms import errors_of
    from regulars.web.templating import Reader

    refused = CodeRefused("the code is wrong (%(left)s attempts left)", field="code",
                          params={"left": 4})
    assert refused.detail == "the code is wrong (4 attempts left)"  # what the API says
    russian = Reader(language="ru", locale="ru_RU", currency="RUB", timezone="UTC")
    assert errors_of(refused, russian) == {"code": "код неверный (осталось попыток: 4)"}
