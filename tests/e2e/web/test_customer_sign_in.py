"""Customer page sign-in over HTTP: one-time codes, the same answer for any number, rate
limits, sign-out and who may see what."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop, make_shop
from tests.e2e.web.customer_support import (
    ask_code,
    buy,
    enter_code,
    last_code,
    register,
    sender_of,
    sign_in_member,
)
from tests.e2e.web.support import csrf_of
from tests.integration.support import Pos, phone


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    """Read the pages in English whatever catalogs the tenant's language has."""
    client.cookies.set("rg_lang", "en")


def test_a_member_signs_in_with_the_code_and_out_again(client: TestClient, rt: Runtime,
                                                      shop: Shop) -> None:
    register(rt, shop.tenant_id, 1)
    sender_of(rt)
    assert client.get(f"/c/{shop.tenant_id}", follow_redirects=False).headers[
        "location"] == f"/c/{shop.tenant_id}/sign-in"
    # Any format the region accepts: 8 (916) ... is the same Russian number.
    asked = ask_code(client, shop.tenant_id, "8 (916) 000-00-01")
    assert asked.status_code == 200
    assert "If this number is registered, we sent a code" in asked.text
    assert [m.phone for m in sender_of(rt).sent] == [phone(1)]
    wrong = enter_code(client, shop.tenant_id, phone(1), "000000" if last_code(rt) != "000000"
                       else "111111")
    assert wrong.status_code == 422
    assert 'id="e-code"' in wrong.text and "the code is wrong (4 attempts left)" in wrong.text
    done = enter_code(client, shop.tenant_id, phone(1), last_code(rt))
    assert done.status_code == 303 and "rg_member" in done.headers["set-cookie"]
    home = client.get(f"/c/{shop.tenant_id}")
    assert home.status_code == 200 and 'id="balance"' in home.text
    out = client.post(f"/c/{shop.tenant_id}/sign-out", data={"csrf": csrf_of(home.text)},
                      follow_redirects=False)
    assert out.status_code == 303
    assert client.get(f"/c/{shop.tenant_id}", follow_redirects=False).status_code == 303
    # A code works once.
    again = enter_code(client, shop.tenant_id, phone(1), last_code(rt))
    assert again.status_code == 422 and "already used" in again.text


def test_an_expired_code_and_too_many_wrong_codes_are_refused(client: TestClient, rt: Runtime,
                                                             shop: Shop,
                                                             clock: FakeClock) -> None:
    register(rt, shop.tenant_id, 2)
    sender_of(rt)
    ask_code(client, shop.tenant_id, phone(2))
    code = last_code(rt)
    clock.advance(minutes=5, seconds=1)
    expired = enter_code(client, shop.tenant_id, phone(2), code)
    assert expired.status_code == 422 and "the code has expired" in expired.text
    ask_code(client, shop.tenant_id, phone(2))
    code = last_code(rt)
    wrong = "123456" if code != "123456" else "654321"
    for _ in range(5):
        enter_code(client, shop.tenant_id, phone(2), wrong)
    locked = enter_code(client, shop.tenant_id, phone(2), code)
    assert locked.status_code == 422 and "too many wrong attempts" in locked.text


def test_a_number_that_is_no_member_gets_the_same_answer_and_no_message(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    register(rt, shop.tenant_id, 3)
    sender = sender_of(rt)
    member = ask_code(client, shop.tenant_id, phone(3))
    stranger = ask_code(client, shop.tenant_id, phone(4))
    assert stranger.status_code == member.status_code == 200
    sent_notice = "If this number is registered, we sent a code"
    assert sent_notice in stranger.text and sent_notice in member.text
    assert [m.phone for m in sender.sent] == [phone(3)]
    # A guess answers as for a member, and never signs in.
    guess = enter_code(client, shop.tenant_id, phone(4), "123456")
    assert guess.status_code == 422 and "the code is wrong (4 attempts left)" in guess.text
    # A malformed number is an error next to the field.
    bad = ask_code(client, shop.tenant_id, "12")
    assert bad.status_code == 422 and 'id="e-phone"' in bad.text


def test_asking_too_often_is_limited_for_members_and_others(client: TestClient, rt: Runtime,
                                                           shop: Shop) -> None:
    register(rt, shop.tenant_id, 5)
    sender = sender_of(rt)
    for number in (phone(5), phone(6)):
        for _ in range(3):
            assert ask_code(client, shop.tenant_id, number).status_code == 200
        limited = ask_code(client, shop.tenant_id, number)
        assert limited.status_code == 429
        assert "Too many codes were asked for this number" in limited.text
        assert "try again after" in limited.text and 'id="e-phone"' in limited.text
        assert limited.headers["retry-after"] == "600"
    assert len(sender.sent) == 3


def test_a_member_sees_only_their_own_tenant_and_receipts(client: TestClient, rt: Runtime,
                                                         shop: Shop) -> None:
    other_shop = make_shop(rt, "Other Shop")
    mine = register(rt, shop.tenant_id, 7)
    theirs = register(rt, shop.tenant_id, 8)
    pos = Pos(rt, shop)
    own_receipt = buy(pos, mine, 50_000, "r-mine")["receipt"]["id"]
    their_receipt = buy(pos, theirs, 50_000, "r-theirs")["receipt"]["id"]
    sign_in_member(client, rt, shop.tenant_id, phone(7))
    assert client.get(f"/c/{shop.tenant_id}/receipts/{own_receipt}").status_code == 200
    foreign = client.get(f"/c/{shop.tenant_id}/receipts/{their_receipt}")
    assert foreign.status_code == 404
    assert client.get(f"/c/{shop.tenant_id}/receipts/999999").status_code == 404
    # The session of tenant A does not open tenant B's page: B's sign-in instead.
    cross = client.get(f"/c/{other_shop.tenant_id}", follow_redirects=False)
    assert cross.status_code == 303
    assert cross.headers["location"] == f"/c/{other_shop.tenant_id}/sign-in"
    assert client.get(f"/c/{other_shop.tenant_id}/data.json",
                      follow_redirects=False).status_code == 303
    # A form posted to B with A's session is refused the same way.
    assert client.post(f"/c/{other_shop.tenant_id}/profile", data={"first_name": "X"},
                       follow_redirects=False).status_code == 303
