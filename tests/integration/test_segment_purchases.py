"""The purchase rules of segments count net purchases, as the figures do: a voided or fully
refunded receipt is no visit and no spend; a partly refunded one is a visit with its net
spend. Hand-computed on both databases."""

from __future__ import annotations

from regulars.domain.promotions.segments import Compare, Frequency, Recency, Rule, Spend
from regulars.services.promotions import segments
from regulars.services.runtime import Runtime
from tests.conftest import Shop
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
