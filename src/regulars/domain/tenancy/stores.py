"""What a store's code and name may be; pure.

A store's code travels where a name cannot: printed on till slips, typed into import files'
``store`` column, put in URLs and exported in CSV. So it is 1 to :data:`CODE_MAX_CHARS` Latin
letters, digits, ``-`` or ``_``: no spaces, no punctuation a CSV or URL must quote or escape,
no letters a till's keyboard or printer may lack. The code never changes once given (import
files and other systems name the store by it); the name may.

Two stores of one business may not share a name in any mix of upper and lower case or spacing:
:func:`folded_name` is the form their unique index compares.
"""

from __future__ import annotations

import re

from regulars.errors import InvalidInput

CODE_MAX_CHARS = 32
NAME_MAX_CHARS = 200
_CODE = re.compile(rf"[A-Za-z0-9_-]{{1,{CODE_MAX_CHARS}}}")


def checked_code(code: str) -> str:
    """``code`` without surrounding spaces; :class:`InvalidInput` on ``code`` when it breaks
    the rule above."""
    code = code.strip()
    if not code:
        raise InvalidInput("enter a code for the store", field="code")
    if not _CODE.fullmatch(code):
        raise InvalidInput("a store code is 1 to 32 Latin letters, digits, - or _, "
                           "without spaces", field="code")
    return code


def checked_name(name: str) -> str:
    """``name`` without surrounding spaces; :class:`InvalidInput` on ``name`` when it is
    empty or longer than :data:`NAME_MAX_CHARS`."""
    name = name.strip()
    if not name:
        raise InvalidInput("enter a name for the store", field="name")
    if len(name) > NAME_MAX_CHARS:
        raise InvalidInput("a store name is at most 200 characters", field="name")
    return name


def folded_name(name: str) -> str:
    """The name as duplicates are found: case-folded (Cyrillic and accented letters too, which
    SQLite's ``lower()`` leaves alone) with runs of spaces made one."""
    return " ".join(name.split()).casefold()[:NAME_MAX_CHARS]
