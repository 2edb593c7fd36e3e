"""Keeping the gettext catalogs in step with the code: ``regulars i18n update`` and
``regulars i18n check``.

Messages come from three places: ``_()``/``gettext()``/``ngettext()`` calls in the templates,
``gettext``/``N_``/``translate`` calls in Python (``translate(language, message)`` takes its
message second), the constant messages of errors (``InvalidInput("...")``), which the pages
translate when they show them, and the English sentence templates of
:mod:`regulars.text.wording`, whose keys are codes rather than calls (a sentence with a counted noun
is a plural message, its forms chosen by the count). ``update`` adds new messages
to every catalog (keeping existing translations) and drops the ones no longer used;
``check`` lists every message a catalog does not translate, and every translation whose
placeholders differ from its source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from regulars.text import i18n

PACKAGE = Path(__file__).parent.parent  # the regulars package: templates and code
KEYWORDS: dict[str, Any] = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None,
                               "translate": (2,)}


def _error_keywords() -> dict[str, Any]:
    """Every error class (the models' refusals too): its first argument, when a plain
    string, is a message the pages show next to a field or in place of a fit
    (:func:`regulars.web.forms.errors_of` translates it)."""
    from regulars import errors
    from regulars.analytics import errors as model_errors

    found: dict[str, Any] = {}
    for module in (errors, model_errors):
        for name in dir(module):
            kind = getattr(module, name)
            if isinstance(kind, type) and issubclass(kind, errors.RegularsError):
                found[name] = None
    return found


METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def _wording_messages() -> Iterator[tuple[str | tuple[str, str], str]]:
    from regulars.text import wording

    for code, template in wording.TEMPLATES["en"].items():
        counted = wording.COUNTED.get(code)
        yield (counted[1], template) if counted else template, f"wording.py:{code}"
    for word in wording.WORDS["en"].values():
        yield word, "wording.py:words"


def extract() -> Catalog:
    """Every message the code can show, with where it comes from."""
    catalog = Catalog(project="regulars", charset="utf-8")
    for filename, lineno, message, comments, _context in extract_from_dir(
            PACKAGE, METHODS, keywords={**KEYWORDS, **_error_keywords()},
            strip_comment_tags=True):
        if filename.startswith(("text/locales", "text/catalogs.py")):
            continue
        catalog.add(message, locations=[(filename, lineno)], auto_comments=comments)
    for message, where in _wording_messages():
        catalog.add(message, locations=[(where, 0)])
    return catalog


def _path(language: str) -> Path:
    return i18n.LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


def _read(language: str) -> Catalog:
    path = _path(language)
    if not path.exists():
        return Catalog(locale=language, project="regulars", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def update() -> dict[str, int]:
    """Bring every translated language's catalog up to date; {language: untranslated}."""
    template = extract()
    counts = {}
    for language in i18n.LANGUAGES:
        if language == "en":
            continue
        catalog = _read(language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path = _path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
        counts[language] = sum(1 for m in catalog if m.id and not _translated(m.string))
    i18n.translations.cache_clear()
    return counts


def _translated(value: object) -> bool:
    if isinstance(value, tuple | list):
        return all(value)
    return bool(value)


def _names(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def _texts(value: object) -> list[str]:
    if isinstance(value, tuple | list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def check() -> list[str]:
    """Problems: codes a page can show with no label (:mod:`regulars.text.labels`), messages
    missing from a catalog or untranslated, and placeholders that do not match their
    source."""
    from regulars.text import labels

    template = extract()
    problems = [f"no label for the code {code}" for code in labels.missing()]
    for language in i18n.LANGUAGES:
        if language == "en":
            continue
        catalog = _read(language)
        for message in template:
            if not message.id:
                continue
            found = catalog.get(message.id)
            if found is None or not _translated(found.string):
                problems.append(f"{language}: not translated: {message.id!r}")
                continue
            wanted = set().union(*(_names(s) for s in _texts(message.id)))
            for string in _texts(found.string):
                if not _names(string) <= wanted | {"num"}:
                    problems.append(f"{language}: placeholders differ: {message.id!r}")
    return problems
