"""Printed codes shared by coupons and gift certificates; pure.

A code is 15 payload characters of Crockford base32 (``0-9`` and ``A-Z`` without I, L, O, U:
75 random bits) and one check character, printed in groups of four: ``XXXX-XXXX-XXXX-XXXX``.

The check is a weighted sum modulo 37: ``check = Σ (i + 1) · value(payload[i]) mod 37``. As 37
is prime and every weight and every difference of two symbol values lies between 1 and 36,
a change of any one character changes the sum, and so does swapping two adjacent different
characters (the weights differ by one). Only codes whose check falls inside the 32 readable
symbols are issued (issuing rejects the rest; 74.8 bits are left), so the printed check is
always readable and a typed check outside the alphabet is simply wrong.

Input is normalised before it is checked: upper case, spaces and dashes dropped, O read as 0,
I and L as 1. Codes are stored only as keyed digests (:func:`digest`).
"""

from __future__ import annotations

import hmac
import secrets
from enum import StrEnum
from operator import mul

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAYLOAD_CHARS = 15
CODE_CHARS = PAYLOAD_CHARS + 1
GROUP_CHARS = 4
CHECK_MODULUS = 37
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_SYMBOLS = frozenset(ALPHABET)
_NORMALISE = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def check_value(payload: str) -> int:
    """The mod-37 check of ``payload`` (canonical characters only)."""
    # Σ (i + 1) · value(payload[i]), summed in C: a till presenting a code parses it.
    total: int = sum(map(mul, range(1, len(payload) + 1), map(_VALUE.__getitem__, payload)))
    return total % CHECK_MODULUS


def normalise(text: str) -> str:
    return text.upper().translate(_NORMALISE)


class Problem(StrEnum):
    MALFORMED = "malformed"  # wrong length or a character outside the alphabet
    CHECK = "check"  # the check character does not match


def parse(text: str) -> str | Problem:
    """The canonical 16-character code ``text`` stands for, or why it cannot be one."""
    code = normalise(text)
    if len(code) != CODE_CHARS or not _SYMBOLS.issuperset(code):
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
    return hmac.digest(secret, code.encode("ascii"), "sha256").hex()


def fresh_codes(count: int) -> list[str]:
    """``count`` distinct new codes, sorted. 75 random bits each: a collision among even
    billions of codes is not to be expected; a unique index on the digests refuses one rather
    than issue a shared code."""
    found = {new_code() for _ in range(count)}
    while len(found) < count:
        found.add(new_code())
    return sorted(found)
