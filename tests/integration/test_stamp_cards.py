"""Stamp cards at the till, on SQLite and PostgreSQL: stamps earned per whole item, the card
that completes gives its reward on the line, refunds take back the stamps they added, stamps
expire, and concurrent commits of one member never complete a card twice."""

from __future__ import annotations

from typing import Any

import pytest

from regulars.db.ledger import ops as ledger_ops
from regulars.domain.ledger.assets import stamps as stamps_asset
from regulars.domain.stamps.cards import GrantAt, Reward, StampCard
from regulars.errors import InvalidInput, RegularsError
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from regulars.services.stamps import cards, expiry, members_cards
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, run_together

COFFEE = line("CAP-M", 350, category="coffee")
CAKE = line("CAKE", 500, category="bakery")


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Stamp Café"))


def coffee_card(rt: Runtime, tenant_id: int, **changes: Any) -> StampCard:
    fields: dict[str, Any] = {"per_card": 10, "reward": Reward.FREE_ITEM, **changes}
    card = StampCard(id=0, name="Coffee", categories=frozenset({"coffee"}), **fields)
    return cards.create(rt, tenant_id, card, audit.staff(None))


def balance(rt: Runtime, tenant_id: int, member_id: int, card_id: int) -> int:
    with rt.db.read() as conn:
        return ledger_ops.account_state(conn, tenant_id, member_id,
                                        asset=stamps_asset(card_id)).balance


def progress(body: dict[str, Any]) -> dict[str, Any]:
    [card] = body["stamp_cards"]
    return dict(card)


def test_the_tenth_coffee_is_free_and_its_line_says_why(pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id)
    member = pos.register(1)["id"]
    for i in range(9):
        done = pos.commit(member, (COFFEE, CAKE), receipt=f"R-{i}")
        assert done["lines"][0]["discount_minor"] == 0
    assert progress(done)["stamps"] == 9

    quoted = pos.quote(member, (CAKE, COFFEE))
    assert quoted["lines"][1]["discount_minor"] == 350
    assert quoted["lines"][1]["paid_minor"] == 0
    assert progress(quoted) == {"card_id": card.id, "name": "Coffee", "stamps": 0,
                                "per_card": 10, "added": 1, "completed": 1,
                                "discount_minor": 350, "ready": 0}
    assert "stamp_reward" in [e["code"] for e in quoted["explanations"]]

    done = pos.commit(member, (CAKE, COFFEE), receipt="R-10")
    assert done["lines"][1]["paid_minor"] == 0
    assert done["lines"][0]["paid_minor"] == 500
    assert {f"stamps:{card.id}:earn", f"stamps:{card.id}:spend"} <= set(done["entries"])
    assert balance(rt, pos.tenant_id, member, card.id) == 0
    assert ledger_admin.check(rt) == []


def test_a_tenant_without_cards_answers_without_stamps(pos: Pos) -> None:
    member = pos.register(1)["id"]
    assert "stamp_cards" not in pos.quote(member, (COFFEE,))
    assert "stamp_cards" not in pos.commit(member, (COFFEE,), receipt="R-1")


def test_only_whole_items_add_stamps(pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id)
    member = pos.register(1)["id"]
    pos.commit(member, (line("BEANS", 2000, quantity_milli=2500, category="coffee"),),
               receipt="R-1")
    assert balance(rt, pos.tenant_id, member, card.id) == 2


def test_next_purchase_cards_wait_and_a_fixed_discount_is_taken_then(
        pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id, reward=Reward.DISCOUNT, discount_minor=200,
                       grant_at=GrantAt.NEXT, per_card=3)
    member = pos.register(1)["id"]
    done = pos.commit(member, (line("CAP-M", 350, 3, category="coffee"),), receipt="R-1")
    assert done["lines"][0]["discount_minor"] == 0
    assert progress(done)["ready"] == 1
    done = pos.commit(member, (COFFEE,), receipt="R-2")
    assert done["lines"][0]["discount_minor"] == 200
    assert progress(done)["completed"] == 1
    assert balance(rt, pos.tenant_id, member, card.id) == 1


def test_a_refund_takes_back_the_stamps_of_the_items_returned(pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id)
    member = pos.register(1)["id"]
    done = pos.commit(member, (line("CAP-M", 350, 4, category="coffee"), CAKE), receipt="R-1")
    assert balance(rt, pos.tenant_id, member, card.id) == 4
    refunded = pos.refund(done["receipt"]["id"], [(1, 1000)], key="r-1")
    assert refunded["stamps_taken_back"] == 1
    assert balance(rt, pos.tenant_id, member, card.id) == 3
    pos.refund(done["receipt"]["id"], [(2, 1000)], key="r-2")  # the cake added none
    assert balance(rt, pos.tenant_id, member, card.id) == 3
    pos.refund(done["receipt"]["id"], None, key="r-3")
    assert balance(rt, pos.tenant_id, member, card.id) == 0
    assert ledger_admin.check(rt) == []


