"""Coupons at checkout, through the services: apply, refuse, hold, use once under concurrency,
give back on a full refund, and the per-till limit on wrong codes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from regulars.db.promotions.tables import (
    coupon_attempts,
    coupon_code_slots,
    coupon_codes,
    coupon_uses,
)
from regulars.domain.checkout.quote import BasketLine
from regulars.domain.codes import grouped, new_code
from regulars.domain.promotions.promotions import BonusPoints, Effect, FixedDiscount
from regulars.errors import (
    CouponExpired,
    CouponNotYours,
    CouponUsed,
    InvalidCoupon,
    RegularsError,
    TooManyAttempts,
)
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.members.members import MemberRef
from regulars.services.promotions import coupons
from regulars.services.promotions.coupons import SeriesDraft
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, run_together, statements

BASKET = (line("beans", 10_000),)


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Coupon Café"))


def series(pos: Pos, effect: Effect | None = None, **kw: Any) -> int:
    made = coupons.create_series(pos.rt, pos.tenant_id, SeriesDraft(
        name=kw.pop("name", "Spring"), effect=effect or FixedDiscount(amount_minor=1500), **kw),
        actor=audit.SYSTEM)
    return int(made.id)


def issue(pos: Pos, series_id: int, count: int = 1, member_id: int | None = None) -> list[str]:
    made = coupons.generate_codes(pos.rt, pos.tenant_id, series_id, count=count,
                                  member_id=member_id, actor=audit.SYSTEM)
    return list(made.codes)


def sale(member_id: int | None, *codes: str,
         lines: tuple[BasketLine, ...] = BASKET) -> Sale:
    return Sale(member=None if member_id is None else MemberRef(id=member_id), lines=lines,
                coupons=codes)


def quote(pos: Pos, member_id: int | None, *codes: str, till: int = 0,
          hold: bool = False) -> dict[str, Any]:
    """The quote's answer as JSON, as the API sends it."""
    body: dict[str, Any] = to_json(checkout.quote(pos.rt, pos.till(till),
                                                  sale(member_id, *codes), hold=hold))
    return body


def commit(pos: Pos, member_id: int | None, *codes: str, receipt: str,
           till: int = 0) -> dict[str, Any]:
    request = CommitRequest(sale=sale(member_id, *codes), receipt_id=receipt)
    return checkout_commit.commit(pos.rt, pos.till(till), request, key=f"k-{receipt}",
                                  payload={"receipt": receipt, "coupons": list(codes)}).body


def uses(rt: Runtime) -> list[int]:
    """Each code's uses, counted from the receipts' use rows not given back."""
    counted = select(func.count()).select_from(coupon_uses).where(
        coupon_uses.c.code_id == coupon_codes.c.id,
        coupon_uses.c.returned_at.is_(None)).scalar_subquery()
    with rt.db.read() as conn:
        return [int(u) for u in conn.execute(select(counted).select_from(coupon_codes)
                                             .order_by(coupon_codes.c.id)).scalars()]


def left(rt: Runtime) -> int:
    """What the codes' slots hold together."""
    with rt.db.read() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(
            coupon_code_slots.c.left_uses), 0))).scalar_one())


def test_a_code_takes_its_series_effect_and_is_named(pos: Pos) -> None:
    member = pos.register(1)["id"]
    code = issue(pos, series(pos))[0]
    body = quote(pos, member, code)
    assert body["discount_minor"] == 1500 and body["paid_minor"] == 8500
    assert body["coupons"] == [{"series_id": body["coupons"][0]["series_id"], "name": "Spring",
                                "discount_minor": 1500, "points": 0}]
    assert any(e["code"] == "coupon_discount" and "Spring" in e["text"]
               for e in body["explanations"])
    done = commit(pos, member, code.lower().replace("-", " "), receipt="R-1")
    assert done["paid_minor"] == 8500
    assert pos.receipt(done["receipt"]["id"])["lines"][0]["discount_minor"] == 1500
    assert uses(pos.rt) == [1]


def test_bonus_points_coupon_adds_points(pos: Pos) -> None:
    member = pos.register(1)["id"]
    code = issue(pos, series(pos, BonusPoints(points=40), name="Forty"))[0]
    plain = quote(pos, member)
    assert quote(pos, member, code)["points_earned"] == plain["points_earned"] + 40


