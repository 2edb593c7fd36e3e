"""The rules of a rating and of the FAQ: bounds, the signed link of a receipt, how long a
rating may be changed, and the figures of a set of ratings. Pure; ``now`` is a parameter.

A rating is 1 to 5 with an optional comment of at most :data:`MAX_COMMENT` characters, one
per receipt. The member may change it for :data:`EDIT_WINDOW` after first giving it, and
only until the business answers it: after that the rating stands as answered.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_RATING = 1
MAX_RATING = 5
MAX_COMMENT = 1000
MAX_REPLY = 1000
MAX_QUESTION = 200
MAX_ANSWER = 2000
MAX_FAQ_ENTRIES = 100
EDIT_WINDOW = timedelta(days=7)


def editable(*, created_at: datetime, answered: bool, now: datetime) -> bool:
    """Whether a rating given at ``created_at`` may still be changed at ``now``."""
    return not answered and now < created_at + EDIT_WINDOW


def clean_comment(text: str | None) -> str | None:
    """The comment as kept: trimmed, ``None`` when empty. Raises ``ValueError`` past
    :data:`MAX_COMMENT`."""
    found = (text or "").strip()
    if len(found) > MAX_COMMENT:
        raise ValueError(f"at most {MAX_COMMENT} characters")
    return found or None


def rating_ok(rating: int) -> bool:
    return MIN_RATING <= rating <= MAX_RATING


def receipt_token(secret: str, *, tenant_id: int, receipt_id: int) -> str:
    """``<tenant>.<receipt>.<signature>``: whoever holds it may rate this receipt only."""
    return f"{tenant_id}.{receipt_id}.{_signature(secret, tenant_id, receipt_id)}"


def parse_token(token: str) -> tuple[int, int] | None:
    """The tenant and receipt a token names (not yet checked against the signature)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 18 for p in parts[:2]):
        return None
    return int(parts[0]), int(parts[1])


def token_holds(secret: str, token: str) -> bool:
    named = parse_token(token)
    if named is None:
        return False
    return hmac.compare_digest(_signature(secret, *named), token.rsplit(".", 1)[1])


def _signature(secret: str, tenant_id: int, receipt_id: int) -> str:
    return hmac.new(secret.encode(), f"feedback:{tenant_id}:{receipt_id}".encode(),
                    hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True)
class Figures:
    """Ratings of one group: how many, their sum (the average is ``sum / count``, shown
    rounded to a tenth), and how many of each value, 1 to 5."""

    count: int
    total: int
    distribution: tuple[int, int, int, int, int]

    @property
    def average_tenths(self) -> int | None:
        """The average in tenths (42 for 4.2), half up; ``None`` without ratings."""
        if not self.count:
            return None
        return (self.total * 20 + self.count) // (2 * self.count)


def figures(counts: Iterable[tuple[int, int]]) -> Figures:
    """The figures from ``(rating, how many)`` pairs."""
    spread = [0] * MAX_RATING
    for rating, n in counts:
        if rating_ok(rating):
            spread[rating - 1] += n
    return Figures(count=sum(spread), total=sum((i + 1) * n for i, n in enumerate(spread)),
                   distribution=(spread[0], spread[1], spread[2], spread[3], spread[4]))
