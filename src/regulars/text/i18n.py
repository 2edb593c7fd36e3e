"""Languages: gettext catalogs for the web pages, messages and the program's terms.

The catalogs are the ``.po`` files under ``regulars/text/locales/<language>/LC_MESSAGES/``; they
are compiled in memory with Babel the first time a language is asked for, so no build step
and no binary files are needed. English is the source language: an English catalog may stay
empty, and a message missing from another catalog falls back to its English text.

Choosing the language: the member's or staff member's own choice, else the tenant's locale,
else English. Formatting (money, numbers, dates) uses a full locale for that language: the
tenant's own when it speaks the same language (``ru_RU`` vs ``ru_UA``), else the language's
usual one.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).with_name("locales")
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "uk": "Українська",
                             "bg": "Български"}
DEFAULT_LOCALE = {"en": "en_GB", "ru": "ru_RU", "uk": "uk_UA", "bg": "bg_BG"}


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs where it is chosen, to be translated where shown."""
    return message


def language_of(locale: str | None) -> str | None:
    """The supported language of ``locale`` (``"ru_RU"`` → ``"ru"``), or None."""
    if not locale:
        return None
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else None


def choose(*, own: str | None, tenant_locale: str) -> tuple[str, str]:
    """(language, formatting locale) for a reader with ``own`` choice in a tenant."""
    language = language_of(own) or language_of(tenant_locale) or "en"
    if language_of(tenant_locale) == language:
        return language, tenant_locale.replace("-", "_")
    return language, DEFAULT_LOCALE[language]


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> NullTranslations:
    """The compiled catalog of ``language`` (English and unknown languages: no translation)."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(language: str, message: str, /, **params: object) -> str:
    """``message`` translated into ``language``, with ``%(name)s`` placeholders filled."""
    text = translations(language).gettext(message)
    return text % params if params else text


translate = gettext
"""``translate(language, message, **params)``: the name services use, so the catalog tools
know its message is the second argument."""


def ngettext(language: str, singular: str, plural: str, count: int, /,
             **params: object) -> str:
    text = translations(language).ngettext(singular, plural, count)
    return text % {"num": count, **params}
