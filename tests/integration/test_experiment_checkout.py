"""Checkout honours experiments and the holdout at commit, on both databases: a member gets
only their variant, a held-out member gets no promotion and joins no control group, and the
plan follows a change made in this process at once."""

from __future__ import annotations

from sqlalchemy import select

from regulars.db.promotions.tables import promotion_groups, receipt_promotions
from regulars.domain.promotions.experiments import in_holdout, variant_of
from regulars.domain.promotions.promotions import BonusPoints
from regulars.domain.promotions.segments import ConsentIn
from regulars.services.audit import audit
from regulars.services.promotions import experiments, promotions, segments
from regulars.services.promotions.experiments import assignment_key
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos, line


def _given(rt: Runtime, receipt_id: int) -> list[int]:
    with rt.db.read() as conn:
        return sorted(int(p) for p in conn.execute(select(receipt_promotions.c.promotion_id)
                                                   .where(receipt_promotions.c.receipt_id
                                                          == receipt_id)).scalars())


def test_commits_give_each_member_their_variant_only(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt))
    a = promotions.create(rt, pos.tenant_id, Draft(name="A", effects=(BonusPoints(points=5),)),
                          actor=audit.SYSTEM)
    b = promotions.create(rt, pos.tenant_id, Draft(name="B", effects=(BonusPoints(points=9),)),
                          actor=audit.SYSTEM)
    made = experiments.create(rt, pos.tenant_id, experiments.ExperimentDraft(
        name="A/B", variants=(experiments.VariantDraft(name="a", promotion_id=a.id),
                              experiments.VariantDraft(name="b", promotion_id=b.id))),
                              actor=audit.SYSTEM)
    with rt.db.read() as conn:
        key = assignment_key(conn, pos.tenant_id)
    for n in range(8):
        member_id = pos.register(n)["id"]
        sold = pos.commit(member_id, (line("tea", 1_000),), receipt=f"r{n}")
        mine = (a.id, b.id)[variant_of(key, experiment_id=made.id, member_id=member_id,
                                       variants=2)]
        assert _given(rt, sold["receipt"]["id"]) == [mine]
    experiments.stop(rt, pos.tenant_id, made.id, actor=audit.SYSTEM)
    after = pos.commit(pos.register(50)["id"], (line("tea", 1_000),), receipt="after")
    assert _given(rt, after["receipt"]["id"]) == sorted([a.id, b.id])


def test_held_out_members_get_nothing_and_join_no_control_group(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt))
    everyone = segments.create(rt, pos.tenant_id, segments.Draft(
        name="All", rules=(ConsentIn(values=frozenset({"full"})),)))
    targeted = promotions.create(rt, pos.tenant_id, Draft(
        name="T", effects=(BonusPoints(points=5),), segment_id=everyone.id,
        control_share_bp=1000), actor=audit.SYSTEM)
    experiments.set_holdout(rt, pos.tenant_id, 3000, actor=audit.SYSTEM)
    with rt.db.read() as conn:
        key = assignment_key(conn, pos.tenant_id)
    held = []
    for n in range(20):
        member_id = pos.register(n)["id"]
        sold = pos.commit(member_id, (line("tea", 1_000),), receipt=f"h{n}")
        if in_holdout(key, member_id=member_id, share_bp=3000):
            held.append(member_id)
            assert _given(rt, sold["receipt"]["id"]) == []
    assert held
    with rt.db.read() as conn:
        grouped = set(conn.execute(select(promotion_groups.c.member_id).where(
            promotion_groups.c.promotion_id == targeted.id)).scalars())
    assert len(grouped) == 20 - len(held) and not grouped & set(held)
    experiments.set_holdout(rt, pos.tenant_id, 0, actor=audit.SYSTEM)
    pos.commit(held[0], (line("tea", 1_000),), receipt="back")
    assert experiments.in_holdout(rt, pos.tenant_id, held[0]) is False
    with rt.db.read() as conn:  # out of the holdout, the member joins a group like anyone
        assert conn.execute(select(promotion_groups.c.group).where(
            promotion_groups.c.promotion_id == targeted.id,
            promotion_groups.c.member_id == held[0])).scalar_one() in ("test", "control")
