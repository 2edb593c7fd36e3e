"""Which of a purchase's reasons belong to which of its points entries.

A purchase that spends points and earns some writes two entries, and a member's history
shows each with its reasons: the spend entry those of the points spent (the spend limit,
the points paid, a reward claimed at the till for points), the earn entry all the others.
An entry that stands alone keeps every reason. A reason is a stored explanation:
``{"code": ..., "params": {...}}``.

Purchases recorded before the split gave both entries every reason: :func:`shown` splits
those when the history is read, so each reason shows once there too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Reason = Mapping[str, Any]

SPEND_REASONS = frozenset({"spend_limit", "points_spent", "reward_claimed"})


def of_spend(why: Sequence[Reason], *, earned: bool) -> list[Reason]:
    """The reasons a purchase's spend entry keeps: those of spending when an earn entry
    takes the rest (``earned``), else all."""
    return [w for w in why if not earned or w["code"] in SPEND_REASONS]


def of_earn(why: Sequence[Reason], *, spent: bool) -> list[Reason]:
    """The reasons a purchase's earn entry keeps: all but those of spending when a spend
    entry holds them (``spent``)."""
    return [w for w in why if not spent or w["code"] not in SPEND_REASONS]


@dataclass(frozen=True, kw_only=True, slots=True)
class Stored:
    """A points entry as a history reads it."""

    code: str
    receipt_id: int | None
    why: Sequence[Reason]


def shown(entries: Sequence[Stored]) -> list[list[Reason]]:
    """The reasons to show for each of ``entries`` (one page of a history, any order): a
    purchase's spend and earn entries that both hold every reason (as recorded before the
    split) are split as :func:`of_spend` and :func:`of_earn` split them. An earn entry that
    explains points spent had a spend entry; a spend entry whose twin is on another page
    splits when it explains points earned."""
    twins = {(e.receipt_id, _key(e.why)) for e in entries
             if e.code == "earn" and e.receipt_id is not None}
    found: list[list[Reason]] = []
    for e in entries:
        codes = {w["code"] for w in e.why}
        if e.code == "earn" and "points_spent" in codes:
            found.append(of_earn(e.why, spent=True))
        elif e.code == "spend" and ((e.receipt_id, _key(e.why)) in twins
                                    or _earned(e.why)):
            found.append(of_spend(e.why, earned=True))
        else:
            found.append(list(e.why))
    return found


def _earned(why: Sequence[Reason]) -> bool:
    return any(w["code"] == "points_earned" and int(w.get("params", {}).get("points", 0)) > 0
               for w in why)


def _key(why: Sequence[Reason]) -> str:
    return repr([(w["code"], sorted(dict(w.get("params", {})).items())) for w in why])
