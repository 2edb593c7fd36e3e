"""The purchase rules of segments, the RFM groups and the CLV report count net purchases, as
the figures do: a voided or fully refunded receipt is no visit and no spend; a partly
refunded one is a visit with its net spend. Hand-computed on both databases."""

from __future__ import annotations

from regulars.domain.promotions.segments import (
    RFM_GROUPS,
    Compare,
    Frequency,
    Recency,
    RfmIn,
    Rule,
    Spend,
)
from regulars.services.analytics import clv
from regulars.services.analytics.clv import ClvQuery
from regulars.services.promotions import segments
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, line


def _members(rt: Runtime, shop: Shop, *rules: Rule) -> set[int]:
    made = segments.create(rt, shop.tenant_id, segments.Draft(name=f"S{len(rules)}{rules}"[:60],
                                                             rules=rules))
    return set(segments.members(rt, shop.tenant_id, made.id, limit=100,
                                offset=0).member_ids)


def test_refunded_and_voided_receipts_are_no_visits(rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    a, b, c = (pos.register(n)["id"] for n in (1, 2, 3))
    # A: 100.00 refunded whole, 50.00 kept: one visit, 50.00.
    refunded = pos.commit(a, (line("tea", 10000),), receipt="A-1")["receipt"]["id"]
    pos.refund(refunded, key="refund-a")
    pos.commit(a, (line("tea", 5000),), receipt="A-2")
    # B: two cups at 100.00, one returned: one visit, 100.00.
    partly = pos.commit(b, (line("cup", 10000, 2),), receipt="B-1")["receipt"]["id"]
    pos.refund(partly, [(1, 1000)], key="refund-b")
    # C: 30.00 voided: never bought.
    voided = pos.commit(c, (line("tea", 3000),), receipt="C-1")["receipt"]["id"]
    pos.void(voided, key="void-c")

    assert _members(rt, shop, Frequency(compare=Compare.GE, days=30, count=2)) == set()
    assert _members(rt, shop, Frequency(compare=Compare.GE, days=30, count=1)) == {a, b}
    assert _members(rt, shop, Frequency(compare=Compare.LE, days=30, count=0)) == {c}
    assert _members(rt, shop, Recency(compare=Compare.LE, days=30)) == {a, b}
    assert _members(rt, shop, Spend(compare=Compare.GE, days=30, amount_minor=10000)) == {b}
    assert _members(rt, shop, Spend(compare=Compare.GE, days=30, amount_minor=5000)) == {a, b}
    assert _members(rt, shop, Spend(compare=Compare.LE, days=30, amount_minor=0)) == {c}


def test_rfm_groups_and_the_clv_report_count_net_purchases(rt: Runtime, shop: Shop,
                                                           clock: FakeClock) -> None:
    pos = Pos(rt, shop)
    a, b, c, d = (pos.register(n)["id"] for n in (1, 2, 3, 4))
    # A: 100.00 refunded whole on the first day, 50.00 kept two days later: one purchase.
    refunded = pos.commit(a, (line("tea", 10000),), receipt="A-1")["receipt"]["id"]
    pos.refund(refunded, key="refund-a")
    # B: two cups at 100.00 on the first day, one returned: one purchase of 100.00.
    partly = pos.commit(b, (line("cup", 10000, 2),), receipt="B-1")["receipt"]["id"]
    pos.refund(partly, [(1, 1000)], key="refund-b")
    # C: refunded whole; D: voided. Neither ever bought.
    gone = pos.commit(c, (line("tea", 3000),), receipt="C-1")["receipt"]["id"]
    pos.refund(gone, key="refund-c")
    voided = pos.commit(d, (line("tea", 3000),), receipt="D-1")["receipt"]["id"]
    pos.void(voided, key="void-d")
    clock.advance(days=2)
    pos.commit(a, (line("tea", 5000),), receipt="A-2")
    clock.advance(days=1)

    report = clv.report(rt, shop.tenant_id, ClvQuery(limit=10))

    assert report.members == 2 == sum(report.groups.values())
    seen = {m.member_id: (m.purchases, m.spend_minor, m.days_since_last) for m in report.items}
    assert seen == {a: (1, 5000, 0), b: (1, 10000, 2)}
    assert _members(rt, shop, RfmIn(groups=RFM_GROUPS)) == {a, b}
