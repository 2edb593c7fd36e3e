"""Experiments and the programme holdout: who gets which promotion, decided by a hash.

Assignment is stable and needs no storage: HMAC-SHA256 under the tenant's secret over a
message that names what is being decided (``"experiment:<id>:<member id>"`` or
``"holdout:<member id>"``), read as a big-endian integer. A member's variant is that number
modulo the count of variants (equal shares); a member is in the holdout when it, modulo
10,000, is below the holdout's share in basis points. Changing the share moves only the
members between the old and the new boundary; different experiments, and the holdout, are
independent of each other because their messages differ.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from regulars.domain.money import BASIS_POINTS

MAX_HOLDOUT_BP = 5000
MIN_VARIANTS = 2
MAX_VARIANTS = 10


def _number(key: bytes, message: str) -> int:
    return int.from_bytes(hmac.new(key, message.encode(), hashlib.sha256).digest(), "big")


def variant_of(key: bytes, *, experiment_id: int, member_id: int, variants: int) -> int:
    """The member's variant, ``0..variants-1``."""
    if variants < 1:
        raise ValueError("an experiment has at least one variant")
    return _number(key, f"experiment:{experiment_id}:{member_id}") % variants


def in_holdout(key: bytes, *, member_id: int, share_bp: int) -> bool:
    """Whether the member is in a holdout of ``share_bp``; nobody is with a share of 0."""
    if share_bp <= 0:
        return False
    return _number(key, f"holdout:{member_id}") % BASIS_POINTS < share_bp


@dataclass(frozen=True, kw_only=True)
class Arm:
    """A promotion's place in a running experiment."""

    experiment_id: int
    position: int
    variants: int


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What checkout must honour for one tenant: its holdout and the promotions that are
    variants of running experiments. A receipt without a member is in no holdout and gets an
    experiment's first variant (the baseline)."""

    key: bytes = b""
    holdout_bp: int = 0
    arms: dict[int, Arm] = field(default_factory=dict)  # promotion id -> its arm

    @property
    def empty(self) -> bool:
        return self.holdout_bp <= 0 and not self.arms

    def held_out(self, member_id: int | None) -> bool:
        return member_id is not None and in_holdout(self.key, member_id=member_id,
                                                    share_bp=self.holdout_bp)

    def allows(self, promotion_id: int, member_id: int | None) -> bool:
        """Whether a promotion may apply to this member's receipt, as far as experiments go
        (the holdout is asked separately, once per receipt)."""
        arm = self.arms.get(promotion_id)
        if arm is None:
            return True
        if member_id is None:
            return arm.position == 0
        return variant_of(self.key, experiment_id=arm.experiment_id, member_id=member_id,
                          variants=arm.variants) == arm.position


NO_PLAN = Plan()
