"""Staff sign-in: wrong passwords and PINs make the next attempt wait longer and longer, by
client and by account, also when the guesses arrive together — without a lock an attacker can
set on the real person, and with the same answers for a known and an unknown e-mail; sessions
end when they should."""

from __future__ import annotations

import pytest

from regulars.errors import TooManyAttempts, Unauthorized
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import FakeClock, Shop
from tests.integration.support import run_together


def _owner(rt: Runtime, shop: Shop) -> int:
    staff = tenants.create_staff(rt, shop.tenant_id, name="Ann", email="ann@example.com",
                                 role="owner", store_id=None, actor=audit.SYSTEM)
    web_auth.set_password(rt, shop.tenant_id, staff.id, "right password")
    web_auth.set_pin(rt, shop.tenant_id, staff.id, "2468")
    return int(staff.id)


def test_wrong_passwords_make_the_next_attempt_wait_longer_each_time(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    _owner(rt, shop)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            web_auth.staff_sign_in(rt, email="ann@example.com", password="wrong guess",
                                   client="203.0.113.9")
    waits = []
    for _ in range(4):
        with pytest.raises(TooManyAttempts) as waiting:
            web_auth.staff_sign_in(rt, email="ann@example.com", password="right password",
                                   client="203.0.113.9")
        assert waiting.value.field == "password"
        waits.append(waiting.value.retry_after_seconds)
        clock.advance(seconds=waiting.value.retry_after_seconds)
        with pytest.raises(Unauthorized):
            web_auth.staff_sign_in(rt, email="ann@example.com", password="wrong guess",
                                   client="203.0.113.9")
    assert waits == [1, 2, 4, 8]
    clock.advance(seconds=16)
    session = web_auth.staff_sign_in(rt, email="ANN@example.com", password="right password",
                                     client="203.0.113.9")
    assert web_auth.resolve(rt, session.token) is not None


def test_an_attacker_cannot_lock_the_real_person_out(rt: Runtime, shop: Shop) -> None:
    _owner(rt, shop)
    for i in range(12):
        with pytest.raises((Unauthorized, TooManyAttempts)):
            web_auth.staff_sign_in(rt, email="ann@example.com", password=f"guess {i}",
                                   client="198.51.100.7")
    session = web_auth.staff_sign_in(rt, email="ann@example.com", password="right password",
                                     client="192.0.2.20")
    assert web_auth.resolve(rt, session.token) is not None


def test_a_known_and_an_unknown_email_answer_alike(rt: Runtime, shop: Shop) -> None:
    _owner(rt, shop)
    answers: dict[str, list[tuple[str, str, int]]] = {}
    for email in ("ann@example.com", "nobody@example.com"):
        for _ in range(7):
            try:
                web_auth.staff_sign_in(rt, email=email, password="wrong guess",
                                       client=f"client of {email}")
            except (Unauthorized, TooManyAttempts) as exc:
                answers.setdefault(email, []).append(
                    (exc.code, exc.detail, getattr(exc, "retry_after_seconds", 0)))
    assert answers["ann@example.com"] == answers["nobody@example.com"]
    assert answers["ann@example.com"][0] == ("unauthorized", "wrong e-mail or password", 0)


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
        rt, till, staff_id=staff_id, pin=f"{1000 + i}", client="203.0.113.9"))
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
    tenants.revoke_terminal(rt, shop.tenant_id, shop.terminal_ids[0], actor=audit.SYSTEM)
    assert web_auth.resolve(rt, paired.token) is None
    with pytest.raises(Unauthorized):
        web_auth.pair_till(rt, shop.till_keys[0])
