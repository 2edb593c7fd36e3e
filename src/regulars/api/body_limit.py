"""A cap on request bodies, enforced before any route reads one.

A body announced larger than the cap (``Content-Length``) is answered 413 without reading a
byte of it; a body sent without a length (chunked) is counted as it arrives, and the first
chunk past the cap ends the reading: the route sees the client as gone, and the caller gets
the 413. So a process never holds more than the cap plus one chunk of any request's body. The
middleware that applies the cap is :class:`regulars.api.edge.Edge`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from regulars.errors import PayloadTooLarge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def content_length(scope: Scope) -> int | None:
    """The announced length; 0 when none is announced; ``None`` when it is not a number (a
    request smuggling two lengths or a garbled one is refused like one too large)."""
    values = [v for k, v in scope.get("headers", []) if k == b"content-length"]
    if not values:
        return 0
    if len(values) > 1 or not values[0].isdigit():
        return None
    return int(values[0])


async def too_large(send: Send, max_bytes: int) -> None:
    error = PayloadTooLarge("the request body is larger than %(max_bytes)s bytes",
                            params={"max_bytes": max_bytes})
    body = json.dumps({"error": error.code, "detail": error.detail}).encode()
    await send({"type": "http.response.start", "status": error.status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
