"""Every message the pages, messages and explanations can show is translated into Russian,
Ukrainian and Bulgarian, with the same placeholders as its English source."""

from __future__ import annotations

from regulars import catalogs, i18n
from regulars.wording import render_code


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
