"""The own-card fraud scan over real receipts, on both databases: what a till records (the
cashier, scanned or typed), a staff member's phone, adjustments by hand; flags kept with
their evidence, rescans that refresh open flags and leave decided ones, and thresholds."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from regulars.db import bulk
from regulars.db.analytics import fraud as fraud_db
from regulars.db.checkout.tables import receipts
from regulars.domain.analytics.fraud import (
    PairScore,
    ReceiptFact,
    Signal,
    Thresholds,
    group_facts,
    with_totals,
)
from regulars.errors import InvalidInput, InvalidPhone, NotFound
from regulars.services.analytics import fraud
from regulars.services.audit import audit
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import member_ledger
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.tenancy import staff_access, tenants
from tests.conftest import FakeClock, Shop, make_shop
from tests.integration.support import Pos, line, phone

RECEIPTS = itertools.count(1)


def sell(pos: Pos, member_id: int, staff_id: int, *, typed: bool = False,
         till: int = 0) -> int:
    """Commit a receipt for the member by the cashier; its id."""
    n = next(RECEIPTS)
    request = CommitRequest(sale=Sale(member=MemberRef(id=member_id),
                                      lines=(line("cup", 30000),)),
                            receipt_id=f"F-{n}", staff_id=staff_id,
                            identified_by="typed" if typed else "scanned")
    outcome = checkout_commit.commit(pos.rt, pos.till(till), request, key=f"fraud-{n}",
                                     payload={"receipt_id": f"F-{n}", "member": member_id,
                                              "staff_id": staff_id, "typed": typed})
    return int(outcome.body["receipt"]["id"])


def cashiers(rt: Runtime, shop: Shop, count: int) -> list[int]:
    return [int(tenants.create_staff(rt, shop.tenant_id, name=f"Cashier {i}", email=None,
                                     role="cashier", store_id=shop.store_id, actor=audit.SYSTEM).id)
            for i in range(count)]


def honest_month(pos: Pos, clock: FakeClock, staff: list[int], members: list[int]) -> None:
    """Each member buys on several days, from the cashiers in turn."""
    turn = itertools.cycle(staff)
    for day in range(12):
        for member in members[day % 3::3]:
            sell(pos, member, next(turn))
        clock.advance(days=1)


def rush(pos: Pos, clock: FakeClock, member_id: int, staff_id: int, *, count: int,
         minutes: int) -> list[int]:
    """``count`` typed receipts on the member's card by the cashier, ``minutes`` apart."""
    made = []
    for _ in range(count):
        made.append(sell(pos, member_id, staff_id, typed=True))
        clock.advance(minutes=minutes)
    return made


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt))


def test_a_cashier_who_puts_strangers_receipts_on_a_friends_card_is_flagged(
        rt: Runtime, pos: Pos, clock: FakeClock) -> None:
    staff = cashiers(rt, pos.shop, 4)
    members = [pos.register(n)["id"] for n in range(1, 31)]
    friend = pos.register(99)["id"]
    honest_month(pos, clock, staff, members)
    for _ in range(7):  # a rush of strangers, all on the friend's card, typed
        sell(pos, friend, staff[2], typed=True)
        clock.advance(minutes=6)

    result = fraud.scan(rt, pos.tenant_id, days=30)

    assert (result.flagged, result.opened, result.updated) == (1, 1, 0)
    assert result.receipts == 12 * 10 + 7
    [flag] = fraud.list_flags(rt, pos.tenant_id).items
    assert (flag.staff_id, flag.member_id, flag.receipts, flag.status) == (
        staff[2], friend, 7, "open")
    codes = {s.code: s.params for s in flag.signals}
    assert set(codes) == {"concentration", "burst", "typed"}
    assert codes["burst"] == {"receipts": 7, "minutes": 120}
    assert codes["typed"] == {"typed": 7, "told": 7, "store_percent": 6}
    assert codes["concentration"]["share_percent"] == 100
    assert flag.score == sum(s.points for s in flag.signals) >= Thresholds().flag_score


