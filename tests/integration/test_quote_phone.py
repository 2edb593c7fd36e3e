"""The phone a quote answers is the member's own, whichever identifier the till sent: the
number itself, a number that came to the member with a merge, or a card; on both
databases."""

from __future__ import annotations

from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import member_ledger
from regulars.services.members import registration
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos, line

BASKET = (line("BEANS", 1000),)


def quoted_phone(pos: Pos, ref: MemberRef) -> tuple[int, str | None]:
    member = checkout.quote(pos.rt, pos.till(), Sale(member=ref, lines=BASKET)).member
    assert member is not None
    return member.id, member.phone


def test_a_quote_by_phone_answers_the_number_sent(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt))
    kept = pos.register(1)
    assert quoted_phone(pos, MemberRef(phone=kept["phone"])) == (kept["id"], kept["phone"])
    typed = "8 (916) 000-00-01"  # the same number as a cashier might type it
    assert quoted_phone(pos, MemberRef(phone=typed)) == (kept["id"], kept["phone"])


def test_a_number_merged_into_another_member_answers_that_members_own(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt))
    gone, kept = pos.register(1), pos.register(2)
    member_ledger.merge(
        rt, pos.tenant_id, source_id=gone["id"], target_id=kept["id"], key="merge-1"
    )
    assert quoted_phone(pos, MemberRef(phone=gone["phone"])) == (kept["id"], kept["phone"])


def test_a_quote_by_card_answers_the_members_phone(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt))
    kept = pos.register(1)
    registration.add_card(rt, pos.tenant_id, kept["id"], "CARD-0001")
    assert quoted_phone(pos, MemberRef(card="CARD-0001")) == (kept["id"], kept["phone"])