def test_a_wrong_check_character_is_invalid_and_names_the_field(pos: Pos) -> None:
    code = issue(pos, series(pos))[0]
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidCoupon) as caught:
        quote(pos, None, code, typo)
    assert caught.value.code == "invalid_coupon" and caught.value.field == "coupons.1"


def test_refusals_of_real_codes(pos: Pos, clock: FakeClock) -> None:
    alice, bob = pos.register(1)["id"], pos.register(2)["id"]
    today = clock.now.date()
    bound = issue(pos, series(pos), member_id=alice)[0]
    with pytest.raises(CouponNotYours):
        quote(pos, bob, bound)
    with pytest.raises(CouponNotYours):
        quote(pos, None, bound)
    assert quote(pos, alice, bound)["discount_minor"] == 1500

    short = issue(pos, series(pos, ends_on=today))[0]
    assert quote(pos, None, short)["discount_minor"] == 1500  # the last day counts
    clock.advance(days=1)
    with pytest.raises(CouponExpired) as caught:
        quote(pos, None, short)
    assert caught.value.status == 409

    once = issue(pos, series(pos, starts_on=date(2026, 1, 1)))[0]
    commit(pos, None, once, receipt="R-1")
    with pytest.raises(CouponUsed):
        commit(pos, None, once, receipt="R-2")


def test_a_multi_use_code_serves_its_uses(pos: Pos) -> None:
    code = issue(pos, series(pos, max_uses=2))[0]
    commit(pos, None, code, receipt="R-1")
    commit(pos, None, code, receipt="R-2")
    with pytest.raises(CouponUsed):
        commit(pos, None, code, receipt="R-3")


def test_a_hold_reserves_the_use_for_its_till_until_it_expires(pos: Pos,
                                                               clock: FakeClock) -> None:
    code = issue(pos, series(pos))[0]
    held = quote(pos, None, code, hold=True, till=0)
    assert len(held["coupon_holds"]) == 1
    with pytest.raises(CouponUsed):
        quote(pos, None, code, till=1)
    with pytest.raises(CouponUsed):
        commit(pos, None, code, receipt="R-other", till=1)
    assert commit(pos, None, code, receipt="R-1", till=0)["discount_minor"] == 1500

    second = issue(pos, series(pos))[0]
    quote(pos, None, second, hold=True, till=0)
    clock.advance(hours=1)  # well past the hold TTL
    assert commit(pos, None, second, receipt="R-2", till=1)["discount_minor"] == 1500


def test_a_full_refund_within_validity_gives_the_use_back(pos: Pos, clock: FakeClock) -> None:
    code = issue(pos, series(pos))[0]
    first = commit(pos, None, code, receipt="R-1")
    assert uses(pos.rt) == [1]
    pos.refund(first["receipt"]["id"], key="refund-1")
    assert uses(pos.rt) == [0]
    again = commit(pos, None, code, receipt="R-2")
    assert again["discount_minor"] == 1500

    late = issue(pos, series(pos, ends_on=clock.now.date()))[0]
    receipt = commit(pos, None, late, receipt="R-3")["receipt"]["id"]
    clock.advance(days=2)
    pos.refund(receipt, key="refund-late")
    assert uses(pos.rt)[-1] == 1  # past its validity the use stays spent


def test_a_partial_refund_keeps_the_use(pos: Pos) -> None:
    code = issue(pos, series(pos))[0]
    lines = (line("beans", 10_000), line("milk", 5_000))
    request = CommitRequest(sale=sale(None, code, lines=lines), receipt_id="R-1")
    body = checkout_commit.commit(pos.rt, pos.till(), request, key="k", payload={"r": 1}).body
    pos.refund(body["receipt"]["id"], [(1, 1000)], key="part")
    assert uses(pos.rt) == [1]
    pos.refund(body["receipt"]["id"], key="rest")
    assert uses(pos.rt) == [0]


def test_wrong_codes_are_limited_per_till(pos: Pos, clock: FakeClock) -> None:
    good = issue(pos, series(pos))[0]
    wrong = "0000-0000-0000-0000"
    for _ in range(coupons.MAX_WRONG):
        with pytest.raises(InvalidCoupon):
            quote(pos, None, wrong)
        clock.advance(seconds=30)
    with pytest.raises(TooManyAttempts) as caught:
        quote(pos, None, good)
    # The first wrong code leaves the window 10 minutes after it was made: 300 s from now.
    assert caught.value.retry_after_seconds == 300
    assert quote(pos, None, good, till=1)["discount_minor"] == 1500  # other tills go on
    clock.advance(seconds=301)
    assert quote(pos, None, good)["discount_minor"] == 1500


