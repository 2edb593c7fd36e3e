"""Coupon codes and the rules for using one; pure.

A code is 15 payload characters of Crockford base32 (``0-9`` and ``A-Z`` without I, L, O, U:
75 random bits) and one check character, printed in groups of four: ``XXXX-XXXX-XXXX-XXXX``.

The check is a weighted sum modulo 37: ``check = Σ (i + 1) · value(payload[i]) mod 37``. As 37
is prime and every weight and every difference of two symbol values lies between 1 and 36,
a change of any one character changes the sum, and so does swapping two adjacent different
characters (the weights differ by one). Only codes whose check falls inside the 32 readable
symbols are issued (issuing rejects the rest; 74.8 bits are left), so the printed check is
always readable and a typed check outside the alphabet is simply wrong.

Input is normalised before it is checked: upper case, spaces and dashes dropped, O read as 0,
I and L as 1.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from regulars.domain.promotions.effects import Effect, IssueCoupon

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAYLOAD_CHARS = 15
CODE_CHARS = PAYLOAD_CHARS + 1
GROUP_CHARS = 4
CHECK_MODULUS = 37
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_NORMALISE = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def check_value(payload: str) -> int:
    """The mod-37 check of ``payload`` (canonical characters only)."""
    return sum((i + 1) * _VALUE[c] for i, c in enumerate(payload)) % CHECK_MODULUS


def normalise(text: str) -> str:
    return text.upper().translate(_NORMALISE)


class Problem(StrEnum):
    MALFORMED = "malformed"  # wrong length or a character outside the alphabet
    CHECK = "check"  # the check character does not match


def parse(text: str) -> str | Problem:
    """The canonical 16-character code ``text`` stands for, or why it cannot be one."""
    code = normalise(text)
    if len(code) != CODE_CHARS or any(c not in _VALUE for c in code):
        return Problem.MALFORMED
    if _VALUE[code[-1]] != check_value(code[:-1]):
        return Problem.CHECK
    return code


def new_code() -> str:
    """A fresh canonical code from :mod:`secrets` whose check is a readable symbol."""
    while True:
        bits = secrets.randbits(5 * PAYLOAD_CHARS)
        payload = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(PAYLOAD_CHARS))
        check = check_value(payload)
        if check < len(ALPHABET):
            return payload + ALPHABET[check]


def grouped(code: str) -> str:
    return "-".join(code[i:i + GROUP_CHARS] for i in range(0, len(code), GROUP_CHARS))


def digest(secret: bytes, code: str) -> str:
    """The keyed hash a canonical code is stored as (HMAC-SHA256, hex)."""
    return hmac.new(secret, code.encode("ascii"), hashlib.sha256).hexdigest()


# Using a code ---------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Series:
    id: int
    name: str
    effect: Effect
    max_uses: int  # per code; 1: single-use
    starts_on: date | None = None  # local dates, inclusive
    ends_on: date | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name must not be empty")
        if self.max_uses < 1:
            raise ValueError("max_uses must be at least 1")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        if isinstance(self.effect, IssueCoupon):
            raise ValueError("effect: a coupon cannot issue another coupon")

    def valid_on(self, day: date) -> bool:
        return ((self.starts_on is None or self.starts_on <= day)
                and (self.ends_on is None or day <= self.ends_on))


@dataclass(frozen=True, kw_only=True)
class CodeState:
    """A stored code as a checkout sees it: its uses and the live holds of other tills."""

    id: int
    series: Series
    member_id: int | None  # bound to this member only; None: anyone
    uses: int
    held_by_others: int
    # The code's own number of uses: the series' unless a refund voided it (0).
    max_uses: int | None = None


class Refusal(StrEnum):
    NOT_YET = "coupon_not_yet_valid"
    EXPIRED = "coupon_expired"
    NOT_YOURS = "coupon_not_yours"
    USED = "coupon_used"


def refusal(state: CodeState, *, member_id: int | None, day: date) -> Refusal | None:
    """Why the code cannot be used on a receipt of ``member_id`` on local ``day``, if so."""
    series = state.series
    if series.starts_on is not None and day < series.starts_on:
        return Refusal.NOT_YET
    if series.ends_on is not None and day > series.ends_on:
        return Refusal.EXPIRED
    if state.member_id is not None and state.member_id != member_id:
        return Refusal.NOT_YOURS
    most = series.max_uses if state.max_uses is None else state.max_uses
    if state.uses + state.held_by_others >= most:
        return Refusal.USED
    return None


@dataclass(frozen=True, kw_only=True)
class CouponOffer:
    """A code accepted for a receipt: the engine applies its series' effect."""

    code_id: int
    series: Series
