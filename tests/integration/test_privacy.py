"""A member's personal data: erasure keeps the books whole and leaves nothing that identifies
the person; the export holds everything; stored answers and one-time-code rows keep no phone
number."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from regulars.db.checkout.tables import idempotency, receipts
from regulars.db.members.tables import member_identifiers, members
from regulars.db.messaging.tables import otp_codes, outbox_messages
from regulars.domain.audit.chain import Filters
from regulars.errors import NotFound
from regulars.services.audit import audit
from regulars.services.checkout.idempotency import withhold_personal
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members import members as member_service
from regulars.services.members import privacy
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.messaging import otp
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.integration.support import Pos, line, phone

OWNER = audit.Actor(kind="staff", id=1)


def _rich_member(rt: Runtime, shop: Shop) -> tuple[Pos, int, int]:
    """A member with a card, a name, an e-mail, a one-time code, points and a receipt."""
    pos = Pos(rt, shop)
    member_id = int(pos.register(1)["id"])
    member_registration.add_card(rt, shop.tenant_id, member_id, "CARD7777")
    member_registration.update_profile(rt, shop.tenant_id, member_id, {
        "first_name": "Anna", "last_name": "Karenina", "email": "anna@example.com"})
    otp.send_code(rt, shop.tenant_id, MemberRef(id=member_id), purpose="spend")
    pos.grant(member_id, 300)
    committed = pos.commit(member_id, (line("cup", 100_000),), receipt="R-1")
    return pos, member_id, int(committed["receipt"]["id"])


PERSONAL_TABLES = (members, member_identifiers, receipts, idempotency, otp_codes,
                   outbox_messages)


def _dump(rt: Runtime, tables: tuple[Any, ...] = PERSONAL_TABLES) -> str:
    """Every row of ``tables`` (by default all that could hold personal data), as one text."""
    with rt.db.read() as conn:
        rows = [dict(r._mapping) for t in tables for r in conn.execute(select(t))]
    return json.dumps(rows, default=str)


def test_erasure_leaves_no_identifier_and_keeps_the_books(rt: Runtime, shop: Shop) -> None:
    pos, member_id, receipt_id = _rich_member(rt, shop)
    balance = pos.balance(member_id)
    # The member row and identifier hold the number sealed, never as itself.
    assert balance > 0 and "+79160000001" not in _dump(rt)
    assert member_service.get(rt, shop.tenant_id, MemberRef(phone=phone(1))).id == member_id

    done = privacy.erase(rt, shop.tenant_id, member_id, actor=OWNER)

    assert not done.already_erased and done.receipts_kept == 1
    assert done.balance_points == balance
    dump = _dump(rt)
    for personal in ("+79160000001", "CARD7777", "Anna", "Karenina", "anna@example.com"):
        assert personal not in dump
    for ref in (MemberRef(phone=phone(1)), MemberRef(card="CARD7777"), MemberRef(id=member_id)):
        with pytest.raises(NotFound):
            member_service.get(rt, shop.tenant_id, ref)
    assert member_service.search(rt, shop.tenant_id, text="Anna", limit=10, offset=0) == []
    assert ledger_admin.check(rt, shop.tenant_id) == []
    assert pos.receipt(receipt_id)["paid_minor"] == 100_000  # kept for accounting
    trail = audit.entries(rt, shop.tenant_id, Filters())
    assert trail[0].action == "member.erase" and trail[0].subject == f"member {member_id}"
    assert "Anna" not in trail[0].detail and "+7916" not in trail[0].detail


def test_erasing_twice_changes_nothing_more(rt: Runtime, shop: Shop) -> None:
    _pos, member_id, _receipt = _rich_member(rt, shop)
    first = privacy.erase(rt, shop.tenant_id, member_id, actor=OWNER)
    before = len(audit.entries(rt, shop.tenant_id, Filters()))
    again = privacy.erase(rt, shop.tenant_id, member_id, actor=OWNER)
    assert again.already_erased and again.erased_at == first.erased_at
    assert len(audit.entries(rt, shop.tenant_id, Filters())) == before


def test_the_same_phone_registers_a_new_member_after_erasure(rt: Runtime, shop: Shop) -> None:
    pos, member_id, _receipt = _rich_member(rt, shop)
    privacy.erase(rt, shop.tenant_id, member_id, actor=OWNER)
    again, created = member_registration.register(rt, shop.tenant_id,
                                                  Registration(phone=phone(1)))
    assert created and again.id != member_id and again.balance_points == 0
    assert pos.balance(again.id) == 0


def test_a_refund_after_erasure_reverses_exactly_what_the_receipt_did(
        rt: Runtime, shop: Shop) -> None:
    pos, member_id, receipt_id = _rich_member(rt, shop)
    privacy.erase(rt, shop.tenant_id, member_id, actor=OWNER)
    refunded = pos.refund(receipt_id, key="refund-after-erasure")
    assert refunded["refund"]["paid_minor"] == 100_000
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_a_replay_after_erasure_answers_with_the_anonymous_shell(
        rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    member_id = int(pos.register(2)["id"])
    first = pos.commit(member_id, (line("cup", 50_000),), receipt="R-9")
    assert first["member"]["phone"] == phone(2)
    assert phone(2) not in _dump(rt, (receipts, idempotency))  # the stored answers
    assert pos.commit(member_id, (line("cup", 50_000),), receipt="R-9") == first
    privacy.erase(rt, shop.tenant_id, member_id, actor=OWNER)
    replay = pos.commit(member_id, (line("cup", 50_000),), receipt="R-9")
    assert replay["member"]["phone"] is None
    assert replay["receipt"] == first["receipt"]


def test_a_commit_stores_its_answer_withheld_as_the_whole_answer_walked_would_be(
        rt: Runtime, shop: Shop) -> None:
    pos, member_id, _ = _rich_member(rt, shop)
    first = pos.commit(member_id, (line("cup", 40_000), line("tea", 9_000)), receipt="R-2",
                       spend=100)
    # The receipt keeps the commit's answer (its key keeps none: replays read the receipt's).
    with rt.db.read() as conn:
        stored = conn.execute(select(receipts.c.response).where(
            receipts.c.tenant_id == shop.tenant_id)).scalars().all()
    assert withhold_personal(first) in stored
    assert all(answer["member"]["phone"] is None for answer in stored)


def test_the_export_holds_everything_and_is_on_record(rt: Runtime, shop: Shop) -> None:
    pos, member_id, receipt_id = _rich_member(rt, shop)
    found = privacy.export(rt, shop.tenant_id, member_id, actor=OWNER)
    assert found.profile.phone == phone(1) and found.profile.email == "anna@example.com"
    assert {(i.kind, i.value) for i in found.identifiers} >= {("phone", phone(1)),
                                                               ("card", "CARD7777")}
    points = next(a for a in found.accounts if a.asset == "points")
    assert points.balance == pos.balance(member_id)
    assert sum(e.points for e in found.entries) == points.balance
    assert [r.id for r in found.receipts] == [receipt_id]
    trail = audit.entries(rt, shop.tenant_id, Filters())
    assert trail[0].action == "member.export"
    assert "+7916" not in trail[0].detail


def test_one_time_code_rows_keep_a_keyed_hash_of_the_number(rt: Runtime, shop: Shop) -> None:
    _pos, member_id, _receipt = _rich_member(rt, shop)
    with rt.db.read() as conn:
        stored = conn.execute(select(otp_codes.c.phone_hash)).scalars().all()
    assert stored == [otp.phone_digest(rt, shop.tenant_id, phone(1))]
    assert otp.phone_digest(rt, shop.tenant_id, phone(1)) != otp.phone_digest(
        rt, shop.tenant_id + 1, phone(1))
