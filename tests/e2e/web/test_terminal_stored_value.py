"""Stored value at the cashier terminal: a gift card sold as a line of the sale, a certificate
and the member's wallet paying part of it (what is due or the balance by default; a refused
one named beside its box, nothing written), the wallet topped up, and a certificate's balance
checked by its code."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates, wallets
from regulars.services.stored_value.certificates import IssueOrder
from regulars.services.stored_value.wallets import PaidBy
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from tests.conftest import Shop, make_shop
from tests.e2e.web import test_terminal
from tests.e2e.web.support import csrf_of
from tests.e2e.web.test_terminal import member_with_points, sale_form

# The terminal's fixtures: read in English, a cashier signed in at a paired till.
english, cashier, till = test_terminal.english, test_terminal.cashier, test_terminal.till


def gift_codes(rt: Runtime, shop: Shop, *, amount: int = 5000, for_sale: bool = False,
               nominals: tuple[int, ...] = (), count: int = 1,
               store_ids: tuple[int, ...] = ()) -> tuple[str, ...]:
    """Codes of new certificates: active ones holding ``amount``, or cards for sale; of a
    series the ``store_ids`` accept (none: every store)."""
    terms = (SeriesTerms(name="Gift", nominal_values_minor=nominals, valid_days=365,
                         store_ids=store_ids)
             if nominals else SeriesTerms(name="Gift", min_minor=1000, max_minor=100_000,
                                          valid_days=365, store_ids=store_ids))
    series = certificates.create_series(rt, shop.tenant_id, terms, actor=audit.SYSTEM)
    return certificates.issue(rt, shop.tenant_id, IssueOrder(
        series_id=series.id, count=count, amount_minor=amount, for_sale=for_sale),
        actor=audit.SYSTEM).codes


def _receipt_pk(location: str) -> int:
    return int(location.split("?")[0].split("/")[-1])


def test_a_gift_card_is_sold_on_the_receipt_for_its_value_or_the_amount_typed(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    [fixed] = gift_codes(rt, shop, amount=3000, for_sale=True, nominals=(3000, 5000))
    [open_] = gift_codes(rt, shop, amount=2000, for_sale=True)
    page = till.get("/terminal/sale")
    assert 'id="f-card_code"' in page.text
    form = sale_form(page.text, price="5.00", card_code=fixed)
    quoted = till.post("/terminal/quote", data=form)
    assert 'id="card-option"' in quoted.text and fixed[-4:] in quoted.text
    # The card is paid on top of the bill: the cashier is told to take 5.00 + 30.00.
    to_collect = quoted.text.split('id="to-collect"')[1].split("</tr>")[0]
    assert "35.00" in to_collect, to_collect
    wrong = till.post("/terminal/commit", data={**form, "card_amount": "40"})
    assert wrong.status_code == 422 and 'id="e-card_amount"' in wrong.text
    assert "nominal values" in wrong.text
    assert certificates.look_up(rt, shop.tenant_id, fixed).status == "pending"
    done = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    receipt = till.get(done.headers["location"])
    assert 'id="sv-certificates"' in receipt.text and f"ending in {fixed[-4:]}" in receipt.text
    assert fixed not in receipt.text
    sold = certificates.look_up(rt, shop.tenant_id, fixed)
    assert (sold.status, sold.balance_minor) == ("active", 3000)
    page = till.get("/terminal/sale")
    done = till.post("/terminal/commit", data=sale_form(
        page.text, price="5.00", card_code=open_, card_amount="25.00"), follow_redirects=False)
    assert done.status_code == 303, done.text
    assert certificates.look_up(rt, shop.tenant_id, open_).balance_minor == 2500


def test_a_gift_card_is_sold_without_a_bill_and_an_empty_sale_still_asks_for_one(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    [card] = gift_codes(rt, shop, amount=3000, for_sale=True, nominals=(3000,))
    page = till.get("/terminal/sale")
    quoted = till.post("/terminal/quote", data=sale_form(page.text, price="", card_code=card))
    assert 'id="card-option"' in quoted.text and "amount of the bill" not in quoted.text
    assert "30.00" in quoted.text.split('id="to-collect"')[1].split("</tr>")[0]
    done = till.post("/terminal/commit", data=sale_form(page.text, price="", card_code=card),
                     follow_redirects=False)
    assert done.status_code == 303, done.text
    receipt = till.get(done.headers["location"])
    assert 'id="sv-certificates"' in receipt.text and f"ending in {card[-4:]}" in receipt.text
    sold = certificates.look_up(rt, shop.tenant_id, card)
    assert (sold.status, sold.balance_minor) == ("active", 3000)
    page = till.get("/terminal/sale")
    empty = till.post("/terminal/commit", data=sale_form(page.text, price=""))
    assert empty.status_code == 422 and 'id="e-price-0"' in empty.text
    assert "enter the amount of the bill" in empty.text


def test_a_coupon_on_a_sale_without_a_bill_is_named_beside_its_box(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    [card] = gift_codes(rt, shop, amount=3000, for_sale=True, nominals=(3000,))
    page = till.get("/terminal/sale")
    refused = till.post("/terminal/commit", data=sale_form(
        page.text, price="", card_code=card, coupon="SPRING-10"))
    assert refused.status_code == 422, refused.text
    assert 'id="e-coupon"' in refused.text and "this receipt has none" in refused.text
    assert certificates.look_up(rt, shop.tenant_id, card).status == "pending"


def test_a_card_sold_already_or_unknown_is_named_beside_its_box(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    [active] = gift_codes(rt, shop, amount=3000)
    page = till.get("/terminal/sale")
    again = till.post("/terminal/commit", data=sale_form(page.text, price="5",
                                                          card_code=active))
    assert again.status_code == 422 and 'id="e-card_code"' in again.text
    assert "sold already" in again.text
    quoted = till.post("/terminal/quote", data=sale_form(page.text, price="5",
                                                          card_code=active))
    assert 'id="q-card_code"' in quoted.text and "sold already" in quoted.text
    assert 'id="card-option"' not in quoted.text
    unknown = till.post("/terminal/commit", data=sale_form(page.text, price="5",
                                                            card_code="nonsense"))
    assert unknown.status_code == 422 and 'id="e-card_code"' in unknown.text
    assert till.get("/terminal/receipts").text.count("/terminal/receipts/") == 0


def test_a_certificate_pays_what_is_due_or_its_balance_and_the_receipt_shows_what_is_left(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    [code] = gift_codes(rt, shop, amount=5000)
    page = till.get("/terminal/sale")
    form = sale_form(page.text, price="30.00", cert_code=code)
    quoted = till.post("/terminal/quote", data=form)
    assert 'id="cert-option"' in quoted.text and 'id="left-to-pay"' in quoted.text
    done = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    # A double submit is the same receipt, though the balance left would now pay less.
    again = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert again.headers["location"].split("?")[0] == done.headers["location"].split("?")[0]
    receipt = till.get(done.headers["location"])
    assert 'id="left-certificate"' in receipt.text and code[-4:] in receipt.text
    assert 'id="sv-tenders"' in receipt.text
    assert certificates.look_up(rt, shop.tenant_id, code).balance_minor == 2000
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]),
                              _receipt_pk(done.headers["location"]))
    assert stored.paid_minor == 3000
    # The rest (20.00) pays a bigger bill only up to its balance.
    page = till.get("/terminal/sale")
    form = sale_form(page.text, price="50.00", cert_code=code)
    done = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert certificates.look_up(rt, shop.tenant_id, code).balance_minor == 0
    again = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert again.status_code == 303, again.text
    # Another sale finds nothing left on it.
    page = till.get("/terminal/sale")
    empty = till.post("/terminal/commit", data=sale_form(page.text, price="5", cert_code=code))
    assert empty.status_code == 422 and 'id="e-cert_amount"' in empty.text
    assert "nothing is left" in empty.text


def test_the_balances_left_come_from_the_receipt_not_the_address(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    [code] = gift_codes(rt, shop, amount=5000)
    page = till.get("/terminal/sale")
    done = till.post("/terminal/commit", data=sale_form(page.text, price="30.00",
                                                        cert_code=code),
                     follow_redirects=False)
    assert done.status_code == 303, done.text
    location = done.headers["location"]
    assert "left" not in location and "2000" not in location and code[-4:] not in location
    forged = till.get(f"{location}&left=certificate:{code[-4:]}:9999900&left=wallet::777700")
    assert 'id="left-certificate"' in forged.text and "20.00" in forged.text
    assert "99,999" not in forged.text and "99999" not in forged.text
    assert 'id="left-wallet"' not in forged.text
    # Spent elsewhere later: the receipt still says what its commit left on the card.
    page = till.get("/terminal/sale")
    assert till.post("/terminal/commit", data=sale_form(page.text, price="5.00",
                                                        cert_code=code),
                     follow_redirects=False).status_code == 303
    again = till.get(location)
    assert 'id="left-certificate"' in again.text and "20.00" in again.text
    assert 'id="left-certificate"' not in till.get(location.split("?")[0]).text
    other = till.get(f"/terminal/receipts/{_receipt_pk(location) + 1000}?done=1")
    assert other.status_code == 404


def test_the_wallet_and_a_certificate_share_the_bill(till: TestClient, rt: Runtime,
                                                     shop: Shop) -> None:
    member_id = member_with_points(rt, shop)
    wallets.top_up(rt, authenticate(rt, shop.till_keys[0]), MemberRef(id=member_id),
                   amount_minor=1000, paid_by=PaidBy.CASH, key="w-1", payload={"a": 1})
    [code] = gift_codes(rt, shop, amount=5000)
    page = till.get(f"/terminal/sale?member={member_id}")
    assert 'id="member-wallet"' in page.text and 'id="f-wallet"' in page.text
    form = sale_form(page.text, price="30.00", cert_code=code, cert_amount="25",
                     wallet="1")
    quoted = till.post("/terminal/quote", data=form)
    assert 'id="wallet-option"' in quoted.text and 'id="cert-option"' in quoted.text
    done = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    receipt = till.get(done.headers["location"])
    assert 'id="left-wallet"' in receipt.text and 'id="left-certificate"' in receipt.text
    assert wallets.statement(rt, shop.tenant_id, member_id).balance_minor == 500
    assert certificates.look_up(rt, shop.tenant_id, code).balance_minor == 2500


def test_a_refused_tender_is_named_beside_its_box_and_nothing_is_written(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    [code, lost] = gift_codes(rt, shop, amount=5000, count=2)
    certificates.set_blocked(rt, shop.tenant_id, certificates.look_up(
        rt, shop.tenant_id, lost).id, blocked=True, actor=audit.SYSTEM)
    other = make_shop(rt, "Elsewhere")
    [foreign] = gift_codes(rt, other, amount=5000)
    page = till.get("/terminal/sale")
    over = till.post("/terminal/commit", data=sale_form(page.text, price="100", cert_code=code,
                                                        cert_amount="60"))
    assert over.status_code == 422 and 'id="e-cert_amount"' in over.text
    blocked = till.post("/terminal/commit", data=sale_form(page.text, price="100",
                                                           cert_code=lost))
    assert blocked.status_code == 422 and 'id="e-cert_code"' in blocked.text
    assert "blocked" in blocked.text
    quoted = till.post("/terminal/quote", data=sale_form(page.text, price="100",
                                                         cert_code=lost))
    assert 'id="q-cert_code"' in quoted.text
    for text in (foreign, "ABCD-EFGH"):
        refused = till.post("/terminal/commit", data=sale_form(page.text, price="100",
                                                               cert_code=text))
        assert refused.status_code == 422 and 'id="e-cert_code"' in refused.text
    assert till.get("/terminal/receipts").text.count("/terminal/receipts/") == 0
    assert certificates.look_up(rt, shop.tenant_id, code).balance_minor == 5000
    assert certificates.look_up(rt, other.tenant_id, foreign).balance_minor == 5000


def test_a_series_of_other_stores_is_neither_sold_nor_taken_at_this_till(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    far = tenants.create_store(rt, shop.tenant_id, code="far", name="Far street",
                               actor=audit.SYSTEM)
    [card] = gift_codes(rt, shop, amount=3000, for_sale=True, store_ids=(far.id,))
    [code] = gift_codes(rt, shop, amount=5000, store_ids=(far.id,))
    page = till.get("/terminal/sale")
    sold = till.post("/terminal/commit", data=sale_form(page.text, price="5", card_code=card))
    assert sold.status_code == 422 and 'id="e-card_code"' in sold.text
    assert "not accepted in this store" in sold.text
    taken = till.post("/terminal/commit", data=sale_form(page.text, price="50",
                                                         cert_code=code, cert_amount="10"))
    assert taken.status_code == 422 and 'id="e-cert_code"' in taken.text
    assert "not accepted in this store" in taken.text
    assert till.get("/terminal/receipts").text.count("/terminal/receipts/") == 0
    assert certificates.look_up(rt, shop.tenant_id, card).status == "pending"
    assert certificates.look_up(rt, shop.tenant_id, code).balance_minor == 5000


def test_top_up_the_wallet_once_per_form(till: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = member_with_points(rt, shop)
    sale = till.get(f"/terminal/sale?member={member_id}")
    assert f'href="/terminal/wallet?member={member_id}"' in sale.text
    page = till.get(f"/terminal/wallet?member={member_id}")
    assert page.status_code == 200 and 'id="wallet-form"' in page.text
    form = sale_form(page.text, amount="15.00", paid_by="card", csrf=csrf_of(page.text))
    bad = till.post("/terminal/wallet", data={**form, "amount": "-3"})
    assert bad.status_code == 422 and 'id="e-amount"' in bad.text
    first = till.post("/terminal/wallet", data=form, follow_redirects=False)
    again = till.post("/terminal/wallet", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303, first.text
    shown = till.get(first.headers["location"])
    assert 'id="wallet-done"' in shown.text
    assert wallets.statement(rt, shop.tenant_id, member_id).balance_minor == 1500
    other = make_shop(rt, "Elsewhere")
    stranger = member_with_points(rt, other)
    foreign = till.post("/terminal/wallet", data={**form, "member_id": stranger, "key": "x"})
    assert foreign.status_code == 404
    assert wallets.statement(rt, other.tenant_id, stranger).balance_minor == 0


def test_check_a_certificates_balance_by_its_code(till: TestClient, rt: Runtime,
                                                  shop: Shop) -> None:
    [code] = gift_codes(rt, shop, amount=4200)
    page = till.get("/terminal/certificate")
    assert page.status_code == 200 and 'id="f-code"' in page.text
    found = till.post("/terminal/certificate", data={"code": code.lower(),
                                                      "csrf": csrf_of(page.text)})
    assert found.status_code == 200 and 'id="certificate-balance"' in found.text
    assert code[-4:] in found.text and code not in found.text
    assert "Valid until" in found.text and 'id="certificate-valid"' not in found.text
    [unsold] = gift_codes(rt, shop, amount=4200, for_sale=True)
    waiting = till.post("/terminal/certificate", data={"code": unsold,
                                                        "csrf": csrf_of(page.text)})
    assert waiting.status_code == 200 and "Valid until" not in waiting.text
    assert 'id="certificate-valid">from the day it is sold<' in waiting.text
    other = make_shop(rt, "Elsewhere")
    [foreign] = gift_codes(rt, other, amount=100_000)
    for text in ("", "ABCD", foreign):
        refused = till.post("/terminal/certificate", data={"code": text,
                                                            "csrf": csrf_of(page.text)})
        assert refused.status_code == 422 and 'id="e-code"' in refused.text
