"""An expiry run racing spends and refunds: both finish (no deadlock), no point is expired
that was spent, and the ledger reconciles."""

from __future__ import annotations

from regulars.errors import RegularsError
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, run_together, set_program

MEMBERS = 12


def test_expiry_and_spends_interleave_without_deadlock(rt: Runtime, clock: FakeClock) -> None:
    pos = Pos(rt, make_shop(rt, "Race Café"))
    set_program(rt, pos.tenant_id, expire_after_days=30, redeem_share_max_bp=10_000)
    people = [pos.register(n)["id"] for n in range(MEMBERS)]
    for member in people:
        pos.grant(member, 200)  # expires in 30 days
    clock.advance(days=20)
    for member in people:
        pos.grant(member, 300)  # still spendable when the first grant expires
    clock.advance(days=11)
    before = {member: pos.balance(member) for member in people}

    def act(index: int) -> object:
        if index == 0:
            return ledger_admin.expire(rt, batch_size=3)
        member = people[index - 1]
        return pos.commit(member, (line("cake", 30_000),), receipt=f"R-{index}", spend=100,
                          till=index % 2)

    results = run_together(MEMBERS + 1, act)
    assert not [r for r in results if isinstance(r, RegularsError)]
    report = results[0]
    assert isinstance(report, ledger_admin.ExpiryReport)
    assert report.points == 200 * MEMBERS  # every first grant, and only those
    for index, member in enumerate(people, start=1):
        sale = results[index]
        assert isinstance(sale, dict) and sale["points_spent"] == 100
        assert pos.balance(member) == before[member] - 200 - 100 + sale["points_earned"]
    assert ledger_admin.expire(rt).entries == 0
    assert ledger_admin.check(rt) == []
