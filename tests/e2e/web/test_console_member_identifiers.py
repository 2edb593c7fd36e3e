"""A member's phone and cards in the console over HTTP: a new number confirmed by the code
texted to it (a wrong code or a number that is another member's changes nothing), a lost
card blocked and a new one issued, and registering a known phone saying so."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.errors import NotFound
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, member, signed_in
from tests.e2e.web.customer_support import CODE, sender_of

NEW_PHONE = "+78007750155"


def _phone_of(rt: Runtime, shop: Shop, member_id: int) -> str | None:
    return members.get(rt, shop.tenant_id, MemberRef(id=member_id)).phone


def test_a_new_phone_is_confirmed_by_the_code_sent_to_it(client: TestClient, rt: Runtime,
                                                         shop: Shop) -> None:
    sender = sender_of(rt)
    ann = member(rt, shop, first_name="Ann")
    other = member(rt, shop, "+78007750112", first_name="Bob")
    signed_in(client, rt, shop, "marketer")
    url = f"/console/members/{ann['id']}"
    page = client.get(f"{url}/identifiers")
    assert page.status_code == 200 and 'id="phone-form"' in page.text
    taken = client.post(f"{url}/phone/code", data={**form_of(page.text),
                                                   "new_phone": other["phone"]})
    assert taken.status_code == 409 and 'id="e-new_phone"' in taken.text
    assert not sender.sent
    sent = client.post(f"{url}/phone/code", data={**form_of(page.text),
                                                  "new_phone": "8 800 775-01-55"})
    assert sent.status_code == 200 and 'id="code-sent"' in sent.text
    assert sender.sent[-1].phone == NEW_PHONE
    found = CODE.search(sender.sent[-1].text)
    assert found
    wrong = client.post(f"{url}/phone", data={**form_of(sent.text), "new_phone": NEW_PHONE,
                                              "code": "000000"})
    assert wrong.status_code == 422 and 'id="e-code"' in wrong.text
    assert _phone_of(rt, shop, ann["id"]) == ann["phone"]
    done = client.post(f"{url}/phone", data={**form_of(sent.text), "new_phone": NEW_PHONE,
                                             "code": found.group(1)}, follow_redirects=False)
    assert done.status_code == 303
    assert _phone_of(rt, shop, ann["id"]) == NEW_PHONE
    assert members.get(rt, shop.tenant_id, MemberRef(phone=NEW_PHONE)).id == ann["id"]
    with pytest.raises(NotFound):  # the old number no longer finds anyone
        members.get(rt, shop.tenant_id, MemberRef(phone=ann["phone"]))
    again = client.post(f"{url}/phone", data={**form_of(sent.text), "new_phone": NEW_PHONE,
                                              "code": found.group(1)})
    assert again.status_code == 422  # the code worked once


def test_a_lost_card_is_blocked_and_a_new_one_issued(client: TestClient, rt: Runtime,
                                                     shop: Shop) -> None:
    ann = member(rt, shop, first_name="Ann")
    signed_in(client, rt, shop, "owner")
    url = f"/console/members/{ann['id']}"
    page = client.get(f"{url}/identifiers")
    issued = client.post(f"{url}/cards", data={**form_of(page.text), "card": "CARD-0001"},
                         follow_redirects=False)
    assert issued.status_code == 303
    assert members.get(rt, shop.tenant_id, MemberRef(card="CARD0001")).id == ann["id"]
    bad = client.post(f"{url}/cards", data={**form_of(page.text), "card": "x"})
    assert bad.status_code == 422 and 'id="e-card"' in bad.text and 'value="x"' in bad.text
    blocked = client.post(f"{url}/cards/block", data={**form_of(page.text),
                                                      "card": "CARD0001"},
                          follow_redirects=False)
    assert blocked.status_code == 303
    assert "blocked" in client.get(blocked.headers["location"]).text
    assert members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).cards == ()


def test_registering_a_known_phone_says_it_exists(client: TestClient, rt: Runtime,
                                                  shop: Shop) -> None:
    ann = member(rt, shop, first_name="Ann")
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/members/new")
    made = client.post("/console/members/new", data={
        **form_of(page.text), "phone": "8 (800) 775 0111", "first_name": "", "last_name": "",
        "consent": "full"})
    assert made.status_code == 200 and f"/console/members/{ann['id']}" in str(made.url)
    assert "already belongs to a member" in made.text


def test_another_businesss_member_is_not_found(client: TestClient, rt: Runtime,
                                               shop: Shop) -> None:
    ann = member(rt, shop, first_name="Ann")
    other = make_shop(rt, "Other Shop")
    signed_in(client, rt, other, "owner")
    csrf = form_of(client.get("/console/members").text)
    url = f"/console/members/{ann['id']}"
    assert client.get(f"{url}/identifiers").status_code == 404
    assert client.post(f"{url}/phone/code", data={**csrf, "new_phone": NEW_PHONE}
                       ).status_code == 404
    assert client.post(f"{url}/cards", data={**csrf, "card": "CARD0002"}).status_code == 404
    assert _phone_of(rt, shop, ann["id"]) == ann["phone"]
