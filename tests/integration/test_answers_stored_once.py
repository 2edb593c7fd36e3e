"""A keyed write stores its answer with the rows it inserts: no row inserted by a commit,
refund or void is updated in the same transaction (PostgreSQL would check its foreign keys
again and log the whole row once more). A commit's key keeps no answer: its replays read the
receipt's, byte for byte the first answer; a refund's key is inserted once with its answer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from regulars.db.checkout.tables import idempotency
from regulars.errors import IdempotencyMismatch
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos, line, statements

CAKES = (line("cake", 2550), line("cookie", 525))


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Corner Bakery"))


def _updated_tables(seen: list[str]) -> set[str]:
    return {m.group(1) for s in seen
            for m in [re.search(r"\bUPDATE\s+\"?(\w+)", s, re.IGNORECASE)] if m}


def _stored(rt: Runtime, scope: str, key: str) -> object:
    with rt.db.read() as conn:
        return conn.execute(select(idempotency.c.response).where(
            idempotency.c.scope == scope, idempotency.c.key == key)).scalar_one()


def test_a_commit_updates_no_key_and_its_replay_reads_the_receipt(pos: Pos,
                                                                   rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)
    request = pos.prepare(member, CAKES, receipt="R-1", key="sale-1", spend=5)
    with statements(rt) as seen:
        first = pos.send(request)
    assert "idempotency" not in _updated_tables(seen)
    assert _stored(rt, "commit", "sale-1") is None
    again = pos.send(request)
    assert again.replayed and again.body == first.body
    by_number = pos.send(request, key="sale-1-retry")
    assert by_number.replayed and by_number.body == first.body
    assert _stored(rt, "commit", "sale-1-retry") is None
    # The key claimed by the retry answers from the receipt too, and refuses another body.
    assert pos.send(request, key="sale-1-retry").body == first.body
    other = pos.prepare(member, CAKES[:1], receipt="R-2", key="sale-1", spend=5)
    with pytest.raises(IdempotencyMismatch):
        pos.send(other)


def test_a_refund_inserts_its_key_once_with_its_answer(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    sale = pos.commit(member, CAKES, receipt="R-1")
    receipt = sale["receipt"]["id"]
    with statements(rt) as seen:
        first = pos.refund_outcome(receipt, [(1, 1000)], key="refund-1")
    assert not {"idempotency", "refunds"} & _updated_tables(seen)
    assert _stored(rt, "refund", "refund-1") == first.body
    again = pos.refund_outcome(receipt, [(1, 1000)], key="refund-1")
    assert again.replayed and again.body == first.body
    with pytest.raises(IdempotencyMismatch):
        pos.refund_outcome(receipt, [(2, 1000)], key="refund-1")
    with statements(rt) as seen:
        pos.void(pos.commit(member, CAKES, receipt="R-2")["receipt"]["id"], key="void-1")
    assert "idempotency" not in _updated_tables(seen)
