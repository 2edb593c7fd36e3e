"""Cashback in the figures' reward cost: the money a receipt credits to the member's wallet
(the program's and a promotion's) counts like a discount, net of what refunds take back, in
the day aggregates, the overview and its share of revenue, a store's figures and the
breakdowns read over receipts; `regulars ledger check` agrees at every step, and migration
0048 adds it to an existing history (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import func, select

from regulars.db.analytics.tables import sales_days
from regulars.domain.analytics.ranges import Preset
from regulars.domain.promotions.budgets import Limits
from regulars.domain.promotions.promotions import Cashback
from regulars.services.analytics import breakdowns, figures
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.promotions import budgets, promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value import wallets
from tests.conftest import make_shop
from tests.integration.support import Pos, line, migrating, set_program

# Two cups (20.00) and a cake (30.00): 50.00 paid, nothing off.
BASKET = (line("cup", 1000, 2), line("cake", 3000, category="bakery"))


def _shop(rt: Runtime) -> Pos:
    """The program returns 5 % of what is paid; an offer 5 % of the cups."""
    pos = Pos(rt, make_shop(rt, "Cashback Corner"))
    set_program(rt, pos.tenant_id, cashback_rate_bp=500)
    promotions.create(
        rt,
        pos.tenant_id,
        Draft(
            name="Cups back",
            effects=(Cashback(rate_bp=500, skus=frozenset({"cup"})),),
            limits=Limits(),
        ),
        actor=audit.SYSTEM,
    )
    return pos


def _cost(pos: Pos, **scope: int) -> tuple[int, int, int | None]:
    """This month's (reward cost, revenue, reward cost share in bp) from the overview."""
    current = figures.overview(
        pos.rt, pos.tenant_id, figures.Request(preset=Preset.THIS_MONTH, **scope)
    ).current
    return (
        current.sales.reward_cost_minor,
        current.sales.revenue_minor,
        current.points.reward_cost_share_bp,
    )


def _by_level(pos: Pos) -> int:
    """This month's reward cost of all members as the breakdowns read it (over receipts)."""
    return breakdowns.by_level(
        pos.rt, pos.tenant_id, figures.Request(preset=Preset.THIS_MONTH)
    ).all_members.reward_cost_minor


def test_cashback_counts_in_the_reward_cost_net_of_refunds_and_voids(rt: Runtime) -> None:
    """By hand, each member's receipt on BASKET credits 5 % of 50.00 = 2.50 by the program
    and 5 % of the cups' 20.00 = 1.00 by the offer: 3.50; the anonymous one nothing.

    - R-1, R-2 (members), A-3 (anonymous)   cost 3.50 × 2 = 7.00 of 150.00: 467 bp
      (without cashback: 0)
    - R-1's cups refunded (20.00 of 50.00, at the other till): 3.50 × 20/50 = 1.40 back,
      2.10 stands                           cost 2.10 + 3.50 = 5.60 of 130.00: 431 bp
    - R-2 voided                            cost 2.10 of 80.00: 263 bp
    - the rest of R-1 refunded              cost 0 of 50.00: 0 bp
    """
    pos = _shop(rt)
    member = pos.register(1)["id"]
    first = pos.commit(member, BASKET, receipt="R-1")
    second = pos.commit(member, BASKET, receipt="R-2")
    pos.commit(None, BASKET, receipt="A-3")
    assert first["cashback_minor"] == second["cashback_minor"] == 250 + 100
    assert _cost(pos) == (700, 15_000, 467)
    assert _cost(pos, store_id=pos.shop.store_id) == (700, 15_000, 467)
    assert _by_level(pos) == 700
    assert ledger_admin.check(rt, pos.tenant_id) == []

    steps = [
        (
            lambda: pos.refund(first["receipt"]["id"], [(1, 2000)], key="cups", till=1),
            (560, 13_000, 431),
            210 + 350,
        ),
        (lambda: pos.void(second["receipt"]["id"], key="void"), (210, 8_000, 263), 210),
        (lambda: pos.refund(first["receipt"]["id"], None, key="rest"), (0, 5_000, 0), 0),
    ]
    for step, expected, wallet in steps:
        step()
        assert _cost(pos) == expected
        assert _by_level(pos) == expected[0]
        assert wallets.statement(rt, pos.tenant_id, member).balance_minor == wallet
        assert ledger_admin.check(rt, pos.tenant_id) == []


