"""The OpenAPI document says what the API answers: one error shape (a malformed request
included), the required Idempotency-Key header, 201 for a new member; unknown paths and
methods answer in the same error shape, a 405 with every method of the path."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop


def _document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_every_malformed_request_is_described_by_the_error_schema(client: TestClient) -> None:
    doc = _document(client)
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert doc["components"]["schemas"]["Error"]["required"] == ["error", "detail"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


def test_idempotency_key_is_a_required_bounded_header(client: TestClient) -> None:
    doc = _document(client)
    keyed = [(path, method, parameter) for path, item in doc["paths"].items()
             for method, operation in item.items()
             for parameter in operation.get("parameters", [])
             if parameter["name"] == "Idempotency-Key"]
    assert ("/v1/pos/commit", "post") in {(path, method) for path, method, _ in keyed}
    for _, _, parameter in keyed:
        assert parameter["in"] == "header" and parameter["required"] is True
        assert parameter["schema"] == {"type": "string", "minLength": 1, "maxLength": 200}


def test_registration_documents_201(client: TestClient) -> None:
    doc = _document(client)
    for path in ("/v1/pos/members", "/v1/admin/members"):
        assert {"200", "201"} <= set(doc["paths"][path]["post"]["responses"])


def test_unknown_path_and_method_answer_in_the_error_shape(client: TestClient,
                                                           shop: Shop) -> None:
    missing = client.get("/v1/pos/nothing-here", headers=shop.till())
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "Not Found"}
    # /v1/admin/members has GET and POST, declared as two routes: both are listed.
    wrong = client.delete("/v1/admin/members", headers=shop.owner)
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method_not_allowed"
    assert wrong.headers["allow"] == "GET, POST"
    # /members/merge is not a member id: GET there is a wrong method, not a malformed id.
    merge = client.get("/v1/admin/members/merge", headers=shop.owner)
    assert merge.status_code == 405 and merge.headers["allow"] == "POST"


def test_an_unreadable_body_is_bad_input(client: TestClient, shop: Shop) -> None:
    response = client.post("/v1/pos/quote", headers={**shop.till(),
                                                     "Content-Type": "multipart/form-data"},
                           content=b'{"lines": []}')
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert response.json()["field"] == "body"


def test_ids_beyond_64_bits_are_bad_input_not_a_crash(client: TestClient, shop: Shop) -> None:
    huge = 2**64
    for response, field in (
            (client.post(f"/v1/pos/receipts/{huge}/void",
                         headers={**shop.till(), "Idempotency-Key": "v"}), "path.receipt_id"),
            (client.post(f"/v1/admin/coupon-series/{huge}/codes", headers=shop.owner,
                         json={"count": 1}), "path.series_id"),
            (client.post("/v1/pos/members/lookup", headers=shop.till(),
                         json={"id": huge}), "id"),
            (client.get("/v1/admin/receipts", headers=shop.owner,
                        params={"before_id": huge}), "query.before_id"),
            (client.get("/v1/admin/members", headers=shop.owner,
                        params={"offset": huge}), "query.offset")):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field


def _success_schemas(doc: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, status, schema) of every 2xx answer with a body (204 has none)."""
    found = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("2") and status != "204":
                    # JSON, or a file (an export) documented as its media types
                    content = response.get("content", {})
                    schema = content.get("application/json",
                                         next(iter(content.values()), {})).get("schema", {})
                    found.append((method, path, status, schema))
    return found


def _a_file(schema: dict[str, Any]) -> bool:
    """Whether ``schema`` is a file's (an export's CSV or XLSX): a string, not fields."""
    return schema.get("type") == "string"


def _described(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether ``schema`` names the fields of the answer (a model, or an array of models)."""
    if schema.get("type") == "array":
        return _described(doc, schema.get("items", {}))
    ref = schema.get("$ref", "")
    if ref:
        return bool(doc["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("properties"))
    return bool(schema.get("properties"))


def test_every_success_answer_has_a_schema(client: TestClient) -> None:
    doc = _document(client)
    found = _success_schemas(doc)
    assert ("post", "/v1/pos/quote", "200") in {(m, p, s) for m, p, s, _ in found}
    missing = [(method, path, status) for method, path, status, schema in found if not schema]
    assert missing == []


def test_every_answer_names_its_fields(client: TestClient) -> None:
    doc = _document(client)
    vague = [(method, path, status) for method, path, status, schema in _success_schemas(doc)
             if not (_described(doc, schema) or _a_file(schema))]
    assert vague == []
    quote = doc["components"]["schemas"]["QuoteOut"]
    assert {"lines", "points_earned", "explanations", "hold"} <= set(quote["properties"])
    assert "hold" not in quote["required"] and quote["examples"]


def test_every_keyed_route_lists_the_errors_a_key_can_meet(client: TestClient) -> None:
    doc = _document(client)
    keyed = [(method, path, operation) for path, item in doc["paths"].items()
             for method, operation in item.items() if "security" in operation]
    assert ("get", "/v1/admin/scenarios") in {(m, p) for m, p, _ in keyed}
    bare = [(method, path) for method, path, operation in keyed
            if not {"401", "403", "429", "503"} <= set(operation["responses"])]
    assert bare == []
    assert "unauthorized" in doc["paths"]["/v1/admin/stamp-cards"]["get"][
        "responses"]["401"]["description"]


def test_the_docs_pages_answer(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 200, path
