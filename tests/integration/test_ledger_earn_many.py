"""Earning in bulk: :func:`ops.earn_many` leaves the ledger as :func:`ops.earn` called for each
credit in order would (entries, postings, lots, lot moves, balances, debt repaid first), and
refuses what ``earn`` refuses, writing nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from regulars.db.engine import UniqueViolation
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import Earning, EntryContext, MixedAssets
from regulars.db.ledger.tables import entries, lot_moves, lots, postings
from regulars.domain.ledger.assets import money
from regulars.domain.ledger.ledger import EntryCode
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos

CREDITS = (120, 35, 7, 400)  # each member's credits, a day apart


def _credits(tenant_id: int, member_id: int, account_id: int, start: datetime, tag: str
             ) -> list[Earning]:
    found = []
    for n, amount in enumerate(CREDITS):
        at = start + timedelta(days=n)
        found.append(Earning(
            ctx=EntryContext(tenant_id=tenant_id, member_id=member_id, occurred_at=at,
                             recorded_at=at),
            key=f"{tag}:{member_id}:{n}", account_id=account_id, amount=amount,
            available_at=at + timedelta(days=14),
            expires_at=None if n == 2 else at + timedelta(days=180), memo={"n": n}))
    return found


def _picture(rt: Runtime, tenant_id: int, member_id: int, account_id: int) -> dict[str, Any]:
    """What the ledger holds for one member, without ids or keys."""
    with rt.db.read() as conn:
        state = ledger_ops.account_state(conn, tenant_id, member_id)
        written = conn.execute(select(entries.c.code, entries.c.points, entries.c.memo,
                                      entries.c.occurred_at)
                               .where(entries.c.member_id == member_id)
                               .order_by(entries.c.id)).all()
        legs = conn.execute(select(postings.c.amount).join(
            entries, entries.c.id == postings.c.entry_id)
            .where(entries.c.member_id == member_id).order_by(postings.c.id)).scalars().all()
        member_lots = conn.execute(
            select(lots.c.amount, lots.c.remaining, lots.c.available_at, lots.c.expires_at)
            .where(lots.c.account_id == account_id).order_by(lots.c.id)).all()
        moves = conn.execute(select(lot_moves.c.amount).join(lots, lots.c.id == lot_moves.c.lot_id)
                             .where(lots.c.account_id == account_id)
                             .order_by(lot_moves.c.id)).scalars().all()
    return {"balance": state.balance, "debt": state.debt, "entries": [tuple(r) for r in written],
            "postings": list(legs), "lots": [tuple(r) for r in member_lots],
            "moves": list(moves)}


def _member(pos: Pos, n: int) -> tuple[int, int]:
    member_id = int(pos.register(n)["id"])
    with pos.rt.db.read() as conn:
        return member_id, ledger_ops.account_state(conn, pos.tenant_id, member_id).id


def _into_debt(rt: Runtime, tenant_id: int, member_id: int, account_id: int) -> None:
    """Take back more than the member holds, leaving debt."""
    now = rt.now()
    with rt.db.write() as conn:
        balance = ledger_ops.account_state(conn, tenant_id, member_id).balance
        ledger_ops.reverse(conn, EntryContext(tenant_id=tenant_id, member_id=member_id,
                                              occurred_at=now, recorded_at=now),
                           key=f"debt:{member_id}", account_id=account_id,
                           amount=balance + 50, now=now, origin_lot_id=None, allow_debt=True,
                           memo={}, code=EntryCode.REFUND_EARN)


@pytest.mark.parametrize("indebted", [False, True])
def test_earning_many_at_once_leaves_what_earning_one_by_one_leaves(
        rt: Runtime, indebted: bool) -> None:
    pos = Pos(rt, make_shop(rt, "Bulk Café"))
    (one, one_account), (many, many_account), (other, other_account) = (
        _member(pos, n) for n in (1, 2, 3))
    welcome = pos.balance(one)
    if indebted:
        _into_debt(rt, pos.tenant_id, one, one_account)
        _into_debt(rt, pos.tenant_id, many, many_account)
    start = rt.now()
    with rt.db.write() as conn:
        for earning in _credits(pos.tenant_id, one, one_account, start, "single"):
            ledger_ops.earn(conn, earning.ctx, key=earning.key, account_id=earning.account_id,
                            amount=earning.amount, available_at=earning.available_at,
                            expires_at=earning.expires_at, memo=earning.memo)
    batch = [*_credits(pos.tenant_id, many, many_account, start, "batch"),
             *_credits(pos.tenant_id, other, other_account, start, "batch")]
    with rt.db.write() as conn:
        ids = ledger_ops.earn_many(conn, pos.tenant_id, batch)
        keys = dict(conn.execute(select(entries.c.id, entries.c.idempotency_key)
                                 .where(entries.c.id.in_(ids))).all())

    assert [keys[i] for i in ids] == [e.key for e in batch]
    single = _picture(rt, pos.tenant_id, one, one_account)
    assert _picture(rt, pos.tenant_id, many, many_account) == single
    assert single["debt"] == 0
    assert single["balance"] == sum(CREDITS) + (-50 if indebted else welcome)
    assert ledger_admin.check(rt) == []


def test_a_batch_with_a_bad_credit_is_refused_whole(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt, "Bulk Café"))
    member_id, account_id = _member(pos, 1)
    eur = money("EUR")
    with rt.db.write() as conn:
        ledger_ops.open_system_accounts(conn, pos.tenant_id, asset=eur)
        euros = ledger_ops.open_account(conn, pos.tenant_id, member_id, asset=eur)
    good = _credits(pos.tenant_id, member_id, account_id, rt.now(), "ok")
    before = _picture(rt, pos.tenant_id, member_id, account_id)
    bad_batches: list[tuple[type[Exception], list[Earning]]] = [
        (UniqueViolation, [*good, good[0]]),  # a key twice
        (MixedAssets, [*good, Earning(**{**good[0].__dict__, "key": "eur",
                                         "account_id": euros})]),
        (ValueError, [*good, Earning(**{**good[0].__dict__, "key": "zero", "amount": 0})]),
    ]
    for error, batch in bad_batches:
        with pytest.raises(error), rt.db.write() as conn:
            ledger_ops.earn_many(conn, pos.tenant_id, batch)
        assert _picture(rt, pos.tenant_id, member_id, account_id) == before
    assert ledger_admin.check(rt) == []
