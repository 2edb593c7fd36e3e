"""Holds one call after another: a quote reserves points, a commit captures them, a release or
the hold's time-out frees them."""

from __future__ import annotations

import pytest

from regulars.errors import NotFound, RedemptionRefused
from regulars.services.checkout import checkout
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line

BIG = (line("espresso machine", 400_000),)


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Hold Café"))


@pytest.fixture
def member(pos: Pos) -> int:
    member_id: int = pos.register(1)["id"]
    pos.grant(member_id, 1000)
    return member_id


def test_a_hold_reserves_its_points_until_captured(pos: Pos, rt: Runtime, member: int) -> None:
    hold = pos.quote(member, BIG, spend=600, hold=True)["hold"]
    assert pos.member(member)["spendable_points"] == 400
    assert pos.quote(member, BIG)["max_spendable_points"] == 400
    with pytest.raises(RedemptionRefused):
        pos.commit(member, BIG, receipt="R-other", spend=401)
    with pytest.raises(RedemptionRefused):
        pos.quote(member, BIG, spend=401, hold=True)

    sale = pos.commit(member, BIG, receipt="R-1", spend=600, hold_id=hold["id"])
    assert sale["points_spent"] == 600
    view = pos.member(member)
    assert (view["held_points"], view["balance_points"]) == (0, 400 + sale["points_earned"])
    assert ledger_admin.check(rt) == []


def test_a_commit_spending_less_than_its_hold_frees_the_rest(pos: Pos, rt: Runtime,
                                                             member: int) -> None:
    hold = pos.quote(member, BIG, spend=600, hold=True)["hold"]
    sale = pos.commit(member, BIG, receipt="R-1", spend=250, hold_id=hold["id"])
    view = pos.member(member)
    assert view["held_points"] == 0
    assert view["spendable_points"] == 750 + sale["points_earned"]
    assert ledger_admin.check(rt) == []


def test_a_released_hold_frees_its_points_and_cannot_be_captured(
        pos: Pos, rt: Runtime, member: int) -> None:
    hold = pos.quote(member, BIG, spend=1000, hold=True)["hold"]
    checkout.release_hold(rt, pos.till(), hold["id"])
    checkout.release_hold(rt, pos.till(), hold["id"])  # releasing twice is harmless
    assert pos.member(member)["spendable_points"] == 1000
    with pytest.raises(NotFound):
        checkout.release_hold(rt, pos.till(), hold["id"] + 1000)
    # Its id no longer reserves anything: the commit spends like one without a hold.
    other = pos.quote(member, BIG, spend=900, hold=True)["hold"]
    with pytest.raises(RedemptionRefused):
        pos.commit(member, BIG, receipt="R-1", spend=1000, hold_id=hold["id"])
    pos.commit(member, BIG, receipt="R-2", spend=900, hold_id=other["id"])
    assert ledger_admin.check(rt) == []


def test_an_expired_hold_reserves_nothing(pos: Pos, rt: Runtime, clock: FakeClock,
                                          member: int) -> None:
    hold = pos.quote(member, BIG, spend=1000, hold=True)["hold"]
    clock.advance(seconds=299)
    assert pos.quote(member, BIG)["max_spendable_points"] == 0
    clock.advance(seconds=1)  # the default time-to-live is 300 seconds
    assert pos.member(member)["spendable_points"] == 1000
    assert pos.quote(member, BIG)["max_spendable_points"] == 1000
    # Too late to capture: the commit spends like one without a hold, from the free points.
    sale = pos.commit(member, BIG, receipt="R-1", spend=1000, hold_id=hold["id"])
    assert sale["points_spent"] == 1000
    view = pos.member(member)
    assert (view["held_points"], view["balance_points"]) == (0, sale["points_earned"])
    assert ledger_admin.check(rt) == []


def test_an_expired_hold_frees_its_points_for_a_new_hold(pos: Pos, rt: Runtime,
                                                         clock: FakeClock,
                                                         member: int) -> None:
    pos.quote(member, BIG, spend=1000, hold=True)
    clock.advance(minutes=6)
    hold = pos.quote(member, BIG, spend=1000, hold=True)["hold"]
    assert pos.member(member)["held_points"] == 1000
    pos.commit(member, BIG, receipt="R-1", spend=1000, hold_id=hold["id"])
    assert pos.member(member)["held_points"] == 0
    assert ledger_admin.check(rt) == []
