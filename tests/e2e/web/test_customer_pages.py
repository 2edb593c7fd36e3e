"""The signed-in member's pages over HTTP: figures that match the ledger, points expiring
soon, the QR card, history, coupons, referral, profile and the data download."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from regulars.domain.promotions.promotions import FixedDiscount
from regulars.services.audit import audit
from regulars.services.ledger import member_ledger
from regulars.services.members import customer_page as member_page
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.promotions import coupons
from regulars.services.promotions.coupons import SeriesDraft
from regulars.services.results import to_json
from regulars.services.rewards import referrals
from regulars.services.runtime import Runtime
from regulars.web.customer.common import qr_svg
from tests.conftest import FakeClock, Shop
from tests.e2e.web.customer_support import buy, register, sign_in_member, with_levels
from tests.e2e.web.support import csrf_of
from tests.integration.support import Pos, phone, set_program


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    """Read the pages in English whatever catalogs the tenant's language has."""
    client.cookies.set("rg_lang", "en")


def test_home_shows_the_ledger_figures_level_progress_and_the_qr_card(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    with_levels(rt, shop.tenant_id)
    member_id = register(rt, shop.tenant_id, 1, first_name="Olga")
    pos = Pos(rt, shop)
    buy(pos, member_id, 500_000, "r1")  # 5 000.00 paid: 3 % = 150 points, half-way to Gold
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    view = to_json(members.get(rt, shop.tenant_id, MemberRef(id=member_id)))
    assert view["balance_points"] == 150
    home = client.get(f"/c/{shop.tenant_id}")
    assert home.status_code == 200
    assert "Hello, Olga" in home.text
    assert f'id="balance">{view["balance_points"]}<' in home.text
    assert f"{view['spendable_points']} spendable now" in home.text
    assert 'aria-valuenow="50"' in home.text
    to_next = format_currency(5000, "RUB", locale="en_GB")
    assert f"Spend {to_next} more to reach Gold." in home.text
    # The card encodes the QR token, by which a till finds the member.
    content = member_page.card_content(rt, shop.tenant_id, member_id)
    assert content == view["qr_token"]
    assert members.get(rt, shop.tenant_id, MemberRef(qr=content)).id == member_id
    scanned = client.post("/v1/pos/members/lookup", json={"qr": content}, headers=shop.till())
    assert scanned.status_code == 200 and scanned.json()["id"] == member_id
    assert qr_svg(content) in home.text and "<svg" in home.text
    assert phone(1) in home.text


def test_points_expiring_within_30_days_are_listed_with_their_dates(
        client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    with_levels(rt, shop.tenant_id)  # points expire 90 days after they are earned
    member_id = register(rt, shop.tenant_id, 2)
    pos = Pos(rt, shop)
    buy(pos, member_id, 100_000, "r1")  # 30 points
    sign_in_member(client, rt, shop.tenant_id, phone(2))
    assert 'id="expiring"' not in client.get(f"/c/{shop.tenant_id}").text
    clock.advance(days=70)
    buy(pos, member_id, 200_000, "r2")  # 60 points, expiring much later
    sign_in_member(client, rt, shop.tenant_id, phone(2))  # the 30-day session has ended
    lots = member_ledger.lots(rt, shop.tenant_id, member_id)
    soon = [lot for lot in lots
            if lot.expires_at and lot.expires_at <= clock.now + timedelta(days=30)]
    assert [lot.points for lot in soon] == [30]
    home = client.get(f"/c/{shop.tenant_id}").text
    assert 'id="expiring"' in home
    assert "30 points expire in the next 30 days" in home
    when = soon[0].expires_at.astimezone(
        ZoneInfo("Europe/Moscow")).date()
    assert f"30 points on {format_date(when, 'medium', locale='en_GB')}" in home
    assert 'id="balance">90<' in home


def test_history_explains_each_figure_a_page_at_a_time(client: TestClient, rt: Runtime,
                                                      shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 3)
    pos = Pos(rt, shop)
    receipt_id = buy(pos, member_id, 100_000, "r1")["receipt"]["id"]
    for _ in range(22):
        pos.grant(member_id, 5)
    sign_in_member(client, rt, shop.tenant_id, phone(3))
    first = client.get(f"/c/{shop.tenant_id}/history")
    assert first.status_code == 200
    assert first.text.count('class="card entry"') == 20
    assert "test grant" in first.text  # the adjustment's reason, in its explanation
    assert 'id="older"' in first.text
    older = first.text.split('id="older" href="')[1].split('"')[0]
    second = client.get(older)
    assert second.text.count('class="card entry"') == 3
    assert f"/c/{shop.tenant_id}/receipts/{receipt_id}" in second.text
    explained = to_json(member_ledger.history(rt, shop.tenant_id, member_id, limit=500,
                                              locale="en_GB", for_member=True))
    earn = next(e for e in explained if e["code"] == "earn")
    assert earn["explanations"] and all(
        text.replace("'", "&#39;") in second.text for text in earn["explanations"])
    assert 'id="older"' not in second.text
    receipt = client.get(f"/c/{shop.tenant_id}/receipts/{receipt_id}")
    assert receipt.status_code == 200 and "Coffee" in receipt.text


def test_coupons_bound_to_the_member_are_listed_by_state(client: TestClient, rt: Runtime,
                                                        shop: Shop, clock: FakeClock) -> None:
    member_id = register(rt, shop.tenant_id, 4)
    other = register(rt, shop.tenant_id, 5)
    today = clock.now.date()
    lasting = coupons.create_series(rt, shop.tenant_id, SeriesDraft(
        name="Free croissant", effect=FixedDiscount(amount_minor=1500)), actor=audit.SYSTEM)
    short = coupons.create_series(rt, shop.tenant_id, SeriesDraft(
        name="Spring week", effect=FixedDiscount(amount_minor=500), ends_on=today
        + timedelta(days=3)), actor=audit.SYSTEM)
    coupons.generate_codes(rt, shop.tenant_id, lasting.id, count=1, member_id=member_id,
                           actor=audit.SYSTEM)
    coupons.generate_codes(rt, shop.tenant_id, short.id, count=1, member_id=member_id,
                           actor=audit.SYSTEM)
    coupons.generate_codes(rt, shop.tenant_id, lasting.id, count=1, member_id=other,
                           actor=audit.SYSTEM)
    sign_in_member(client, rt, shop.tenant_id, phone(4))
    page = client.get(f"/c/{shop.tenant_id}/coupons").text
    active = page.split('id="coupons-active"')[1].split('id="coupons-used"')[0]
    assert "Free croissant" in active and "Spring week" in active
    clock.advance(days=5)
    page = client.get(f"/c/{shop.tenant_id}/coupons").text
    expired = page.split('id="coupons-expired"')[1]
    assert "Spring week" in expired
    assert page.count("Free croissant") == 1  # the other member's code is not shown


def test_invite_shows_the_referral_code_and_the_join_page_explains_it(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 6)
    sign_in_member(client, rt, shop.tenant_id, phone(6))
    page = client.get(f"/c/{shop.tenant_id}/invite")
    code = to_json(referrals.referral_info(rt, shop.tenant_id, member_id))["code"]
    assert page.status_code == 200 and code in page.text
    # One link: the one the rewards settings' ``link_base`` would make, served here.
    assert f"http://testserver/c/{shop.tenant_id}/r/{code}<" in page.text
    anonymous = TestClient(client.app)
    served = anonymous.get(f"/c/{shop.tenant_id}/r/{code}")
    assert served.status_code == 200 and f'id="join-code">{code}<' in served.text
    joined = anonymous.get(f"/c/{shop.tenant_id}/join", params={"ref": code.lower()})
    assert joined.status_code == 200 and f'id="join-code">{code}<' in joined.text
    unknown = anonymous.get(f"/c/{shop.tenant_id}/join", params={"ref": "ZZZZZZ"})
    assert unknown.status_code == 200 and 'id="join-code"' not in unknown.text


def _profile_form(client: TestClient, tenant_id: int, **values: str) -> dict[str, str]:
    page = client.get(f"/c/{tenant_id}/profile")
    return {"first_name": "Olga", "last_name": "Ivanova", "email": "olga@example.com",
            "birthday": "", "consent": "full", "csrf": csrf_of(page.text), **values}


def test_profile_edits_refuse_a_bad_email_and_keep_the_birthday(client: TestClient,
                                                               rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 7, first_name="Olga")
    sign_in_member(client, rt, shop.tenant_id, phone(7))
    url = f"/c/{shop.tenant_id}/profile"
    bad = client.post(url, data=_profile_form(client, shop.tenant_id, first_name="Olya",
                                              email="not-an-email"))
    assert bad.status_code == 422
    assert 'id="e-email"' in bad.text and "name@example.com" in bad.text
    assert 'value="Olya"' in bad.text  # what was typed stays in the form
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).first_name == "Olga"
    saved = client.post(url, data=_profile_form(client, shop.tenant_id, birthday="1990-05-17",
                                                consent="earn_only"), follow_redirects=False)
    assert saved.status_code == 303
    view = to_json(members.get(rt, shop.tenant_id, MemberRef(id=member_id)))
    assert (view["last_name"], view["email"], view["birthday"], view["consent"]) == (
        "Ivanova", "olga@example.com", "1990-05-17", "earn_only")
    page = client.get(url)
    assert "set once" in page.text and 'value="earn_only" checked' in page.text
    changed = client.post(url, data=_profile_form(client, shop.tenant_id,
                                                  birthday="1991-01-01"))
    assert changed.status_code == 422 and 'id="e-birthday"' in changed.text
    assert to_json(members.get(rt, shop.tenant_id, MemberRef(id=member_id)))["birthday"] == \
        "1990-05-17"
    future = str(date.today() + timedelta(days=400))
    assert client.post(url, data=_profile_form(client, shop.tenant_id, consent="sometimes",
                                                birthday=future)).status_code == 422


def test_the_language_choice_is_kept_on_the_member(client: TestClient, rt: Runtime,
                                                  shop: Shop) -> None:
    register(rt, shop.tenant_id, 8)
    sign_in_member(client, rt, shop.tenant_id, phone(8))
    page = client.get(f"/c/{shop.tenant_id}/profile")
    client.post(f"/c/{shop.tenant_id}/language",
                data={"language": "bg", "csrf": csrf_of(page.text)})
    client.cookies.delete("rg_lang")
    assert '<html lang="bg">' in client.get(f"/c/{shop.tenant_id}").text
    client.get(f"/c/{shop.tenant_id}/language", params={"lang": "uk",
                                                        "back": f"/c/{shop.tenant_id}"})
    client.cookies.delete("rg_lang")
    assert '<html lang="uk">' in client.get(f"/c/{shop.tenant_id}").text


def test_the_data_download_holds_profile_history_receipts_and_coupons(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 9, first_name="Olga")
    pos = Pos(rt, shop)
    buy(pos, member_id, 100_000, "r1")
    pos.grant(member_id, 7)
    series = coupons.create_series(rt, shop.tenant_id, SeriesDraft(
        name="Free croissant", effect=FixedDiscount(amount_minor=1500)), actor=audit.SYSTEM)
    coupons.generate_codes(rt, shop.tenant_id, series.id, count=1, member_id=member_id,
                           actor=audit.SYSTEM)
    sign_in_member(client, rt, shop.tenant_id, phone(9))
    response = client.get(f"/c/{shop.tenant_id}/data.json")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    data = json.loads(response.text)
    assert data["profile"]["first_name"] == "Olga" and data["profile"]["phone"] == phone(9)
    assert {"phone", "qr"} <= {i["kind"] for i in data["identifiers"]}
    assert data["balance"]["balance_points"] == 37
    assert [e["code"] for e in data["history"]] == ["adjust", "earn"]
    assert all(e["explanations"] for e in data["history"])
    assert data["receipts"][0]["receipt_no"] == "r1" and data["receipts"][0]["lines"]
    assert [c["name"] for c in data["coupons"]] == ["Free croissant"]
    assert sum(lot["points"] for lot in data["lots"]) == 37


def test_a_receipt_paid_with_one_point_says_point(client: TestClient, rt: Runtime,
                                                 shop: Shop) -> None:
    with_levels(rt, shop.tenant_id)
    member_id = register(rt, shop.tenant_id, 1)
    pos = Pos(rt, shop)
    pos.grant(member_id, 100)
    sold = buy(pos, member_id, 10_000, "r1", spend=1)
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    page = client.get(f"/c/{shop.tenant_id}/receipts/{sold['receipt']['id']}")
    assert page.status_code == 200, page.text
    assert "Paid with 1 point<" in page.text


@pytest.mark.parametrize(("language", "said"), [
    ("en", "Points can be spent from a balance of 1,000 points."),
    ("ru", "Баллы можно списывать с баланса 1\u00a0000 баллов."),
    ("uk", "Бали можна списувати з балансу 1\u00a0000 балів."),
    ("bg", "Точките могат да се използват от баланс 1000 точки."),
])
def test_home_names_the_least_balance_to_spend_from_while_the_member_is_below_it(
        client: TestClient, rt: Runtime, shop: Shop, language: str, said: str) -> None:
    set_program(rt, shop.tenant_id, redeem_min_balance_points=1000, levels=[
        {"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 300}])
    member_id = register(rt, shop.tenant_id, 1)
    buy(Pos(rt, shop), member_id, 500_000, "r1")  # 150 points, below the least 1 000
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    client.cookies.set("rg_lang", language)
    home = client.get(f"/c/{shop.tenant_id}").text
    assert 'id="spend-from"' in home, home
    # The figure is grouped the reader's locale's way: compare without the group separators.

    def bare(text: str) -> str:
        return re.sub(r"(?<=\d)[\s,.\u00a0\u202f](?=\d)", "", text)
    assert bare(said) in bare(home)
