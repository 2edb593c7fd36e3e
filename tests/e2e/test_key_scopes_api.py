"""API key scopes: admin, analytics (read-only), events only, and pos for tills; least
privilege by default, checked on every route and listed in the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

KEYS = "/v1/admin/keys"
PUBLIC = {"/v1/health", "/v1/ready"}  # no key at all


def make_key(client: TestClient, shop: Shop, **body: Any) -> dict[str, str]:
    response = client.post(KEYS, headers=shop.owner, json={"label": "integration", **body})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


def operations(client: TestClient) -> list[tuple[str, str, list[str]]]:
    """Every API operation with the scopes its document lists."""
    doc = client.get("/openapi.json").json()
    found = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if path.startswith("/v1/") and path not in PUBLIC:
                security = operation.get("security")
                assert security, f"{method} {path} lists no scopes"
                found.append((method.upper(), path, security[0]["apiKey"]))
    return found


def test_a_new_key_posts_events_only_by_default(client: TestClient, shop: Shop) -> None:
    response = client.post(KEYS, headers=shop.owner, json={"label": "shop site"})
    assert response.json()["scopes"] == ["events"]
    events = {"Authorization": f"Bearer {response.json()['key']}"}
    posted = client.post("/v1/events", headers=events, json={
        "event_id": "e1", "type": "review", "member": {"id": 999}})
    assert posted.status_code != 403
    for method, path in (("GET", "/v1/admin/tenant"), ("GET", "/v1/admin/members"),
                         ("POST", "/v1/admin/stores"), ("POST", "/v1/pos/quote")):
        refused = client.request(method, path, headers=events, json={})
        assert refused.status_code == 403, (method, path, refused.text)
    listed = client.get(KEYS, headers=shop.owner).json()
    assert [k["scopes"] for k in listed if k["kind"] == "owner"] == [["admin"], ["events"]]
    assert {tuple(k["scopes"]) for k in listed if k["kind"] == "till"} == {("pos",)}


def test_analytics_keys_read_and_never_change(client: TestClient, shop: Shop) -> None:
    reader = make_key(client, shop, scopes=["analytics"])
    for path in ("/v1/admin/tenant", "/v1/admin/members", "/v1/admin/ledger/check",
                 "/v1/admin/promotions", "/v1/admin/program"):
        assert client.get(path, headers=reader).status_code == 200, path
    for method, path in (("POST", "/v1/admin/stores"), ("PUT", "/v1/admin/program"),
                         ("GET", KEYS), ("GET", "/v1/admin/staff"), ("POST", KEYS),
                         ("POST", "/v1/events"), ("POST", "/v1/pos/quote")):
        refused = client.request(method, path, headers=reader, json={})
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["error"] == "forbidden"


def test_admin_keys_and_tills_stay_in_their_lanes(client: TestClient, shop: Shop) -> None:
    admin = make_key(client, shop, scopes=["admin"])
    assert client.post("/v1/admin/stores", headers=admin,
                       json={"code": "second", "name": "Second"}).status_code == 201
    quote = client.post("/v1/pos/quote", headers=admin, json={"lines": []})
    assert quote.status_code == 403 and "till key" in quote.json()["detail"]
    tenant = client.get("/v1/admin/tenant", headers=shop.till())
    assert tenant.status_code == 403 and "owner key" in tenant.json()["detail"]
    both = make_key(client, shop, scopes=["events", "analytics"])
    assert client.get("/v1/admin/tenant", headers=both).status_code == 200


def test_unknown_or_no_scopes_are_refused_by_field(client: TestClient, shop: Shop) -> None:
    for scopes in (["root"], [], "admin"):
        response = client.post(KEYS, headers=shop.owner, json={"scopes": scopes})
        assert response.status_code == 422, response.text
        assert response.json()["field"].startswith("scopes")


def test_every_route_names_its_scopes_and_refuses_other_keys(client: TestClient,
                                                             shop: Shop) -> None:
    keys = {"admin": shop.owner, "analytics": make_key(client, shop, scopes=["analytics"]),
            "events": make_key(client, shop, scopes=["events"]), "pos": shop.till()}
    checked = 0
    for method, path, scopes in operations(client):
        assert scopes and set(scopes) <= set(keys), (method, path, scopes)
        url = re.sub(r"\{[^}]+\}", "1", path)
        for scope, headers in keys.items():
            if scope in scopes:
                continue
            response = client.request(method, url, headers={**headers, "Idempotency-Key": "k"},
                                      json={})
            assert response.status_code == 403, (scope, method, path, response.text)
            checked += 1
    assert checked > 100
    writes = [(m, p) for m, p, s in operations(client) if "analytics" in s and m != "GET"]
    assert writes == []