def test_a_refund_of_the_free_item_gives_its_stamps_back_before_taking_the_added_ones(
        pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id, per_card=2)
    member = pos.register(1)["id"]
    done = pos.commit(member, (line("CAP-M", 350, 2, category="coffee"),), receipt="R-1")
    assert done["lines"][0]["discount_minor"] == 350
    refunded = pos.refund(done["receipt"]["id"], None, key="r-1")
    assert refunded["stamps_taken_back"] == 2  # from the two the reward gave back
    assert balance(rt, pos.tenant_id, member, card.id) == 0
    assert ledger_admin.check(rt) == []


def test_a_refunded_free_item_puts_the_card_back_as_it_was(pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id)
    member = pos.register(1)["id"]
    for i in range(8):
        pos.commit(member, (COFFEE,), receipt=f"R-{i}")
    done = pos.commit(member, (line("CAP-M", 350, 3, category="coffee"),), receipt="R-9")
    assert done["lines"][0]["discount_minor"] == 350  # 8 + 3 = 11: one card, one free
    assert balance(rt, pos.tenant_id, member, card.id) == 1
    receipt = done["receipt"]["id"]
    pos.refund(receipt, [(1, 1000)], key="r-1")  # a paid coffee: its stamp only
    assert balance(rt, pos.tenant_id, member, card.id) == 0
    rest = pos.refund(receipt, None, key="r-2")  # the free one too: its 10 stamps come back
    assert balance(rt, pos.tenant_id, member, card.id) == 8
    assert pos.refund(receipt, None, key="r-2") == rest  # a replay gives nothing twice
    assert balance(rt, pos.tenant_id, member, card.id) == 8
    assert ledger_admin.check(rt) == []


def test_a_void_of_the_completing_receipt_restores_the_card(pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id)
    member = pos.register(1)["id"]
    for i in range(9):
        pos.commit(member, (COFFEE,), receipt=f"R-{i}")
    done = pos.commit(member, (COFFEE, CAKE), receipt="R-10")
    assert balance(rt, pos.tenant_id, member, card.id) == 0
    pos.void(done["receipt"]["id"], key="v-1")
    assert balance(rt, pos.tenant_id, member, card.id) == 9
    assert ledger_admin.check(rt) == []


def test_stamps_expire_after_the_cards_days(pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    card = coffee_card(rt, pos.tenant_id, expiry_days=30)
    member = pos.register(1)["id"]
    pos.commit(member, (line("CAP-M", 350, 9, category="coffee"),), receipt="R-1")
    clock.advance(days=31)
    assert pos.quote(member, (COFFEE,))["lines"][0]["discount_minor"] == 0
    report = expiry.expire(rt)
    assert report.stamps == 9
    assert balance(rt, pos.tenant_id, member, card.id) == 0
    assert expiry.expire(rt).stamps == 0
    assert ledger_admin.check(rt) == []


def test_concurrent_commits_of_one_member_complete_the_card_once(
        pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id)
    member = pos.register(1)["id"]
    pos.commit(member, (line("CAP-M", 350, 9, category="coffee"),), receipt="R-0")

    results = run_together(8, lambda i: pos.commit(member, (COFFEE,), receipt=f"R-{i + 1}",
                                                   till=i % 2))

    bodies = [r for r in results if not isinstance(r, RegularsError)]
    assert len(bodies) == 8, results
    assert sum(b["lines"][0]["discount_minor"] == 350 for b in bodies) == 1
    assert balance(rt, pos.tenant_id, member, card.id) == 7
    assert ledger_admin.check(rt) == []


def test_the_first_stamps_of_one_member_from_two_tills_at_once_both_count(
        pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id)
    member = pos.register(1)["id"]
    results = run_together(6, lambda i: pos.commit(member, (COFFEE,), receipt=f"R-{i}",
                                                   till=i % 2))
    assert not [r for r in results if isinstance(r, RegularsError)]
    assert balance(rt, pos.tenant_id, member, card.id) == 6


def test_the_members_cards_show_their_progress(pos: Pos, rt: Runtime) -> None:
    card = coffee_card(rt, pos.tenant_id)
    member = pos.register(1)["id"]
    pos.commit(member, (line("CAP-M", 350, 7, category="coffee"),), receipt="R-1")
    [shown] = members_cards.cards_of(rt, pos.tenant_id, member, language="ru")
    assert (shown.card_id, shown.stamps, shown.per_card, shown.ready) == (card.id, 7, 10, 0)


def test_a_card_without_anything_that_qualifies_is_refused(pos: Pos, rt: Runtime) -> None:
    with pytest.raises(InvalidInput) as refused:
        cards.create(rt, pos.tenant_id, StampCard(id=0, name="Nothing", per_card=10,
                                                  reward=Reward.FREE_ITEM),
                     audit.staff(None))
    assert refused.value.field == "skus"