def test_a_rescan_refreshes_open_flags_and_leaves_decided_ones(
        rt: Runtime, pos: Pos, clock: FakeClock) -> None:
    staff = cashiers(rt, pos.shop, 3)
    members = [pos.register(n)["id"] for n in range(1, 16)]
    friend = pos.register(99)["id"]
    honest_month(pos, clock, staff, members)
    for _ in range(5):
        sell(pos, friend, staff[0], typed=True)
        clock.advance(minutes=10)
    first = fraud.scan(rt, pos.tenant_id)
    [flag] = fraud.list_flags(rt, pos.tenant_id).items
    sell(pos, friend, staff[0], typed=True)
    clock.advance(minutes=1)

    again = fraud.scan(rt, pos.tenant_id)
    assert (first.opened, again.opened, again.updated) == (1, 0, 1)
    assert fraud.get_flag(rt, pos.tenant_id, flag.id).receipts == 6

    manager = cashiers(rt, pos.shop, 1)[0]
    dismissed = fraud.decide(rt, pos.tenant_id, flag.id, decision="dismissed",
                             staff_id=manager, note="her own shopping")
    assert (dismissed.status, dismissed.decided_by_staff_id, dismissed.note) == (
        "dismissed", manager, "her own shopping")
    sell(pos, friend, staff[0], typed=True)
    clock.advance(minutes=1)
    third = fraud.scan(rt, pos.tenant_id)
    assert (third.flagged, third.opened, third.updated) == (1, 0, 0)
    kept = fraud.get_flag(rt, pos.tenant_id, flag.id)
    assert (kept.status, kept.receipts) == ("dismissed", 6)
    assert fraud.list_flags(rt, pos.tenant_id, status="open").total == 0
    assert fraud.list_flags(rt, pos.tenant_id, status="dismissed").total == 1


def test_a_staff_phone_on_a_card_and_adjustments_by_hand_add_up(
        rt: Runtime, pos: Pos, clock: FakeClock) -> None:
    staff = cashiers(rt, pos.shop, 3)
    members = [pos.register(n)["id"] for n in range(1, 16)]
    own = pos.register(77)["id"]
    staff_access.set_phone(rt, pos.tenant_id, staff[1], f"8 916 {77:07d}")
    assert tenants.get_staff(rt, pos.tenant_id, staff[1]).phone == phone(77)
    honest_month(pos, clock, staff, members)
    sell(pos, own, staff[1])
    for n in range(2):
        member_ledger.adjust(rt, pos.tenant_id, own, points=500, reason="goodwill",
                             key=f"adj-{n}", staff_id=staff[1])

    fraud.scan(rt, pos.tenant_id)

    [flag] = fraud.list_flags(rt, pos.tenant_id).items
    assert (flag.staff_id, flag.member_id) == (staff[1], own)
    assert [(s.code, s.points, s.params) for s in flag.signals] == [
        ("staff_contact", 35, {}), ("adjustment", 35, {"adjustments": 2, "points": 1000})]


def test_a_wholly_refunded_receipt_still_counts_as_evidence(
        rt: Runtime, pos: Pos, clock: FakeClock) -> None:
    staff = cashiers(rt, pos.shop, 4)
    members = [pos.register(n)["id"] for n in range(1, 31)]
    friend = pos.register(99)["id"]
    honest_month(pos, clock, staff, members)
    refunded = rush(pos, clock, friend, staff[2], count=7, minutes=6)
    for n, receipt in enumerate(refunded):
        pos.refund(receipt, key=f"refund-{n}")
    assert {pos.receipt(r)["status"] for r in refunded} == {"refunded"}

    result = fraud.scan(rt, pos.tenant_id, days=30)

    assert (result.flagged, result.receipts) == (1, 12 * 10 + 7)
    [flag] = fraud.list_flags(rt, pos.tenant_id).items
    assert (flag.staff_id, flag.member_id, flag.receipts) == (staff[2], friend, 7)
    assert {s.code for s in flag.signals} == {"concentration", "burst", "typed"}


def test_the_totals_and_bursts_counted_in_the_database_are_those_counted_in_python(
        rt: Runtime, pos: Pos, clock: FakeClock) -> None:
    staff = cashiers(rt, pos.shop, 3)
    members = [pos.register(n)["id"] for n in range(1, 10)]
    friend = pos.register(99)["id"]
    honest_month(pos, clock, staff, members)
    for minutes in (60, 60, 60, 1):  # a window apart at 0 and 120, 60 and 180: none holds 3
        sell(pos, friend, staff[1], typed=True)
        clock.advance(minutes=minutes)
    for _ in range(4):  # exactly on the same instant: all four in one window
        sell(pos, friend, staff[2], typed=False)
    start, end = clock.now - timedelta(days=30), clock.now
    with rt.db.read() as conn:
        counted = fraud_db.counted_groups(conn, pos.tenant_id, start=start, end=end,
                                          burst_window_minutes=120)
        facts = [ReceiptFact(staff_id=r.staff_id, member_id=r.member_id, store_id=r.store_id,
                             occurred_at=r.occurred_at, bonus=False,
                             typed=None if r.identified_by is None
                             else r.identified_by == "typed")
                 for r in conn.execute(select(receipts).where(
                     receipts.c.tenant_id == pos.tenant_id).order_by(receipts.c.id))]
    by_python = with_totals(group_facts(facts), burst_window_minutes=120)

    def key(g: tuple[int, ...]) -> tuple[int, ...]:
        return g[:3]

    assert len(counted) == len(by_python) >= 9 + 2
    assert [g._replace(first=0) for g in sorted(counted, key=key)] == [
        g._replace(first=0) for g in sorted(by_python, key=key)]
    assert [key(g) for g in sorted(counted, key=lambda g: g.first)] == [
        key(g) for g in by_python]
    assert {g.staff_id: g.most for g in counted if g.member_id == friend} == {
        staff[1]: 2, staff[2]: 4}


