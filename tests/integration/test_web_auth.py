"""Staff sign-in: passwords and PINs lock after five wrong ones in a row, also when the
guesses arrive together; sessions end when they should."""

from __future__ import annotations

import pytest

from regulars.errors import TooManyAttempts, Unauthorized
from regulars.services import tenants, web_auth
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import run_together


def _owner(rt: Runtime, shop: Shop) -> int:
    staff = tenants.create_staff(rt, shop.tenant_id, name="Ann", email="ann@example.com",
                                 role="owner", store_id=None)
    web_auth.set_password(rt, shop.tenant_id, staff["id"], "right password")
    web_auth.set_pin(rt, shop.tenant_id, staff["id"], "2468")
    return int(staff["id"])


def test_five_wrong_passwords_lock_even_the_right_one(rt: Runtime, shop: Shop,
                                                      clock: FakeClock) -> None:
    _owner(rt, shop)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            web_auth.staff_sign_in(rt, email="ann@example.com", password="wrong guess")
    with pytest.raises(TooManyAttempts) as locked:
        web_auth.staff_sign_in(rt, email="ann@example.com", password="right password")
    assert locked.value.field == "password" and locked.value.retry_after_seconds == 900
    clock.advance(minutes=15)
    session = web_auth.staff_sign_in(rt, email="ANN@example.com", password="right password")
    assert web_auth.resolve(rt, session.token) is not None


def test_a_right_password_clears_the_count(rt: Runtime, shop: Shop) -> None:
    _owner(rt, shop)
    for _ in range(3):
        for _ in range(4):
            with pytest.raises(Unauthorized):
                web_auth.staff_sign_in(rt, email="ann@example.com", password="wrong guess")
        web_auth.staff_sign_in(rt, email="ann@example.com", password="right password")


def test_parallel_pin_guesses_get_five_tries_in_all(rt: Runtime, shop: Shop) -> None:
    staff_id = _owner(rt, shop)
    till = web_auth.resolve(rt, web_auth.pair_till(rt, shop.till_keys[0]).token)
    assert till is not None
    results = run_together(12, lambda i: web_auth.cashier_sign_in(
        rt, till, staff_id=staff_id, pin=f"{1000 + i}"))
    assert sum(isinstance(r, Unauthorized) for r in results) == 5
    assert sum(isinstance(r, TooManyAttempts) for r in results) == 7


def test_sessions_end_on_sign_out_password_change_and_deactivation(rt: Runtime,
                                                                  shop: Shop,
                                                                  clock: FakeClock) -> None:
    staff_id = _owner(rt, shop)
    first = web_auth.staff_sign_in(rt, email="ann@example.com", password="right password")
    session = web_auth.resolve(rt, first.token)
    assert session is not None and session.staff_role == "owner"
    web_auth.sign_out(rt, session)
    assert web_auth.resolve(rt, first.token) is None
    second = web_auth.staff_sign_in(rt, email="ann@example.com", password="right password")
    web_auth.set_password(rt, shop.tenant_id, staff_id, "another password")
    assert web_auth.resolve(rt, second.token) is None
    third = web_auth.staff_sign_in(rt, email="ann@example.com", password="another password")
    clock.advance(hours=13)
    assert web_auth.resolve(rt, third.token) is None


def test_a_revoked_till_ends_its_sessions(rt: Runtime, shop: Shop) -> None:
    paired = web_auth.pair_till(rt, shop.till_keys[0])
    assert web_auth.resolve(rt, paired.token) is not None
    tenants.revoke_terminal(rt, shop.tenant_id, shop.terminal_ids[0])
    assert web_auth.resolve(rt, paired.token) is None
    with pytest.raises(Unauthorized):
        web_auth.pair_till(rt, shop.till_keys[0])
