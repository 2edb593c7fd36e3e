"""Control groups in the pure domain: a stable, reproducible assignment and the share it
holds back."""

from __future__ import annotations

import subprocess
import sys

import pytest

from regulars.domain.promotions.control_groups import Group, group_of, slot_of
from regulars.domain.promotions.promotions import BonusPoints, Promotion

SEED = "5eed" * 8


def test_the_assignment_is_stable_and_reproducible_in_a_fresh_process() -> None:
    slots = [slot_of(seed=SEED, promotion_id=7, member_id=m) for m in range(1, 21)]
    assert slots == [slot_of(seed=SEED, promotion_id=7, member_id=m) for m in range(1, 21)]
    assert all(0 <= s < 10_000 for s in slots)
    script = ("from regulars.domain.promotions.control_groups import slot_of; "
              f"print([slot_of(seed={SEED!r}, promotion_id=7, member_id=m) "
              "for m in range(1, 21)])")
    fresh = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                           text=True)
    assert fresh.stdout.strip() == str(slots)


def test_the_seed_and_the_promotion_change_the_assignment() -> None:
    base = [slot_of(seed=SEED, promotion_id=7, member_id=m) for m in range(100)]
    assert base != [slot_of(seed="other", promotion_id=7, member_id=m) for m in range(100)]
    assert base != [slot_of(seed=SEED, promotion_id=8, member_id=m) for m in range(100)]


def test_a_ten_percent_share_holds_back_about_a_tenth() -> None:
    control = sum(group_of(seed=SEED, promotion_id=3, member_id=m, control_share_bp=1000)
                  is Group.CONTROL for m in range(1, 1001))
    assert 70 <= control <= 130


def test_no_share_holds_back_nobody_and_a_larger_share_keeps_the_smaller_ones() -> None:
    assert {group_of(seed=SEED, promotion_id=3, member_id=m, control_share_bp=0)
            for m in range(500)} == {Group.TEST}
    small = {m for m in range(500) if group_of(seed=SEED, promotion_id=3, member_id=m,
                                               control_share_bp=1000) is Group.CONTROL}
    large = {m for m in range(500) if group_of(seed=SEED, promotion_id=3, member_id=m,
                                               control_share_bp=3000) is Group.CONTROL}
    assert small < large


def test_a_promotion_validates_its_control_share() -> None:
    def make(share: int, segment_id: int | None = 1) -> Promotion:
        return Promotion(id=1, version=1, name="P", effects=(BonusPoints(points=5),),
                         segment_id=segment_id, control_share_bp=share, control_seed=SEED)

    assert make(5000).group_of(42) is group_of(seed=SEED, promotion_id=1, member_id=42,
                                               control_share_bp=5000)
    with pytest.raises(ValueError, match="control_share_bp"):
        make(5001)
    with pytest.raises(ValueError, match="control_share_bp"):
        make(-1)
    with pytest.raises(ValueError, match="control_share_bp"):
        make(1000, segment_id=None)
    assert make(0, segment_id=None).group_of(42) is Group.TEST
