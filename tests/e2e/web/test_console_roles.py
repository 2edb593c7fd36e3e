"""Every console route names the permission it needs, and each role is refused what its
permissions do not cover."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from regulars.services.runtime import Runtime
from regulars.services.web_sessions.sessions import Permission, allowed
from regulars.web.console import router
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, member, sale, signed_in

OPEN = {"/console/login", "/console/logout", "/console/setup", "/console/invite/{token}"}


def _routes() -> list[tuple[APIRoute, str, Permission]]:
    found = []
    for route in router.routes:
        assert isinstance(route, APIRoute)
        if route.path in OPEN:
            continue
        permissions = [getattr(dep.dependency, "permission", None)
                       for dep in route.dependencies]
        permissions = [p for p in permissions if p is not None]
        assert len(permissions) == 1, f"{route.path} declares no needs(...) dependency"
        for method in sorted(route.methods):
            found.append((route, method, permissions[0]))
    return found


def _url(route: APIRoute, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), route.path)


def test_every_console_route_declares_its_permission() -> None:
    routes = _routes()
    assert len(routes) > 20
    paths = {route.path for route, _, _ in routes}
    assert {"/console/members", "/console/receipts/{receipt_id}/refund",
            "/console/promotions/new", "/console/coupons/{series_id}/codes",
            "/console/segments/new"} <= paths


@pytest.mark.parametrize("role", ["analyst", "marketer"])
def test_roles_are_refused_what_they_may_not_do(client: TestClient, rt: Runtime, shop: Shop,
                                                role: str) -> None:
    ann = member(rt, shop)
    receipt_id = sale(rt, shop, "R-1")["receipt"]["id"]
    ids = {"member_id": ann["id"], "receipt_id": receipt_id}
    signed_in(client, rt, shop, role)
    csrf = form_of(client.get("/console/members").text)["csrf"]
    refused = 0
    for route, method, permission in _routes():
        if allowed(role, permission):
            continue
        url = _url(route, ids)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf": csrf, "mode": "all", "points": "5",
                                              "reason": "x", "source_id": "1", "count": "1"})
        assert response.status_code == 403, (method, url, response.status_code)
        refused += 1
    assert refused > 0
    # Nothing any refused request could have done happened.
    assert client.get(f"/console/receipts/{receipt_id}").status_code == 200
    page = client.get(f"/console/members/{ann['id']}")
    assert "Broken" not in page.text


def test_an_analyst_may_write_nothing_and_a_marketer_neither_refund_nor_set_up() -> None:
    # The program preview and a certificate's or goods card's look-up by code are posted
    # (the form keeps the code out of the address) but write nothing: anyone may look.
    reads = {"/console/program/preview", "/console/certificates/lookup", "/console/goods/lookup"}
    writes = [p for route, m, p in _routes() if m == "POST" and route.path not in reads]
    assert writes and not any(allowed("analyst", p) for p in writes)
    assert not allowed("marketer", Permission.REFUND)
    assert not allowed("marketer", Permission.SETUP)
    assert Permission.REFUND in writes


@pytest.mark.parametrize(("language", "said"), [
    ("en", "your role may not change the business&#39;s setup"),
    ("ru", "вашей роли нельзя изменять настройки бизнеса"),
    ("uk", "вашій ролі не можна змінювати налаштування бізнесу"),
    ("bg", "вашата роля не може да променя настройките на бизнеса"),
])
def test_a_refusal_names_what_the_role_may_not_do_in_the_reader_s_language(
        client: TestClient, rt: Runtime, shop: Shop, language: str, said: str) -> None:
    signed_in(client, rt, shop, "analyst")
    client.get("/console/language", params={"lang": language, "back": "/console"})
    refused = client.get("/console/settings")
    assert refused.status_code == 403
    assert said in refused.text and "(setup)" not in refused.text
