"""The cashier terminal over HTTP: pairing, PIN sign-in, finding and registering members,
selling with points and a one-time code, double submits, and refunds."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.db.checkout.tables import receipts
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.messaging import notify
from regulars.services.messaging.messaging import MemorySender
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import Shop, make_shop
from tests.e2e.web.support import csrf_of

PIN = "2468"
PHONE = "+79161234567"


def add_cashier(rt: Runtime, tenant_id: int, name: str, *, store_id: int | None,
                pin: str = PIN) -> int:
    staff = tenants.create_staff(rt, tenant_id, name=name, email=None, role="cashier",
                                 store_id=store_id, actor=audit.SYSTEM)
    web_auth.set_pin(rt, tenant_id, int(staff.id), pin)
    return int(staff.id)


def pair(client: TestClient, key: str) -> None:
    page = client.get("/terminal/pair")
    response = client.post("/terminal/pair", data={"key": key, "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def sign_in(client: TestClient, staff_id: int, pin: str = PIN) -> None:
    page = client.get(f"/terminal/sign-in?staff={staff_id}")
    response = client.post("/terminal/sign-in", data={"staff_id": staff_id, "pin": pin,
                                                      "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    """The test shop speaks Russian; these tests read the terminal in English."""
    client.cookies.set("rg_lang", "en")


@pytest.fixture
def cashier(rt: Runtime, shop: Shop) -> int:
    return add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id)


@pytest.fixture
def till(client: TestClient, shop: Shop, cashier: int) -> TestClient:
    pair(client, shop.till_keys[0])
    sign_in(client, cashier)
    return client


@pytest.fixture
def sender(rt: Runtime) -> MemorySender:
    rt.sender = MemorySender()
    return rt.sender


def member_with_points(rt: Runtime, shop: Shop, points: int = 1_000) -> int:
    view, _ = member_registration.register(rt, shop.tenant_id,
                                           Registration(phone=PHONE, first_name="Olga"))
    member_ledger.adjust(rt, shop.tenant_id, int(view.id), points=points, reason="test",
                         key=f"grant-{view.id}")
    return int(view.id)


def sale_form(page_html: str, **fields: object) -> dict[str, object]:
    """The hidden fields of the sale form, with ``fields`` filled in."""
    hidden = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', page_html))
    return {**hidden, **fields}


def test_pairing_with_a_wrong_key_says_so_next_to_the_field(client: TestClient,
                                                            shop: Shop) -> None:
    assert client.get("/terminal", follow_redirects=False).headers["location"] == \
        "/terminal/pair"
    page = client.get("/terminal/pair")
    wrong = client.post("/terminal/pair", data={"key": "rgt_nope", "csrf": csrf_of(page.text)})
    assert wrong.status_code == 422
    assert 'id="e-key"' in wrong.text and "unknown or revoked till key" in wrong.text
    owner = client.post("/terminal/pair", data={"key": shop.owner_key,
                                                "csrf": csrf_of(page.text)})
    assert owner.status_code == 422 and "not a till key" in owner.text
    pair(client, shop.till_keys[0])
    assert client.get("/terminal", follow_redirects=False).headers["location"] == \
        "/terminal/sign-in"


def test_sign_in_lists_this_stores_cashiers_and_refuses_a_wrong_pin(
        client: TestClient, rt: Runtime, shop: Shop, cashier: int) -> None:
    other_store = tenants.create_store(rt, shop.tenant_id, code="north", name="North",
                                       actor=audit.SYSTEM)
    add_cashier(rt, shop.tenant_id, "Boris", store_id=other_store.id)
    other = make_shop(rt, "Elsewhere")
    add_cashier(rt, other.tenant_id, "Zoya", store_id=other.store_id)
    pair(client, shop.till_keys[0])
    page = client.get("/terminal/sign-in")
    assert "Vera" in page.text and "Boris" not in page.text and "Zoya" not in page.text
    keypad = client.get(f"/terminal/sign-in?staff={cashier}")
    wrong = client.post("/terminal/sign-in", data={"staff_id": cashier, "pin": "0000",
                                                   "csrf": csrf_of(keypad.text)})
    assert wrong.status_code == 422 and 'id="e-pin"' in wrong.text and "wrong PIN" in wrong.text
    sign_in(client, cashier)
    home = client.get("/terminal")
    assert home.status_code == 200 and "Find the member" in home.text and "Vera" in home.text
    out = client.post("/terminal/sign-out", data={"csrf": csrf_of(home.text)},
                      follow_redirects=False)
    assert out.headers["location"] == "/terminal/sign-in"
    assert client.get("/terminal", follow_redirects=False).headers["location"] == \
        "/terminal/sign-in"


def test_find_a_member_in_any_format_but_never_another_tenants(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = member_with_points(rt, shop)
    other = make_shop(rt, "Elsewhere")
    member_registration.register(rt, other.tenant_id, Registration(phone="+79160000001"))
    page = till.get("/terminal")
    found = till.post("/terminal/find", data={"q": "8 (916) 123-45-67",
                                              "csrf": csrf_of(page.text)},
                      follow_redirects=False)
    assert found.headers["location"] == f"/terminal/sale?member={member_id}"
    sale = till.get(found.headers["location"])
    assert "Olga" in sale.text and 'id="member-balance"' in sale.text
    foreign = till.post("/terminal/find", data={"q": "+7 916 000-00-01",
                                                "csrf": csrf_of(page.text)})
    assert foreign.status_code == 404 and "no member with this phone" in foreign.text
    assert 'id="register-form"' in foreign.text
    bad = till.post("/terminal/find", data={"q": "12", "csrf": csrf_of(page.text)})
    assert bad.status_code == 422 and 'id="e-q"' in bad.text
    qr = members.get(rt, shop.tenant_id, MemberRef(id=member_id)).qr_token
    by_qr = till.post("/terminal/find", data={"qr": qr, "csrf": csrf_of(page.text)},
                      follow_redirects=False)
    assert by_qr.headers["location"] == f"/terminal/sale?member={member_id}"
    assert till.get("/terminal/sale?member=999999").status_code == 404


def test_register_on_the_spot_with_the_welcome_bonus(till: TestClient, rt: Runtime,
                                                     shop: Shop) -> None:
    programs.save(rt, shop.tenant_id, programs.parse_rules({"welcome_bonus_points": 50}),
                  actor=audit.SYSTEM)
    page = till.get("/terminal")
    form = {"phone": "8 916 555 44 33", "first_name": "Ivan", "csrf": csrf_of(page.text)}
    refused = till.post("/terminal/register", data=form)
    assert refused.status_code == 422 and 'id="e-agree"' in refused.text
    done = till.post("/terminal/register", data={**form, "agree": "1"}, follow_redirects=False)
    assert done.status_code == 303
    sale = till.get(done.headers["location"])
    assert 'id="registered"' in sale.text and "Ivan" in sale.text
    member = members.get(rt, shop.tenant_id, MemberRef(phone="+79165554433"))
    assert member.balance_points == 50 and member.consent == "earn_only"
    assert "Welcome bonus credited: the balance is 50 points." in sale.text


@pytest.mark.parametrize(("bonus", "said"), [
    (0, ">The member is registered.<"), (1, "Welcome bonus credited: the balance is 1 point.")])
def test_registering_says_a_bonus_only_when_there_is_one(
        till: TestClient, rt: Runtime, shop: Shop, bonus: int, said: str) -> None:
    programs.save(rt, shop.tenant_id, programs.parse_rules({"welcome_bonus_points": bonus}),
                  actor=audit.SYSTEM)
    till.cookies.set("rg_lang", "en")
    page = till.get("/terminal")
    done = till.post("/terminal/register", data={
        "phone": "8 916 555 44 33", "agree": "1", "csrf": csrf_of(page.text)},
        follow_redirects=False)
    assert done.status_code == 303, done.text
    sale = till.get(done.headers["location"])
    assert said in sale.text
    assert ("Welcome bonus" in sale.text) == bool(bonus)


def test_a_sale_with_points_spent_records_the_cashier(till: TestClient, rt: Runtime,
                                                      shop: Shop, cashier: int) -> None:
    member_id = member_with_points(rt, shop)
    page = till.get(f"/terminal/sale?member={member_id}")
    form = sale_form(page.text, price="1000.00", name="Coffee beans", category="coffee",
                     qty="2", points_to_spend="150")
    quoted = till.post("/terminal/quote", data=form)
    assert quoted.status_code == 200 and 'data-otp="0"' in quoted.text
    assert 'data-max="600"' in quoted.text  # 30 % of 2 000.00
    too_many = till.post("/terminal/quote", data={**form, "points_to_spend": "700"})
    assert "at most 600 points" in too_many.text
    done = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    receipt = till.get(done.headers["location"])
    assert receipt.status_code == 200 and 'id="done"' in receipt.text
    assert "Coffee beans" in receipt.text and "<li>" in receipt.text  # the explanations
    # ... in the cashier's language, though the business speaks Russian.
    assert "150 points pay" in receipt.text and "баллов" not in receipt.text
    till.cookies.set("rg_lang", "uk")
    assert "балів" in till.get(done.headers["location"]).text
    till.cookies.set("rg_lang", "en")
    view = members.get(rt, shop.tenant_id, MemberRef(id=member_id))
    assert view.balance_points < 1_000
    receipt_pk = int(done.headers["location"].split("/")[-1].split("?")[0])
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]), receipt_pk)
    assert stored.points_spent == 150 and stored.gross_minor == 200_000
    with rt.db.read() as conn:
        staff_id = conn.execute(select(receipts.c.staff_id)
                                .where(receipts.c.id == receipt_pk)).scalar_one()
    assert staff_id == cashier


@pytest.mark.usefixtures("rt", "shop")
def test_bad_amounts_are_shown_next_to_the_field(till: TestClient) -> None:
    page = till.get("/terminal/sale")
    bad = till.post("/terminal/commit", data=sale_form(page.text, price="12,345"))
    assert bad.status_code == 422 and 'id="e-price-0"' in bad.text
    empty = till.post("/terminal/commit", data=sale_form(page.text, price=""))
    assert empty.status_code == 422 and "enter the amount of the bill" in empty.text


def test_a_sale_above_the_threshold_needs_the_code(till: TestClient, rt: Runtime, shop: Shop,
                                                   sender: MemorySender) -> None:
    programs.save(rt, shop.tenant_id, programs.parse_rules({"otp_above_points": 100}),
                  actor=audit.SYSTEM)
    member_id = member_with_points(rt, shop)
    page = till.get(f"/terminal/sale?member={member_id}")
    form = sale_form(page.text, price="1000", points_to_spend="200")
    assert 'data-otp="1"' in till.post("/terminal/quote", data=form).text
    missing = till.post("/terminal/commit", data=form)
    assert missing.status_code == 422 and 'id="e-otp_code"' in missing.text
    sent = till.post("/terminal/otp", data={"member_id": member_id,
                                            "csrf": csrf_of(page.text)})
    assert 'id="otp-sent"' in sent.text and "4567" in sent.text
    code = re.search(r"\b(\d{6})\b", sender.sent[-1].text)
    assert code
    wrong = till.post("/terminal/commit", data={**form, "otp_code": "000000"
                                                if code.group(1) != "000000" else "111111"})
    assert wrong.status_code == 422 and "wrong" in wrong.text
    done = till.post("/terminal/commit", data={**form, "otp_code": code.group(1)},
                     follow_redirects=False)
    assert done.status_code == 303, done.text


def test_a_double_submit_gives_one_receipt(till: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = member_with_points(rt, shop)
    page = till.get(f"/terminal/sale?member={member_id}")
    form = sale_form(page.text, price="500", points_to_spend="10")
    first = till.post("/terminal/commit", data=form, follow_redirects=False)
    second = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"]
    listing = till.get("/terminal/receipts")
    assert listing.text.count("/terminal/receipts/") == 1
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).balance_points == \
        1_000 - 10 + 14  # 3 % of 490.00 earned once


def test_refund_a_receipt_of_today(till: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = member_with_points(rt, shop)
    page = till.get(f"/terminal/sale?member={member_id}")
    done = till.post("/terminal/commit", data=sale_form(page.text, price="1000",
                                                          points_to_spend="100"),
                     follow_redirects=False)
    location = done.headers["location"].split("?")[0]
    listing = till.get("/terminal/receipts")
    assert location in listing.text
    receipt = till.get(location)
    asked = till.post(f"{location}/refund", data={**sale_form(receipt.text),
                                                  "reason": "changed her mind"})
    assert asked.status_code == 200 and 'id="confirm-refund"' in asked.text
    form = sale_form(asked.text)
    assert form["confirm"] == "1" and form["reason"] == "changed her mind"
    refunded = till.post(f"{location}/refund", data=form, follow_redirects=False)
    assert refunded.status_code == 303
    again = till.post(f"{location}/refund", data=form, follow_redirects=False)
    assert again.status_code == 303  # the same form twice refunds once
    after = till.get(refunded.headers["location"])
    assert 'id="refunds"' in after.text and 'id="refund"' not in after.text
    assert "Reason: changed her mind" in after.text
    assert "100 points returned" in after.text and "27 earned points taken back" in after.text
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).balance_points == 1_000
    # Another till of the business sees neither the receipt nor its refund.
    other = TestClient(till.app)
    pair(other, shop.till_keys[1])
    staff = add_cashier(rt, shop.tenant_id, "Gleb", store_id=shop.store_id)
    sign_in(other, staff)
    assert other.get(location).status_code == 404
    assert location not in other.get("/terminal/receipts").text


def test_the_offers_box_decides_whether_a_member_registered_at_the_till_gets_marketing(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    csrf = csrf_of(till.get("/terminal").text)
    for number, offers in (("8 916 555 44 01", "1"), ("8 916 555 44 02", "")):
        done = till.post("/terminal/register", data={
            "phone": number, "agree": "1", "offers": offers, "csrf": csrf},
            follow_redirects=False)
        assert done.status_code == 303
    ids = [members.get(rt, shop.tenant_id, MemberRef(phone=p)).id
           for p in ("+79165554401", "+79165554402")]
    with rt.db.write() as conn:  # a marketing message to both
        found = notify.queue(conn, rt, shop.tenant_id, notify.Batch(
            event="birthday", member_ids=ids, key=lambda m: f"birthday:{m}"), rt.now())
    assert [found.outcomes[m] for m in ids] == ["queued", "no_consent"]
