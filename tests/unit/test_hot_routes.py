"""The quote and the commit solve as few dependencies as they can: FastAPI solves each one of
every request anew. They read the runtime from the request rather than through a dependency,
and the Idempotency-Key header is a plain string (a union's members are looked into on every
request)."""

from __future__ import annotations

from fastapi.routing import APIRoute

from regulars.api import deps, pos


def _route(path: str) -> APIRoute:
    return next(r for r in pos.router.routes
                if isinstance(r, APIRoute) and r.path == "/v1/pos" + path)


def test_quote_and_commit_take_no_runtime_dependency() -> None:
    for path in ("/quote", "/commit"):
        calls = {d.call for d in _route(path).dependant.dependencies}
        assert deps.get_runtime not in calls, path
        assert _route(path).dependant.request_param_name == "request", path


def test_the_idempotency_key_header_is_a_plain_string() -> None:
    keyed = next(d for d in _route("/commit").dependant.dependencies
                 if d.call is deps.get_idempotency_key)
    (header,) = keyed.header_params
    assert header.alias == "Idempotency-Key"
    assert header.field_info.annotation is str


def test_the_api_routes_are_matched_before_the_document_and_docs_pages() -> None:
    from starlette.routing import Route

    from regulars.api.app import create_app

    routes = create_app().router.routes
    docs = [i for i, r in enumerate(routes) if isinstance(r, Route)
            and r.path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")]
    assert docs == list(range(len(routes) - 4, len(routes)))


def test_the_quote_and_the_commit_skip_fastapis_solving_of_dependencies() -> None:
    from regulars.api.lean_route import lean_plan
    from regulars.api.schemas import CommitIn, QuoteIn

    quote = lean_plan(_route("/quote").dependant)
    commit = lean_plan(_route("/commit").dependant)
    assert quote is not None and commit is not None
    assert (quote.body_model, [name for name, _ in quote.dependencies]) == (QuoteIn, ["till"])
    assert (commit.body_model, [name for name, _ in commit.dependencies]) == (
        CommitIn, ["till", "key"])
    # A route with a dependency the plan does not know is served by FastAPI's handler.
    assert lean_plan(_route("/otp").dependant) is None


_LINE = {"sku": "a", "quantity": 1, "unit_price_minor": 100}
_BODIES: list[dict[str, object]] = [
    {}, {"occurred_at": 1700000000}, {"occurred_at": "2026-12-07T10:00:00Z"},
    {"occurred_at": "2026-12-07"}, {"occurred_at": "1700000000"}, {"points_to_spend": 1.0},
    {"points_to_spend": True}, {"points_to_spend": "5"}, {"hold": 1}, {"coupons": ["x", 1]},
    {"lines": [{**_LINE, "quantity": 1.0}]}, {"lines": [{**_LINE, "quantity": 2**70}]},
    {"member": {"id": "5"}}, {"reward_id": 2**63}, {"tenders": [{"kind": "wallet", "amount": 5}]},
    {"lines": [{**_LINE, "name": "\u00e9\u0000"}]}, {"hold_id": 0}, {"receipt_id": 5},
    {"goods_sold": [{"sku": "g", "quantity_milli": 1, "amount": 0}]}, {"identified_by": "x"},
]


def test_a_body_validated_from_its_bytes_is_what_fastapi_validates_from_parsed_json() -> None:
    """Strict models: validated from JSON text, pydantic accepts some strings (dates, enums)
    that it refuses in parsed Python objects. The bodies of the quote and the commit hold
    none of those types, so both ways accept and refuse alike."""
    import json
    from typing import Annotated

    from fastapi import Body
    from pydantic import TypeAdapter

    from regulars.api.schemas import CommitIn, QuoteIn

    def outcome(validate: object, raw: bytes) -> object:
        try:
            return validate(raw)  # type: ignore[operator]
        except ValueError as exc:
            return type(exc)

    for model, first in ((QuoteIn, {}), (CommitIn, {"receipt_id": "R"})):
        adapter = TypeAdapter(Annotated[model, Body()])

        def fastapi_way(raw: bytes, adapter: TypeAdapter[object] = adapter) -> object:
            return adapter.validate_python(json.loads(raw))

        for changed in _BODIES:
            raw = json.dumps({**first, "lines": [_LINE], "member": {"phone": "+79161234567"},
                              **changed}).encode()
            assert outcome(fastapi_way, raw) == outcome(model.model_validate_json, raw), (
                model, changed)
