"""The sales figures against a plain-Python computation over random histories: members and
anonymous receipts, offline receipts up to four weeks old, receipts that only sell a gift card
(no purchase: not counted), full and partial refunds, voids, with or without the program's
cashback (a cost in the reward cost, taken back by refunds in proportion to the money paid
back), in time zones far from UTC and across a daylight-saving change (SQLite, and PostgreSQL
for the test marked ``postgres``). The model follows the service answers, not the
database."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regulars.domain.analytics.figures import SalesTotals, sales
from regulars.domain.analytics.ranges import Preset
from regulars.errors import RegularsError
from regulars.services.analytics import figures
from regulars.services.analytics.figures import Request
from regulars.services.ledger import admin as ledger_admin
from tests.conftest import FakeClock, make_shop
from tests.integration.support import FreshDatabases, Pos, line, set_program
from tests.integration.test_stored_value_sale_figures import cards_for_sale, sell_card

ZONES = ["Europe/Moscow", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham"]
NOW = datetime(2026, 3, 30, 9, 30, tzinfo=UTC)  # a day after Europe's clocks went forward

sell = st.tuples(st.just("sell"), st.one_of(st.none(), st.integers(0, 2)),
                 st.integers(1, 50_000), st.integers(1, 3), st.integers(0, 24 * 27))
change = st.tuples(st.sampled_from(["refund_all", "refund_one", "void"]), st.integers(0, 30))
card = st.tuples(st.just("card"), st.one_of(st.none(), st.integers(0, 2)),
                 st.integers(1000, 50_000), st.integers(0, 24 * 27))
operations = st.lists(st.one_of(sell, sell, change, card), min_size=1, max_size=25)


def _apply(pos: Pos, members: list[int], ops: list[tuple[Any, ...]]) -> dict[int, dict[str, Any]]:
    """Run ``ops`` and keep what the answers say about each receipt."""
    model: dict[int, dict[str, Any]] = {}
    order: list[int] = []
    cards = iter(cards_for_sale(pos, 1 + sum(1 for op in ops if op[0] == "card")))
    for number, op in enumerate(ops):
        try:
            if op[0] == "card":
                _, who, amount, hours_back = op
                member = None if who is None else members[who]
                receipt = sell_card(pos, member, next(cards), amount, receipt=f"r{number}",
                                    occurred_at=NOW - timedelta(hours=hours_back))
                order.append(receipt)
                model[receipt] = {"member": member, "card": True, "status": "committed",
                                  "at": NOW - timedelta(hours=hours_back)}
            elif op[0] == "sell":
                _, who, price, quantity, hours_back = op
                member = None if who is None else members[who]
                body = pos.commit(member, (line("tea", price, quantity),), receipt=f"r{number}",
                                  occurred_at=NOW - timedelta(hours=hours_back))
                receipt = body["receipt"]["id"]
                order.append(receipt)
                model[receipt] = {"member": member, "paid": body["paid_minor"],
                                  "discount": body["discount_minor"],
                                  "reward": body["points_discount_minor"],
                                  "cashback": body.get("cashback_minor", 0),
                                  "items": quantity * 1000, "refunded": 0, "returned": 0,
                                  "status": "committed",
                                  "at": NOW - timedelta(hours=hours_back)}
            elif order:
                receipt = order[op[1] % len(order)]
                state = model[receipt]
                if op[0] == "void":
                    pos.void(receipt, key=f"void-{number}")
                    state["status"] = "voided"
                else:
                    lines = None if op[0] == "refund_all" else [(1, 1000)]
                    refund = pos.refund(receipt, lines, key=f"refund-{number}")["refund"]
                    if state.get("card"):
                        state["status"] = refund["status"]
                        continue
                    state["refunded"] += refund["paid_minor"]
                    state["returned"] += (state["items"] - state["returned"]
                                          if lines is None else 1000)
                    state["status"] = refund["status"]
        except RegularsError:
            pass  # refused: outside the void window, nothing left to refund ...
    return model


def _cashback_left(cashback: int, paid: int, refunded: int) -> int:
    """What refunds of ``refunded`` of ``paid`` left of the cashback: each took back its share
    of the money, cumulatively, rounded down (so all of it with the last of the money)."""
    if paid <= 0:
        return cashback
    return cashback - cashback * min(refunded, paid) // paid


def plain(model: dict[int, dict[str, Any]], zone: ZoneInfo, first: date, last: date
          ) -> tuple[SalesTotals, SalesTotals, dict[date, int]]:
    totals = {True: SalesTotals(), False: SalesTotals()}
    per_day: dict[date, int] = defaultdict(int)
    for r in model.values():
        day = r["at"].astimezone(zone).date()
        if r["status"] in ("voided", "refunded") or r.get("card") or not first <= day <= last:
            continue
        known = r["member"] is not None
        totals[known] = totals[known] + SalesTotals(
            receipts=1, revenue_minor=r["paid"] - r["refunded"],
            discount_minor=r["discount"] - r["discount"] * r["returned"] // r["items"],
            reward_cost_minor=r["reward"] - r["reward"] * r["returned"] // r["items"]
            + _cashback_left(r["cashback"], r["paid"], r["refunded"]),
            items_milli=r["items"] - r["returned"])
        per_day[day] += r["paid"] - r["refunded"]
    return totals[True], totals[False], per_day


def _check(databases: FreshDatabases, zone_name: str, ops: list[tuple[Any, ...]],
           cashback_bp: int = 0) -> None:
    clock = FakeClock(now=NOW)
    rt = databases.open(clock)
    try:
        pos = Pos(rt, make_shop(rt, "Random", timezone=zone_name))
        if cashback_bp:
            set_program(rt, pos.tenant_id, cashback_rate_bp=cashback_bp)
        members = [pos.register(n)["id"] for n in range(3)]
        model = _apply(pos, members, ops)
        # The daily aggregates the figures read equal the receipts and entries they sum.
        assert ledger_admin.check(rt, pos.tenant_id) == []
        board = figures.overview(rt, pos.tenant_id, Request(preset=Preset.LAST_30_DAYS))
        zone = ZoneInfo(zone_name)
        for found in (board.current, board.previous):
            with_member, anonymous, per_day = plain(model, zone, found.first_day,
                                                    found.last_day)
            assert found.sales == sales(with_member, anonymous)
        _, _, per_day = plain(model, zone, board.current.first_day, board.current.last_day)
        assert {b.first_day: b.revenue_minor for b in board.series if b.revenue_minor} == \
            {day: amount for day, amount in per_day.items() if amount}
    finally:
        databases.close(rt)


RANDOM = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                        HealthCheck.too_slow])


def _random(databases: FreshDatabases, examples: int) -> None:
    @settings(RANDOM, max_examples=examples)
    @given(zone=st.sampled_from(ZONES), ops=operations, cashback_bp=st.sampled_from([0, 500]))
    def run(zone: str, ops: list[tuple[Any, ...]], cashback_bp: int) -> None:
        _check(databases, zone, ops, cashback_bp)

    run()


def test_figures_match_a_plain_computation_sqlite(sqlite_template: Path,
                                                  tmp_path: Path) -> None:
    _random(FreshDatabases(workdir=tmp_path, sqlite_template=sqlite_template), 40)


@pytest.mark.postgres
def test_figures_match_a_plain_computation_postgres(pg_migrated: str, tmp_path: Path) -> None:
    _random(FreshDatabases(workdir=tmp_path, pg_url=pg_migrated), 12)
