"""Free text has limits of its own (422 naming the field), and a member search takes ``%`` and
``_`` as the letters they are, not as wildcards matching every member."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Shop


def _register(client: TestClient, shop: Shop, phone: str, first_name: str) -> None:
    answer = client.post("/v1/admin/members", headers=shop.owner,
                         json={"phone": phone, "first_name": first_name})
    assert answer.status_code == 201, answer.text


def test_search_treats_percent_and_underscore_as_letters(client: TestClient,
                                                         shop: Shop) -> None:
    _register(client, shop, "+7 800 775-01-11", "Anna")
    _register(client, shop, "+7 800 775-01-12", "Boris")
    _register(client, shop, "+7 800 775-01-13", "100%_Club")
    for q, names in (("%", ["100%_Club"]), ("_", ["100%_Club"]), ("a%", []),
                     ("B_ris", []), ("ann", ["Anna"]), ("%_c", ["100%_Club"])):
        found = client.get("/v1/admin/members", headers=shop.owner, params={"q": q})
        assert found.status_code == 200, found.text
        assert [m["first_name"] for m in found.json()] == names, q


def test_free_text_past_its_limit_is_refused_by_field(client: TestClient, shop: Shop) -> None:
    long_query = client.get("/v1/admin/members", headers=shop.owner, params={"q": "x" * 201})
    assert long_query.status_code == 422
    assert long_query.json()["field"] == "query.q"
    cases = [
        ("/v1/admin/members", {"phone": "+7 800 775-01-14", "consent": "x" * 21}, "consent"),
        ("/v1/admin/members", {"phone": "+7 800 775-01-14",
                               "profile": {"note": "x" * 5000}}, "profile"),
        ("/v1/admin/staff", {"name": "Vera", "role": "x" * 21}, "role"),
        ("/v1/admin/promotions", {"name": "Long", "condition": "true && " * 300,
                                  "effects": [{"kind": "percent_discount", "rate_bp": 100}]},
         "condition"),
    ]
    for path, body, field in cases:
        answer = client.post(path, headers=shop.owner, json=body)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["field"] == field, answer.json()