def test_voided_receipts_other_tenants_and_old_receipts_are_left_out(
        rt: Runtime, pos: Pos, clock: FakeClock) -> None:
    staff = cashiers(rt, pos.shop, 3)
    members = [pos.register(n)["id"] for n in range(1, 10)]
    friend = pos.register(99)["id"]
    honest_month(pos, clock, staff, members)
    for n, receipt in enumerate(rush(pos, clock, friend, staff[0], count=6, minutes=5)):
        pos.void(receipt, key=f"void-{n}")
    other = Pos(rt, make_shop(rt, "Other Café"))

    assert fraud.scan(rt, pos.tenant_id).flagged == 0
    assert fraud.scan(rt, other.tenant_id).receipts == 0
    clock.advance(days=40)
    assert fraud.scan(rt, pos.tenant_id).receipts == 0
    with pytest.raises(NotFound):
        fraud.get_flag(rt, other.tenant_id, 1)


def test_thresholds_are_kept_per_business_and_checked(rt: Runtime, pos: Pos) -> None:
    other = Pos(rt, make_shop(rt, "Other Café"))
    assert fraud.get_settings(rt, pos.tenant_id).updated_at is None
    saved = fraud.put_settings(rt, pos.tenant_id, Thresholds(flag_score=70, burst_receipts=4),
                               actor=audit.SYSTEM)
    assert (saved.flag_score, saved.burst_receipts, saved.min_pair_receipts) == (70, 4, 4)
    again = fraud.put_settings(rt, pos.tenant_id, Thresholds(flag_score=60), actor=audit.SYSTEM)
    assert fraud.get_settings(rt, pos.tenant_id) == again
    assert fraud.get_settings(rt, other.tenant_id).flag_score == 50
    with pytest.raises(InvalidInput) as caught:
        fraud.put_settings(rt, pos.tenant_id, Thresholds(typed_share_percent=0), actor=audit.SYSTEM)
    assert caught.value.field == "typed_share_percent"
    with pytest.raises(InvalidInput) as scan_days:
        fraud.scan(rt, pos.tenant_id, days=0)
    assert scan_days.value.field == "days"
    with pytest.raises(InvalidPhone):
        staff_access.set_phone(rt, pos.tenant_id, cashiers(rt, pos.shop, 1)[0], "12")


def test_a_raised_flag_score_spares_a_pair_the_default_flags(
        rt: Runtime, pos: Pos, clock: FakeClock) -> None:
    staff = cashiers(rt, pos.shop, 4)
    members = [pos.register(n)["id"] for n in range(1, 31)]
    friend = pos.register(99)["id"]
    honest_month(pos, clock, staff, members)
    for _ in range(5):
        sell(pos, friend, staff[3], typed=True)
        clock.advance(minutes=7)
    fraud.put_settings(rt, pos.tenant_id, Thresholds(flag_score=100), actor=audit.SYSTEM)
    assert fraud.scan(rt, pos.tenant_id).flagged == 0
    fraud.put_settings(rt, pos.tenant_id, Thresholds(), actor=audit.SYSTEM)
    assert fraud.scan(rt, pos.tenant_id).flagged == 1


def test_flags_saved_in_several_statements_keep_every_decision(
        rt: Runtime, pos: Pos, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 3)
    staff = cashiers(rt, pos.shop, 2)
    members = [pos.register(n)["id"] for n in range(1, 6)]
    end = clock.now

    def save(score: int) -> tuple[int, int]:
        pairs = [PairScore(staff_id=s, member_id=m, score=score + m % 7, receipts=m % 5 + 1,
                           signals=(Signal(code="burst", points=score, params={"receipts": 4,
                                                                              "minutes": 120}),))
                 for s in staff for m in members]
        with rt.db.write() as conn:
            return fraud_db.save_flags(conn, pos.tenant_id, pairs, start=end, end=end, now=end)

    assert save(60) == (10, 0)
    page = fraud.list_flags(rt, pos.tenant_id, limit=200)
    decided = page.items[-1]
    fraud.decide(rt, pos.tenant_id, decided.id, decision="confirmed", staff_id=None)
    assert save(70) == (0, 9)
    after = {f.id: f for f in fraud.list_flags(rt, pos.tenant_id, limit=200).items}
    assert len(after) == 10
    assert (after[decided.id].status, after[decided.id].score) == ("confirmed", decided.score)
    for flag in after.values():
        if flag.id != decided.id:
            assert flag.score == 70 + flag.member_id % 7
            assert [(g.code, g.points, g.params) for g in flag.signals] == [
                ("burst", 70, {"receipts": 4, "minutes": 120})]
