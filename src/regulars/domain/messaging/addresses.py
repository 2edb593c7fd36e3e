"""What passes for an e-mail address wherever one is typed (the business's, a staff member's,
a test send's): something, an @, a domain with a dot, no spaces. Whether it exists is for the
mail server to say. And how a phone number shows where the whole of it would be personal data
(a page naming a member, a log line): its last four digits after dots."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
"""Use with ``fullmatch``."""


def masked_phone(phone: str) -> str:
    """``•••4567`` for ``+447911124567``: enough to tell members apart, not to reach one."""
    return "\u2022\u2022\u2022" + phone[-4:]
