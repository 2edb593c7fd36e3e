"""The OpenAPI document, made to say what the API really answers.

FastAPI describes a rejected request with its own ``HTTPValidationError`` (``detail`` as a
list); Regulars answers every error, a malformed request included, with one shape:
``error`` (a stable code), ``detail`` (a sentence), ``field`` and, for a malformed request,
``errors`` (each ``field`` and ``reason``). Headers that the dependencies check themselves
(``Idempotency-Key``) are declared here as the required, bounded headers they are.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from regulars.api.member_schemas import MemberOut

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "stable code, e.g. invalid_input"},
        "detail": {"type": "string", "description": "what went wrong, in a sentence"},
        "field": {"type": "string", "description": "the input at fault, when one is"},
        "errors": {
            "type": "array",
            "description": "every fault of a malformed request",
            "items": {"type": "object",
                      "properties": {"field": {"type": "string"},
                                     "reason": {"type": "string"}},
                      "required": ["field", "reason"]},
        },
    },
    "required": ["error", "detail"],
}
ERROR_CONTENT: dict[str, Any] = {
    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

NEW_MEMBER: dict[int | str, dict[str, Any]] = {
    201: {"description": "registered: a new member (200: the member the phone already names)",
          "model": MemberOut}}

# Headers a dependency checks by hand (to answer with its own message) and how.
_CHECKED_HEADERS: dict[str, dict[str, Any]] = {
    "Idempotency-Key": {"type": "string", "minLength": 1, "maxLength": 200},
}
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")


def document(app: FastAPI) -> dict[str, Any]:
    """The document for ``app``, built once and kept on it."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        doc.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        from regulars.api.errors_doc import responses  # it imports this module

        for operation in _operations(doc):
            if "security" in operation:  # a keyed route declaring no errors still has these
                for status, answer in responses().items():
                    operation.setdefault("responses", {}).setdefault(str(status), answer)
            if "requestBody" in operation:  # api.body_limit answers before the route
                operation.setdefault("responses", {})["413"] = {
                    "description": "error: payload_too_large", "content": ERROR_CONTENT}
            for response in operation.get("responses", {}).values():
                if _is_fastapi_error(response):
                    response["content"] = ERROR_CONTENT
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter["name"] in _CHECKED_HEADERS:
                    parameter["required"] = True
                    parameter["schema"] = dict(_CHECKED_HEADERS[parameter["name"]])
        for name in _FASTAPI_ERRORS:
            doc["components"]["schemas"].pop(name, None)
        app.openapi_schema = doc
    return app.openapi_schema


def methods_at(app: FastAPI, path: str) -> list[str]:
    """The methods the document lists for ``path`` (for a 405's ``Allow``)."""
    if not hasattr(app.state, "path_methods"):
        app.state.path_methods = [
            (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"),
             sorted(m.upper() for m in item if m in _METHODS))
            for template, item in document(app).get("paths", {}).items()]
    literal = document(app).get("paths", {}).get(path)
    if literal is not None:  # /members/merge, not /members/{member_id}
        return sorted(m.upper() for m in literal if m in _METHODS)
    return sorted({m for regex, methods in app.state.path_methods if regex.match(path)
                   for m in methods})


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for item in doc.get("paths", {}).values()
            for operation in item.values() if isinstance(operation, dict)]


def _is_fastapi_error(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))
