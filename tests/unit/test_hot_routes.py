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
