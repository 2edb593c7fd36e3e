"""A cap on request bodies, enforced before any route reads one.

A body announced larger than the cap (``Content-Length``) is answered 413 without reading a
byte of it; a body sent without a length (chunked) is counted as it arrives, and the first
chunk past the cap ends the reading: the route sees the client as gone, and the caller gets
the 413. So a process never holds more than the cap plus one chunk of any request's body.
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


class BodyLimit:
    """ASGI middleware: answer 413 ``payload_too_large`` to a body past ``max_bytes``;
    ``max_bytes`` is read per request from ``limit_of(scope)`` (the runtime's settings)."""

    def __init__(self, app: ASGIApp, *, limit_of: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_of = limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_of(scope)
        announced = _content_length(scope)
        if announced is None or announced > max_bytes:
            await _too_large(send, max_bytes)
            return
        guard = _Guard(receive, send, max_bytes)
        await self.app(scope, guard.receive, guard.send)


class _Guard:
    """Counts what the route reads; past the cap it answers 413 itself and drops whatever
    the route sends afterwards (the route saw a disconnect)."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int) -> None:
        self._receive, self._send, self._max_bytes = receive, send, max_bytes
        self._read_bytes = 0
        self._started = False
        self._refused = False

    async def receive(self) -> Message:
        if self._refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self._read_bytes += len(message.get("body", b""))
            if self._read_bytes > self._max_bytes:
                self._refused = True
                if not self._started:
                    await _too_large(self._send, self._max_bytes)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self._refused:
            return
        if message["type"] == "http.response.start":
            self._started = True
        await self._send(message)


def _content_length(scope: Scope) -> int | None:
    """The announced length; 0 when none is announced; ``None`` when it is not a number (a
    request smuggling two lengths or a garbled one is refused like one too large)."""
    values = [v for k, v in scope.get("headers", []) if k == b"content-length"]
    if not values:
        return 0
    if len(values) > 1 or not values[0].isdigit():
        return None
    return int(values[0])


async def _too_large(send: Send, max_bytes: int) -> None:
    error = PayloadTooLarge("the request body is larger than %(max_bytes)s bytes",
                            params={"max_bytes": max_bytes})
    body = json.dumps({"error": error.code, "detail": error.detail}).encode()
    await send({"type": "http.response.start", "status": error.status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
