"""What a store's code and name may be; pure.

A store's code follows the rule of every code (:mod:`regulars.domain.tenancy.names`): it is
printed on till slips, typed into import files' ``store`` column, put in URLs and exported in
CSV. The code never changes once given (import files and other systems name the store by it);
the name may, and is held to the rule of every name.

Two stores of one business may not share a name in any mix of upper and lower case or spacing:
:func:`folded_name` is the form their unique index compares.
"""

from __future__ import annotations

from regulars.domain.tenancy import names
from regulars.domain.tenancy.names import CODE_MAX_CHARS as CODE_MAX_CHARS
from regulars.domain.tenancy.names import NAME_MAX_CHARS as NAME_MAX_CHARS
from regulars.domain.tenancy.names import checked_name as checked_name
from regulars.errors import InvalidInput


def checked_code(code: str) -> str:
    """``code`` without surrounding spaces; :class:`InvalidInput` on ``code`` when it breaks
    the rule of every code."""
    return names.checked_code(
        code, empty=InvalidInput("enter a code for the store", field="code"),
        wrong=InvalidInput("a store code is 1 to 32 Latin letters, digits, - or _, "
                           "without spaces", field="code"))


def folded_name(name: str) -> str:
    """The name as duplicates are found: case-folded (Cyrillic and accented letters too, which
    SQLite's ``lower()`` leaves alone) with runs of spaces made one."""
    return " ".join(name.split()).casefold()[:NAME_MAX_CHARS]
