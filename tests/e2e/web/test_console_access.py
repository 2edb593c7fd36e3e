"""Console access over HTTP: first-run set-up, sign-in, CSRF and roles."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in


def test_first_run_creates_the_business_and_signs_the_owner_in(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/console/setup"
    page = client.get("/console/setup")
    assert page.status_code == 200
    form = {"business": "Bean & Leaf", "currency": "EUR", "locale": "en_GB",
            "timezone": "Europe/London", "phone_region": "GB", "owner_name": "Ann",
            "email": "ann@example.com", "password": "long enough", "csrf": csrf_of(page.text)}
    bad = client.post("/console/setup", data={**form, "currency": "XYZ"})
    assert bad.status_code == 422
    assert 'id="e-currency"' in bad.text and "unknown ISO 4217 currency" in bad.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/console/setup"
    done = client.post("/console/setup", data=form, follow_redirects=False)
    assert done.status_code == 303
    home = client.get("/console")
    assert home.status_code == 200 and "Bean &amp; Leaf" in home.text
    # Set-up is closed once a business exists.
    assert client.get("/console/setup", follow_redirects=False).status_code == 303


def test_sign_in_refuses_a_wrong_password_and_a_missing_csrf(client: TestClient, rt: Runtime,
                                                               shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="owner", email="boss@example.com")
    page = client.get("/console/login")
    wrong = client.post("/console/login", data={"email": "boss@example.com",
                                                "password": "nope nope",
                                                "csrf": csrf_of(page.text)})
    assert wrong.status_code == 422 and "wrong e-mail or password" in wrong.text
    forged = client.post("/console/login", data={"email": "boss@example.com",
                                                 "password": "correct horse", "csrf": "x"})
    assert forged.status_code == 403
    sign_in(client, "boss@example.com")
    assert client.get("/console").status_code == 200
    # A signed-in form without the session's token is refused and changes nothing.
    assert client.post("/console/logout", data={"csrf": "wrong"}).status_code == 403
    assert client.get("/console").status_code == 200


@pytest.mark.usefixtures("shop")
def test_pages_need_a_session(client: TestClient) -> None:
    response = client.get("/console", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    htmx = client.get("/console", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["HX-Redirect"] == "/console/login"


def test_a_cashier_cannot_use_the_console(client: TestClient, rt: Runtime, shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="cashier", email="till@example.com")
    page = client.get("/console/login")
    response = client.post("/console/login", data={"email": "till@example.com",
                                                   "password": "correct horse",
                                                   "csrf": csrf_of(page.text)})
    assert response.status_code == 422


def test_staff_choose_their_language_over_the_business_s(client: TestClient, rt: Runtime,
                                                         shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="owner", email="boss@example.com", language=None)
    sign_in(client, "boss@example.com")
    home = client.get("/console")
    assert '<html lang="ru">' in home.text and "Участники" in home.text  # the shop's ru_RU
    for language, word in (("uk", "Учасники"), ("bg", "Членове"), ("en", "Members")):
        switched = client.get(f"/console/language?lang={language}&back=/console")
        assert switched.status_code == 200 and f'<html lang="{language}">' in switched.text
        assert word in switched.text
    # Kept on the staff member, not only in this browser.
    client.cookies.clear()
    sign_in(client, "boss@example.com")
    assert '<html lang="en">' in client.get("/console").text
