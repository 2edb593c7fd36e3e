"""OpenAPI descriptions of the errors each route can answer with."""

from __future__ import annotations

from typing import Any

from regulars import errors

_ERROR_SCHEMA = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"error": {"type": "string"}, "detail": {"type": "string"},
                           "field": {"type": "string"}},
            "required": ["error", "detail"],
        }
    }
}


def responses(*kinds: type[errors.RegularsError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with the error codes it may carry."""
    by_status: dict[int, list[str]] = {}
    every: tuple[type[errors.RegularsError], ...] = (errors.Unauthorized, errors.Forbidden,
                                                     *kinds)
    for kind in every:
        by_status.setdefault(kind.status, []).append(kind.code)
    return {status: {"description": "error: " + ", ".join(sorted(set(codes))),
                     "content": _ERROR_SCHEMA}
            for status, codes in by_status.items()}