def test_the_ledger_check_finds_a_day_row_without_its_cashback(rt: Runtime) -> None:
    pos = _shop(rt)
    pos.commit(pos.register(1)["id"], BASKET, receipt="R-1")
    with rt.db.write() as conn:
        conn.execute(
            sales_days.update()
            .where(sales_days.c.tenant_id == pos.tenant_id)
            .values(member_reward_cost_minor=sales_days.c.member_reward_cost_minor - 350)
        )
    assert [
        (p["counter"], p["expected"], p["stored"]) for p in ledger_admin.check(rt, pos.tenant_id)
    ] == [("member_reward_cost_minor", 350, 0)]


def _stored_cost(rt: Runtime, tenant_id: int) -> int:
    with rt.db.read() as conn:
        return int(
            conn.execute(
                select(func.sum(sales_days.c.member_reward_cost_minor)).where(
                    sales_days.c.tenant_id == tenant_id
                )
            ).scalar_one()
        )


def test_migration_0048_adds_the_cashback_the_sold_receipts_still_credit(rt: Runtime) -> None:
    """R-1 with its cups refunded (2.10 stands), R-2 whole (3.50), R-3 voided (nothing):
    5.60 after the upgrade, nothing after the downgrade (no points were spent)."""
    pos = _shop(rt)
    member = pos.register(1)["id"]
    first = pos.commit(member, BASKET, receipt="R-1")
    pos.commit(member, BASKET, receipt="R-2")
    third = pos.commit(member, BASKET, receipt="R-3")
    pos.refund(first["receipt"]["id"], [(1, 2000)], key="cups")
    pos.void(third["receipt"]["id"], key="void")
    assert _stored_cost(rt, pos.tenant_id) == 560
    with migrating(rt.db.engine) as (config, conn):
        command.downgrade(config, "0048-1")
        conn.commit()
        assert _stored_cost(rt, pos.tenant_id) == 0
        command.upgrade(config, "head")
        conn.commit()
    assert _stored_cost(rt, pos.tenant_id) == 560
    assert _cost(pos) == (560, 8_000, 700)
    assert ledger_admin.check(rt, pos.tenant_id) == []


def test_the_programs_cashback_counts_in_the_base_bucket_net_of_refunds(rt: Runtime) -> None:
    """R-1 credits 2.50 by the program (base bucket) and 1.00 by the offer (mass bucket);
    refunding its cups (20.00 of 50.00) takes back 1.00 of the program's, and 0.40 of the
    offer's (spread over the lines by the money paid on them). R-2 credits the same, and the
    anonymous A-2 counts nothing. Taken back below 0055 (its columns dropped, and R-2's row
    gone, as a receipt earning no points had none before 0055), migration 0059 fills the
    program's cashback in again from the cashback entries: 1.50 + 2.50, the same."""
    pos = _shop(rt)
    # No points: the base bucket then counts the program's cashback only.
    set_program(rt, pos.tenant_id, cashback_rate_bp=500, levels=[
        {"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 0}])
    budgets.put_split(rt, pos.tenant_id, total_minor=100_000, base_bp=5000, mass_bp=5000,
                      targeted_bp=0, actor=audit.SYSTEM)
    member = pos.register(1)["id"]
    first = pos.commit(member, BASKET, receipt="R-1")
    pos.commit(None, BASKET, receipt="A-2")
    assert _buckets(pos) == (250, 100)
    pos.refund(first["receipt"]["id"], [(1, 2000)], key="cups")
    assert _buckets(pos) == (150, 60)
    unrefunded = pos.commit(member, BASKET, receipt="R-2")["receipt"]["id"]
    assert _buckets(pos) == (400, 160)
    with migrating(rt.db.engine) as (config, conn):
        command.downgrade(config, "0055-1")
        conn.exec_driver_sql(f"DELETE FROM receipt_budgets WHERE receipt_id = {unrefunded}")
        conn.commit()
        command.upgrade(config, "0057")
        conn.commit()
        assert _buckets(pos) == (0, 160)  # 0055 itself counts no cashback of earlier receipts
        command.upgrade(config, "head")
        conn.commit()
    assert _buckets(pos) == (400, 160)
    with migrating(rt.db.engine) as (config, conn):  # down and up again: filled once
        command.downgrade(config, "0057")
        command.upgrade(config, "head")
        conn.commit()
    assert _buckets(pos) == (400, 160)
    second = pos.commit(member, BASKET, receipt="R-3")
    assert _buckets(pos) == (650, 260)
    pos.refund(second["receipt"]["id"], None, key="all")
    pos.refund(first["receipt"]["id"], None, key="the-cake")
    assert _buckets(pos) == (250, 100)
    assert ledger_admin.check(rt) == []


def _buckets(pos: Pos) -> tuple[int, int]:
    """This month's spend of the base and the mass bucket."""
    found = to_json(budgets.burn(pos.rt, pos.tenant_id))["buckets"]
    return found["base"]["spent_minor"], found["mass"]["spent_minor"]