def test_wrong_codes_sent_at_once_from_one_till_stop_at_the_limit(pos: Pos) -> None:
    """Twenty requests at once, each with one unknown code: the till's limit holds (each
    request counts the till's wrong codes again under its lock before recording its own)."""
    series(pos)
    found = run_together(20, lambda _: quote(pos, None, grouped(new_code())))
    assert sum(isinstance(r, InvalidCoupon) for r in found) == coupons.MAX_WRONG
    assert sum(isinstance(r, TooManyAttempts) for r in found) == 20 - coupons.MAX_WRONG
    with pos.rt.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(coupon_attempts)).scalar_one() \
            == coupons.MAX_WRONG


def test_unknown_codes_with_a_right_check_count_too(pos: Pos) -> None:
    series(pos)
    for _ in range(coupons.MAX_WRONG):
        with pytest.raises(InvalidCoupon):
            quote(pos, None, grouped(new_code()))
    with pytest.raises(TooManyAttempts):
        quote(pos, None, grouped(new_code()))


@pytest.mark.usefixtures("backend")
def test_a_code_is_read_with_the_tills_wrong_codes_by_one_statement_of_the_sale(
        pos: Pos, rt: Runtime) -> None:
    """A code costs a quote one statement (the code with the till's wrong codes, in the
    quote's own unit of work); a wrong code sent with a commit is still counted."""
    code = issue(pos, series(pos))[0]
    quote(pos, None, code)
    with statements(rt) as plain:
        quote(pos, None)
    with statements(rt) as with_code:
        assert quote(pos, None, code)["discount_minor"] == 1500
    assert len(with_code) == len(plain) + 1
    with pytest.raises(InvalidCoupon) as caught:
        commit(pos, None, code, grouped(new_code()), receipt="R-1")
    assert caught.value.field == "coupons.1"
    with rt.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(coupon_attempts)).scalar_one() == 1
    assert uses(rt) == [0]


def test_generated_codes_are_distinct_and_stored_only_as_digests(pos: Pos) -> None:
    codes_ = issue(pos, series(pos), count=2000)
    assert len(set(codes_)) == 2000
    with pytest.raises(RegularsError):
        coupons.generate_codes(pos.rt, pos.tenant_id, 999_999, count=1, actor=audit.SYSTEM)
    with pos.rt.db.read() as conn:
        stored = set(conn.execute(select(coupon_codes.c.code_hash)).scalars())
    plain = {c.replace("-", "") for c in codes_}
    assert len(stored) == 2000 and not stored & plain and not stored & set(codes_)


THREADS = 20


@pytest.mark.usefixtures("backend")
def test_concurrent_commits_of_one_single_use_code_one_wins(pos: Pos) -> None:
    code = issue(pos, series(pos))[0]

    results = run_together(THREADS, lambda i: commit(pos, None, code, receipt=f"R-{i}",
                                                     till=i % 2))

    wins = [r for r in results if not isinstance(r, RegularsError)]
    losses = [r for r in results if isinstance(r, RegularsError)]
    assert len(wins) == 1, losses
    assert all(isinstance(e, CouponUsed) and e.status == 409 for e in losses), losses
    assert uses(pos.rt) == [1]


@pytest.mark.usefixtures("backend")
@pytest.mark.parametrize("max_uses", [7, 18])
def test_concurrent_commits_using_up_a_shared_code_get_exactly_its_uses(
        pos: Pos, max_uses: int) -> None:
    # 7 uses lie in 7 slots of one use each, 18 in all 16 slots (two of them hold two): either
    # way the last uses are taken from slots other tills were charging at the same time.
    code = issue(pos, series(pos, max_uses=max_uses))[0]

    results = run_together(THREADS, lambda i: commit(pos, None, code, receipt=f"R-{i}",
                                                     till=i % 2))

    wins = [r for r in results if not isinstance(r, RegularsError)]
    losses = [r for r in results if isinstance(r, RegularsError)]
    assert len(wins) == max_uses, losses
    assert all(isinstance(e, CouponUsed) for e in losses), losses
    assert uses(pos.rt) == [max_uses] and left(pos.rt) == 0
