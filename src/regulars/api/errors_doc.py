"""OpenAPI descriptions of the errors each route can answer with."""

from __future__ import annotations

from typing import Any

from regulars import errors
from regulars.api.openapi import ERROR_CONTENT


def responses(*kinds: type[errors.RegularsError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with the error codes it may carry."""
    by_status: dict[int, list[str]] = {}
    every: tuple[type[errors.RegularsError], ...] = (
        errors.Unauthorized, errors.Forbidden, errors.Unavailable,
        errors.TooManyAttempts,  # wrong keys from one client (api.deps)
        *kinds)
    for kind in every:
        by_status.setdefault(kind.status, []).append(kind.code)
    return {status: {"description": "error: " + ", ".join(sorted(set(codes))),
                     "content": ERROR_CONTENT}
            for status, codes in by_status.items()}
