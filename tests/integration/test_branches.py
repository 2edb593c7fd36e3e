"""Stores and cashiers compared, against values computed by hand (SQLite, and PostgreSQL for
tests marked ``postgres``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from regulars.domain.analytics.ranges import Preset
from regulars.errors import NotFound
from regulars.services.analytics import branches
from regulars.services.analytics.figures import Request
from regulars.services.audit import audit
from regulars.services.ledger import member_ledger
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from tests.conftest import Shop, make_shop
from tests.integration.support import Pos, line

TODAY = Request(preset=Preset.THIS_MONTH)


def sell(pos: Pos, member: int | None, amount: int, receipt: str, staff: int | None) -> int:
    prepared = pos.prepare(member, (line("tea", amount),), receipt=receipt)
    prepared = replace(prepared, request=replace(prepared.request, staff_id=staff),
                       payload={**prepared.payload, "staff_id": staff})
    return int(pos.send(prepared).body["receipt"]["id"])


@pytest.fixture
def chain(rt: Runtime) -> dict[str, int]:
    """Main street: Alice sells to members twice; Bob sells twice anonymously, and one
    member's receipt he refunds in full, and gives a member 50 points by hand. North: Carol
    sells once to a member, once anonymously. Two members join at Main street, one at North.
    """
    shop = make_shop(rt, "Chain")
    north = tenants.create_store(rt, shop.tenant_id, code="north", name="North", actor=audit.SYSTEM)
    till = tenants.create_terminal(rt, shop.tenant_id, store_id=north.id, code="n-1",
                                   name="North 1", actor=audit.SYSTEM)
    main, far = Pos(rt, shop), Pos(rt, Shop(tenant_id=shop.tenant_id, owner_key=shop.owner_key,
                                            store_id=north.id, till_keys=[till.key],
                                            terminal_ids=[till.id]))
    people = {name: int(tenants.create_staff(rt, shop.tenant_id, name=name, email=None,
                                             role="cashier", store_id=store, actor=audit.SYSTEM).id)
              for name, store in (("Alice", shop.store_id), ("Bob", shop.store_id),
                                  ("Carol", north.id))}
    m1, m2, m3 = main.register(1)["id"], main.register(2)["id"], far.register(3)["id"]
    sell(main, m1, 10_000, "r1", people["Alice"])
    sell(main, m2, 20_000, "r2", people["Alice"])
    sell(main, None, 5_000, "r3", people["Bob"])
    refunded = sell(main, m1, 10_000, "r4", people["Bob"])
    main.refund(refunded, key="refund-r4")
    sell(main, None, 3_000, "r5", people["Bob"])
    sell(far, m3, 8_000, "r6", people["Carol"])
    sell(far, None, 2_000, "r7", people["Carol"])
    member_ledger.adjust(rt, shop.tenant_id, m2, points=50, reason="apology", key="adj-1",
                         staff_id=people["Bob"])
    return {"tenant": shop.tenant_id, "main": shop.store_id, "north": north.id, "m1": m1,
            **people}


def test_stores_ranked_beside_the_chain(rt: Runtime, chain: dict[str, int]) -> None:
    found = branches.branches(rt, chain["tenant"], TODAY)
    assert (found.chain.counts.receipts, found.chain.identified_share_bp,
            found.chain.average_minor) == (6, 5000, 8000)
    main, north = found.stores
    assert (main.id, main.rank, main.figures.counts.receipts, main.figures.identified_share_bp,
            main.figures.average_minor) == (chain["main"], 1, 4, 5000, 9500)
    assert (main.figures.counts.enrolments, main.figures.counts.refunds,
            main.figures.counts.refunded_minor) == (2, 1, 10_000)
    assert (north.id, north.rank, north.figures.counts.receipts,
            north.figures.identified_share_bp, north.figures.average_minor,
            north.figures.counts.enrolments) == (chain["north"], 2, 2, 5000, 5000, 1)


def test_cashiers_ranked_beside_their_store(rt: Runtime, chain: dict[str, int]) -> None:
    alice, carol, bob = branches.branches(rt, chain["tenant"], TODAY).cashiers
    assert [(c.name, c.rank) for c in (alice, carol, bob)] == [
        ("Alice", 1), ("Carol", 2), ("Bob", 3)]
    assert (alice.figures.identified_share_bp, alice.figures.average_minor,
            alice.figures.member_average_minor) == (10000, 15_000, 15_000)
    assert (bob.figures.counts.receipts, bob.figures.identified_share_bp,
            bob.figures.average_minor) == (2, 0, 4_000)
    assert (bob.figures.counts.refunds, bob.figures.counts.refunded_minor,
            bob.figures.counts.adjustments, bob.figures.counts.adjusted_points) == (
        1, 10_000, 1, 50)
    assert (bob.store_name, bob.store_identified_share_bp, bob.store_average_minor) == (
        "Main street", 5000, 9500)
    assert (carol.store_id, carol.store_identified_share_bp) == (chain["north"], 5000)


def test_another_period_has_nobody(rt: Runtime, chain: dict[str, int]) -> None:
    found = branches.branches(rt, chain["tenant"], Request(
        preset=Preset.CUSTOM, first_day=date(2025, 1, 1), last_day=date(2025, 1, 31)))
    assert found.stores == [] and found.cashiers == []
    assert found.chain.identified_share_bp is None


def test_enrolments_per_cashier_beside_their_store_and_the_chain(
        rt: Runtime, chain: dict[str, int]) -> None:
    """Alice enrols two members at Main street, Carol one at North; the fixture's three
    were enrolled by nobody named (two at Main street, one at North)."""
    tenant = chain["tenant"]
    for n, (who, store) in enumerate((("Alice", "main"), ("Alice", "main"), ("Carol", "north"))):
        member_registration.register(rt, tenant, Registration(phone=f"+7800775030{n}"),
                                     store_id=chain[store], staff_id=chain[who])
    found = branches.branches(rt, tenant, TODAY)
    assert found.chain.counts.enrolments == 6
    by_name = {c.name: c for c in found.cashiers}
    assert (by_name["Alice"].figures.counts.enrolments, by_name["Alice"].store_enrolments) == (
        2, 4)
    assert (by_name["Carol"].figures.counts.enrolments, by_name["Carol"].store_enrolments) == (
        1, 2)
    assert by_name["Bob"].figures.counts.enrolments == 0
    assert [(s.figures.counts.enrolments, s.store_enrolments) for s in found.stores] == [
        (4, 4), (2, 2)]


def test_an_enrolling_cashier_of_another_business_is_not_found(
        rt: Runtime, chain: dict[str, int]) -> None:
    other = make_shop(rt, "Other")
    with pytest.raises(NotFound):
        member_registration.register(rt, other.tenant_id, Registration(phone="+78007750399"),
                                     store_id=other.store_id, staff_id=chain["Alice"])


def test_active_members_per_store_and_cashier_and_the_chain_once(
        rt: Runtime, chain: dict[str, int]) -> None:
    """Main street: members 1 and 2 bought from Alice (member 1's receipt from Bob went back
    in full); North: member 3 from Carol. Member 1 then buys at North too, from Carol: active
    at both stores, once in the chain."""
    found = branches.branches(rt, chain["tenant"], TODAY)
    assert [(s.name, s.figures.counts.active_members, s.store_active_members)
            for s in found.stores] == [("Main street", 2, 2), ("North", 1, 1)]
    assert [(c.name, c.figures.counts.active_members, c.store_active_members)
            for c in found.cashiers] == [("Alice", 2, 2), ("Carol", 1, 1), ("Bob", 0, 2)]
    assert found.chain.counts.active_members == 3
    tenant = chain["tenant"]
    till = tenants.create_terminal(rt, tenant, store_id=chain["north"], code="n-2",
                                   name="North 2", actor=audit.SYSTEM)
    far = Pos(rt, Shop(tenant_id=tenant, owner_key="", store_id=chain["north"],
                       till_keys=[till.key], terminal_ids=[till.id]))
    sell(far, chain["m1"], 4_000, "r8", chain["Carol"])
    member_registration.register(rt, tenant, Registration(phone="+78007750398"))
    found = branches.branches(rt, tenant, TODAY)
    assert {s.name: (s.figures.counts.active_members, s.figures.counts.enrolments)
            for s in found.stores} == {"Main street": (2, 2), "North": (2, 1)}
    assert {c.name: c.figures.counts.active_members for c in found.cashiers} == {
        "Alice": 2, "Carol": 2, "Bob": 0}
    assert (found.chain.counts.active_members, found.chain.counts.enrolments) == (3, 4)


def another_till(rt: Runtime, tenant: int, store: int) -> Pos:
    till = tenants.create_terminal(rt, tenant, store_id=store, code=f"t-{store}",
                                   name=f"Till {store}", actor=audit.SYSTEM)
    return Pos(rt, Shop(tenant_id=tenant, owner_key="", store_id=store, till_keys=[till.key],
                        terminal_ids=[till.id]))


ADDITIVE = ("receipts", "member_receipts", "revenue_minor", "member_revenue_minor",
            "redemptions", "refunds", "refunded_minor", "enrolments")
"""The counts a store's cashiers' rows and its "no cashier recorded" row add up to (active
members are a distinct count per row; manual adjustments in the console are at no store)."""


def test_the_cashiers_rows_and_no_cashier_recorded_add_up_to_each_store(
        rt: Runtime, chain: dict[str, int]) -> None:
    """The fixture's three members enrolled themselves; Alice enrols one more at Main street.
    A till of each store sends a receipt naming no cashier (a member's at Main street), and
    Main street's is refunded: what nobody named did holds it all, beside the store."""
    tenant = chain["tenant"]
    member_registration.register(rt, tenant, Registration(phone="+78007750397"),
                                 store_id=chain["main"], staff_id=chain["Alice"])
    main, far = (another_till(rt, tenant, chain[store]) for store in ("main", "north"))
    main.refund(sell(main, chain["m1"], 7_000, "r9", None), key="refund-r9")
    sell(main, chain["m1"], 6_000, "r10", None)
    sell(far, None, 1_000, "r11", None)
    found = branches.branches(rt, tenant, TODAY)
    assert [(row.store_id, row.name, row.figures.counts.receipts,
             row.figures.counts.member_receipts, row.figures.counts.revenue_minor,
             row.figures.counts.refunds, row.figures.counts.enrolments,
             row.figures.counts.active_members) for row in found.no_cashier] == [
        (chain["main"], "Main street", 1, 1, 6_000, 1, 2, 1),
        (chain["north"], "North", 1, 0, 1_000, 0, 1, 0)]
    for store in found.stores:
        rows = [c for c in found.cashiers if c.store_id == store.id] + [
            row for row in found.no_cashier if row.store_id == store.id]
        assert {name: sum(getattr(row.figures.counts, name) for row in rows)
                for name in ADDITIVE} == {
            name: getattr(store.figures.counts, name) for name in ADDITIVE}, store.name
