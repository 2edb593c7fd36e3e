"""The CLV summary's purchases are grouped per member and local day by the database, on both
databases: the same summary as folding each net receipt's own local day in Python, in zones
whose offsets change (summer time, half and quarter hours), for receipts either side of a
local midnight and of a change of offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from regulars.analytics.summary import CalibrationSummary, Receipt, TimeUnit, summarise
from regulars.db.analytics.purchases import member_purchases
from regulars.domain.analytics.local_days import offset_spans
from regulars.services.analytics.clv import purchase_summary
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, line

# Europe/Dublin and Australia/Lord_Howe (half an hour) and Pacific/Chatham (+12:45/+13:45)
# change their offsets in the days the receipts are made; Asia/Kathmandu is +05:45.
ZONES = ("Europe/Dublin", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu",
         "America/St_Johns", "UTC")
FIRST = datetime(2026, 3, 27, 22, 50, tzinfo=UTC)


def _history(pos: Pos, clock: FakeClock) -> list[tuple[int, datetime, int]]:
    """Three members' receipts every 107 minutes for ten days, some voided or refunded:
    (member, when, net amount) of the purchases the models should see."""
    members = [pos.register(n)["id"] for n in (1, 2, 3)]
    clock.now = FIRST
    kept = []
    for n in range(135):
        member = members[n % 3]
        body = pos.commit(member, (line("cup", 100 + 37 * n, 2),), receipt=f"L-{n}")
        receipt_id, paid = body["receipt"]["id"], body["paid_minor"]
        if n % 11 == 5:
            pos.void(receipt_id, key=f"v-{n}")
        elif n % 11 == 7:
            refund = pos.refund(receipt_id, [(1, 1000)], key=f"r-{n}")["refund"]
            kept.append((member, clock(), paid - refund["paid_minor"]))
        else:
            kept.append((member, clock(), paid))
        clock.advance(minutes=107)
    return kept


def _columns(summary: CalibrationSummary) -> list[list[int]]:
    return [np.asarray(summary.member_ids).tolist(), summary.frequency.tolist(),
            summary.days_since_first.tolist(), summary.days_since_last.tolist(),
            summary.spend_minor.tolist(), summary.repeat_spend_minor.tolist()]


@pytest.mark.parametrize("name", ZONES)
def test_purchase_days_are_the_receipts_local_days_in_any_zone(
        rt: Runtime, shop: Shop, clock: FakeClock, name: str) -> None:
    kept = _history(Pos(rt, shop), clock)
    zone = ZoneInfo(name)
    for end in (date(2026, 3, 29), date(2026, 4, 5), date(2026, 4, 8)):
        expected = summarise((Receipt(m, at.astimezone(zone).date(), amount)
                              for m, at, amount in kept), calibration_end=end,
                             unit=TimeUnit.DAYS)
        with rt.db.read() as conn:
            found = purchase_summary(conn, shop.tenant_id, zone, end, TimeUnit.DAYS)
        assert _columns(found) == _columns(expected), end
        assert len(found) == 3


def test_receipts_on_one_day_are_one_purchase_without_repeat_spend(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    pos = Pos(rt, shop)
    member = pos.register(1)["id"]
    clock.now = FIRST
    pos.commit(member, (line("tea", 500),), receipt="D-1")
    clock.advance(minutes=30)
    pos.commit(member, (line("tea", 700),), receipt="D-2")
    with rt.db.read() as conn:
        found = purchase_summary(conn, shop.tenant_id, ZoneInfo("UTC"),
                                 FIRST.date() + timedelta(days=1), TimeUnit.DAYS)
    assert _columns(found) == [[member], [0], [1], [1], [1200], [0]]


def test_members_read_a_page_at_a_time_are_the_members_read_at_once(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    """Pages bounded by the receipts' members: a member whose only receipt was voided or who
    bought nothing takes no row, and no member is read twice or left out at a page's edge."""
    pos = Pos(rt, shop)
    members = [pos.register(n)["id"] for n in range(1, 8)]
    clock.now = FIRST
    for n, member in enumerate(members):
        if n == 4:
            continue
        for visit in range(n % 3 + 1):
            body = pos.commit(member, (line("cup", 300 + n),), receipt=f"P-{n}-{visit}")
            if n == 2:
                pos.void(body["receipt"]["id"], key=f"pv-{n}-{visit}")
            clock.advance(days=1)
    spans = offset_spans(ZoneInfo("UTC"), FIRST, clock() + timedelta(days=1))
    with rt.db.read() as conn:
        pages = {size: list(member_purchases(conn, shop.tenant_id, until=clock(), spans=spans,
                                             page_members=size)) for size in (1, 2, 3, 10_000)}
    expected = [m for n, m in enumerate(members) if n not in (2, 4)]
    assert [row[0] for row in pages[10_000]] == expected
    assert pages[1] == pages[2] == pages[3] == pages[10_000]
