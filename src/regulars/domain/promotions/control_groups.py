"""Control groups: a targeted promotion may hold back a share of its segment to measure what
it does.

Assignment is stable and reproducible without storage: HMAC-SHA256, keyed by the promotion's
own seed, over ``"<promotion id>:<member id>"``, read as a big-endian integer and reduced to a
slot in ``0..9999``; a member whose slot is below ``control_share_bp`` is in the control group.
Changing the share moves only the members between the old and the new boundary; the seed
keeps two promotions' control groups independent of each other.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from regulars.domain.money import BASIS_POINTS

MAX_CONTROL_SHARE_BP = 5000


class Group(StrEnum):
    TEST = "test"
    CONTROL = "control"


def slot_of(*, seed: str, promotion_id: int, member_id: int) -> int:
    """The member's slot for the promotion, in ``0..9999``."""
    digest = hmac.new(seed.encode(), f"{promotion_id}:{member_id}".encode(),
                      hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % BASIS_POINTS


def group_of(*, seed: str, promotion_id: int, member_id: int, control_share_bp: int) -> Group:
    """Which group the member falls in; with a share of 0 everyone is in the test group."""
    if control_share_bp <= 0:
        return Group.TEST
    slot = slot_of(seed=seed, promotion_id=promotion_id, member_id=member_id)
    return Group.CONTROL if slot < control_share_bp else Group.TEST
