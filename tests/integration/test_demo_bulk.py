"""The demo's plain receipts written in bulk are what the till's commit writes for the same
sales: the receipt and its lines, the points earned at the level the spend has reached, the
earn entry with its explanations, the lot's dates, the spend per day, the base budget row and
the level the member was last told; and a member's waiting receipts are written before a use
case reads them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.ledger.tables import entries, lots
from regulars.db.messaging.tables import member_levels_seen
from regulars.db.program.tables import spend_days
from regulars.db.promotions.tables import receipt_budgets
from regulars.services.audit import audit
from regulars.services.demo import bulk
from regulars.services.demo.catalog import PROGRAM
from regulars.services.ledger import admin as ledger_admin
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, commit_payload, line

BASKET = (line("latte", 40_000, category="coffee"), line("beans", 12_500, 2, category="retail"))
"""650.00 a receipt: the second crosses Silver's 1,000.00, so the third earns at Silver's rate."""


def _without_spend_limit(why: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in why if e["code"] not in bulk.LEFT_OUT]


def _member_rows(rt: Runtime, member_id: int) -> dict[str, Any]:
    with rt.db.read() as conn:
        own = conn.execute(select(receipts).where(receipts.c.member_id == member_id)
                           .order_by(receipts.c.id)).mappings().all()
        ids = [r["id"] for r in own]
        lines = conn.execute(select(receipt_lines).where(receipt_lines.c.receipt_id.in_(ids))
                             .order_by(receipt_lines.c.id)).mappings().all()
        earned = conn.execute(select(entries.c.code, entries.c.points, entries.c.memo,
                                     entries.c.occurred_at, entries.c.recorded_at)
                              .where(entries.c.member_id == member_id,
                                     entries.c.code == "earn").order_by(entries.c.id)).all()
        member_lots = conn.execute(
            select(lots.c.amount, lots.c.remaining, lots.c.available_at, lots.c.expires_at)
            .join(entries, entries.c.id == lots.c.entry_id)
            .where(entries.c.member_id == member_id).order_by(lots.c.id)).all()
        days = conn.execute(select(spend_days.c.day, spend_days.c.net_minor)
                            .where(spend_days.c.member_id == member_id)
                            .order_by(spend_days.c.day)).all()
        base = conn.execute(select(receipt_budgets.c.month, receipt_budgets.c.base_points)
                            .where(receipt_budgets.c.receipt_id.in_(ids))
                            .order_by(receipt_budgets.c.receipt_id)).all()
        told = conn.execute(select(member_levels_seen.c.level_code).where(
            member_levels_seen.c.member_id == member_id)).scalar_one_or_none()
    figures = ("gross_minor", "discount_minor", "points_spent", "points_discount_minor",
               "paid_minor", "points_earned", "status", "program_version", "occurred_at",
               "recorded_at", "identified_by")
    return {
        "receipts": [{k: r[k] for k in figures} for r in own],
        "answers": [(_without_spend_limit(r["response"]["explanations"]),
                     r["response"]["lines"]) for r in own],
        "lines": [{k: v for k, v in ln.items() if k not in ("id", "receipt_id")}
                  for ln in lines],
        "earned": [(code, points, _without_spend_limit(memo["why"]), at, recorded)
                   for code, points, memo, at, recorded in earned],
        "lots": [tuple(r) for r in member_lots], "days": [tuple(r) for r in days],
        "base": [tuple(r) for r in base], "told": told,
    }


def test_plain_receipts_written_in_bulk_are_what_the_till_commit_writes(
        rt: Runtime, clock: FakeClock) -> None:
    shop = make_shop(rt, "Bulk Café")
    programs.save(rt, shop.tenant_id, PROGRAM, note="the demo's program", actor=audit.SYSTEM)
    pos = Pos(rt, shop)
    by_till, in_bulk = int(pos.register(1)["id"]), int(pos.register(2)["id"])
    writer = bulk.BulkReceipts(rt, shop.tenant_id, ZoneInfo("Europe/Moscow"))
    writer.open()
    writer.joined(in_bulk)
    till = pos.till()
    assert till.terminal_id is not None and till.store_id is not None
    for n in range(4):
        clock.advance(days=1, hours=n)
        pos.commit(by_till, BASKET, receipt=f"T-{n}", occurred_at=clock.now)
        earned = writer.add(bulk.Sale(
            terminal_id=till.terminal_id, store_id=till.store_id, staff_id=None,
            receipt_no=f"B-{n}", member_id=in_bulk, may_earn=True, lines=BASKET,
            at=clock.now, identified_by=None,
            payload=commit_payload(in_bulk, BASKET, receipt=f"B-{n}", spend=0, hold_id=None,
                                   occurred_at=clock.now)))
        assert earned > 0
    balance_before = pos.balance(in_bulk)
    writer.settle(in_bulk)  # a use case is about to read the member: the receipts go first
    assert pos.balance(in_bulk) == pos.balance(by_till) > balance_before

    written, committed = _member_rows(rt, in_bulk), _member_rows(rt, by_till)
    assert written == committed
    assert [r["points_earned"] for r in written["receipts"]] == [650, 650, 1950, 1950]
    assert written["told"] == "silver"
    assert ledger_admin.check(rt) == []


def test_a_member_without_waiting_receipts_writes_nothing_on_settle(
        rt: Runtime, clock: FakeClock) -> None:
    shop = make_shop(rt, "Bulk Café")
    pos = Pos(rt, shop)
    one, other = int(pos.register(1)["id"]), int(pos.register(2)["id"])
    writer = bulk.BulkReceipts(rt, shop.tenant_id, ZoneInfo("Europe/Moscow"))
    writer.open()
    till = pos.till()
    assert till.terminal_id is not None and till.store_id is not None
    clock.advance(minutes=5)
    writer.add(bulk.Sale(terminal_id=till.terminal_id, store_id=till.store_id, staff_id=None,
                         receipt_no="B-1", member_id=one, may_earn=True, lines=BASKET,
                         at=clock.now - timedelta(minutes=1), identified_by="scanned",
                         payload={"receipt_id": "B-1"}))
    writer.settle(other)
    assert len(writer.waiting) == 1 and writer.written == 0
    writer.settle(one)
    assert writer.waiting == [] and writer.written == 1
