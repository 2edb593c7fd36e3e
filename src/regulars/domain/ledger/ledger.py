"""Pure rules of the points ledger.

An entry is a balanced set of postings (they sum to zero). A member's points live in lots,
each with the time it becomes spendable and the time it expires; spending takes from the
soonest-expiring spendable lots first (FEFO), never-expiring lots last. Reversals take back from
the lot an accrual created first, then FEFO from the rest, and only then, if the program allows
it, leave the member in debt.

    a member's balance = sum of its postings = sum of its open lots - its debt
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EntryCode(StrEnum):
    EARN = "earn"
    SPEND = "spend"
    WELCOME = "welcome"
    EXPIRE = "expire"
    REFUND_EARN = "refund_earn"
    REFUND_SPEND = "refund_spend"
    VOID = "void"
    ADJUST = "adjust"
    MERGE = "merge"
    REFERRAL = "referral"
    REFERRAL_REVERSAL = "referral_reversal"
    BIRTHDAY = "birthday"
    PROFILE = "profile"
    EVENT = "event"
    # Stored value (money): a certificate issued or a wallet topped up, a tender paid with
    # either, a tender returned by a refund, a certificate deactivated.
    ISSUE = "issue"
    TOP_UP = "top_up"
    TENDER = "tender"
    REFUND_TENDER = "refund_tender"
    DEACTIVATE = "deactivate"
    # Cashback: money a purchase returns into the member's wallet, and its refund.
    CASHBACK = "cashback"
    REFUND_CASHBACK = "refund_cashback"


class SystemAccount(StrEnum):
    """Tenant-level counter-accounts: where points come from and where they go."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    ADJUSTED = "adjusted"


@dataclass(frozen=True)
class Posting:
    """``amount`` points into ``account`` (negative: out of it)."""

    account: str | int
    amount: int


def check_balanced(postings: Sequence[Posting]) -> None:
    """Raise ``ValueError`` unless the postings are non-empty, non-zero and sum to zero."""
    if not postings:
        raise ValueError("an entry needs postings")
    if 0 in [p.amount for p in postings]:
        raise ValueError("a posting of zero points is not allowed")
    if sum([p.amount for p in postings]) != 0:
        raise ValueError("postings do not balance")


@dataclass(frozen=True, kw_only=True)
class Lot:
    id: int
    remaining: int
    available_at: datetime
    expires_at: datetime | None


def spendable_lots(lots: Iterable[Lot], now: datetime) -> list[Lot]:
    """Lots that may be spent at ``now``, soonest to expire first (never-expiring last, then
    oldest first)."""
    usable = [
        lot for lot in lots
        if lot.remaining > 0 and lot.available_at <= now
        and (lot.expires_at is None or lot.expires_at > now)
    ]
    return sorted(usable, key=lambda lot: (lot.expires_at is None, lot.expires_at or now, lot.id))


def take_fefo(lots: Iterable[Lot], points: int, now: datetime) -> list[tuple[int, int]]:
    """(lot id, points) to take for spending ``points`` at ``now``, soonest-expiring first.

    Raises ``ValueError`` if the spendable lots hold fewer than ``points``.
    """
    if points <= 0:
        raise ValueError("points to take must be positive")
    taken: list[tuple[int, int]] = []
    left = points
    for lot in spendable_lots(lots, now):
        part = min(left, lot.remaining)
        taken.append((lot.id, part))
        left -= part
        if left == 0:
            return taken
    raise ValueError(f"spendable lots are {left} points short")


@dataclass(frozen=True, kw_only=True)
class Reversal:
    """How ``points`` are taken back from a member: from lots, and any rest as new debt."""

    from_lots: tuple[tuple[int, int], ...]
    debt: int


def plan_reversal(lots: Iterable[Lot], points: int, origin_lot_id: int | None,
                  now: datetime) -> Reversal:
    """Take ``points`` back: from the lot the accrual created, then from any other open lot
    (pending ones included, soonest-expiring first), and the rest as debt.

    Expired-but-not-yet-processed lots are left for the expiry run, so a reversal never takes
    points the member could no longer spend anyway and then expires them a second time.
    """
    if points <= 0:
        raise ValueError("points to reverse must be positive")
    pool = [lot for lot in lots
            if lot.remaining > 0 and (lot.expires_at is None or lot.expires_at > now)]
    ordered = sorted(pool, key=lambda lot: (
        lot.id != origin_lot_id, lot.expires_at is None, lot.expires_at or now, lot.id))
    taken: list[tuple[int, int]] = []
    left = points
    for lot in ordered:
        if left == 0:
            break
        part = min(left, lot.remaining)
        taken.append((lot.id, part))
        left -= part
    return Reversal(from_lots=tuple(taken), debt=left)


def settle_debt(debt: int, credit: int) -> tuple[int, int]:
    """(debt repaid, points left for a new lot) when ``credit`` points arrive to a member who
    owes ``debt``."""
    repaid = min(debt, credit)
    return repaid, credit - repaid


def expiry_key(account_id: int, first_lot_id: int, *, expired_before: int) -> str:
    """The idempotency key of the expire entry of ``account_id`` whose lowest lot is
    ``first_lot_id``.

    ``expired_before`` is what expiry had taken from that lot before this entry: zero the first
    time (``expire:<account>:lot:<lot>``), and strictly more at each later expiry of the same
    lot (a refund that refilled it; ``...:after:<points>``), so one lot in one state can expire
    once only. The account leads so that a run, which goes in account order, adds its keys to
    one end of the key index instead of all over it.
    """
    key = f"expire:{account_id}:lot:{first_lot_id}"
    return key if expired_before == 0 else f"{key}:after:{expired_before}"


def expiry_memo(lots: Sequence[tuple[int, int]]) -> dict[str, object]:
    """What an expire entry explains: each (lot id, points) it expired, lowest id first, and
    the total."""
    points = sum(part for _, part in lots)
    return {"lots": [[lot_id, part] for lot_id, part in sorted(lots)],
            "why": [{"code": "expire", "params": {"points": points}}]}
