"""What a till's code may be; pure: the rule of every code
(:mod:`regulars.domain.tenancy.names`), as a store's, since it is printed on slips, named in
receipts' exports and put in the till key's label."""

from __future__ import annotations

from regulars.domain.tenancy import names
from regulars.errors import InvalidInput


def checked_code(code: str) -> str:
    """``code`` without surrounding spaces; :class:`InvalidInput` on ``code`` when it breaks
    the rule of every code."""
    return names.checked_code(
        code, empty=InvalidInput("enter a code for the till", field="code"),
        wrong=InvalidInput("a till code is 1 to 32 Latin letters, digits, - or _, "
                           "without spaces", field="code"))
