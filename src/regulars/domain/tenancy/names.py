"""What a code and a name given in the console, the admin API or the CLI may be; pure.

A code (a store's, a till's) travels where a name cannot: printed on till slips, typed into
import files, put in URLs and exported in CSV. So it is 1 to :data:`CODE_MAX_CHARS` Latin
letters, digits, ``-`` or ``_``: no spaces, no punctuation a CSV or URL must quote or escape,
no letters a till's keyboard or printer may lack. A name (a store's, a staff member's) is any
text of 1 to :data:`NAME_MAX_CHARS` characters once its surrounding spaces are gone; every
name is held to the one rule of :func:`checked_name`, with the same messages.
"""

from __future__ import annotations

import re

from regulars.errors import InvalidInput

CODE_MAX_CHARS = 32
NAME_MAX_CHARS = 200
_CODE = re.compile(rf"[A-Za-z0-9_-]{{1,{CODE_MAX_CHARS}}}")


def checked_code(code: str, *, empty: InvalidInput, wrong: InvalidInput) -> str:
    """``code`` without surrounding spaces; raises ``empty`` when nothing is left, ``wrong``
    when it breaks the rule above (each names the thing whose code it is)."""
    code = code.strip()
    if not code:
        raise empty
    if not _CODE.fullmatch(code):
        raise wrong
    return code


def checked_name(name: str) -> str:
    """``name`` without surrounding spaces; :class:`InvalidInput` on ``name`` when it is
    empty or longer than :data:`NAME_MAX_CHARS`."""
    name = name.strip()
    if not name:
        raise InvalidInput("enter a name", field="name")
    if len(name) > NAME_MAX_CHARS:
        raise InvalidInput("a name is at most 200 characters", field="name")
    return name
