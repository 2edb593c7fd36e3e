"""The program's terms as sentences in a reader's language: the console's preview, the
customer page and the terminal all say the same thing.

:func:`regulars.domain.program.terms.terms` gives English source messages with typed values; here
each message goes through the language's catalog and each value through Babel for the locale.
"""

from __future__ import annotations

from babel.numbers import format_decimal

from regulars.domain.program.program import Program
from regulars.domain.program.readability import Readability, readability
from regulars.domain.program.terms import Money, Param, Percent, Term, terms
from regulars.text import i18n
from regulars.text.wording import money, percent


def _formatted(value: Param, *, locale: str, currency: str) -> str:
    if isinstance(value, Money):
        return money(value.amount_minor, currency, locale)
    if isinstance(value, Percent):
        return percent(value.rate_bp, locale)
    if isinstance(value, int):
        return str(format_decimal(value, locale=locale))
    return value


def sentence(term: Term, *, language: str, locale: str, currency: str) -> str:
    params = {name: _formatted(value, locale=locale, currency=currency)
              for name, value in term.params}
    if term.plural is not None and term.count is not None:
        count = term.param(term.count)
        assert isinstance(count, int)
        return i18n.ngettext(language, term.message, term.plural, count, **params)
    return i18n.gettext(language, term.message, **params)


def sentences(program: Program, *, language: str, locale: str, currency: str) -> list[str]:
    """The terms of ``program`` in ``language``, values formatted for ``locale``."""
    return [sentence(term, language=language, locale=locale, currency=currency)
            for term in terms(program)]


def readability_by_language(program: Program, *, currency: str) -> list[Readability]:
    """How the terms of ``program`` read in each language the pages speak (values formatted
    for the language itself); the core rule is the sentence of each level."""
    return [readability(sentences(program, language=language, locale=language,
                                  currency=currency),
                        language=language, core_sentences=len(program.levels))
            for language in i18n.LANGUAGES]
