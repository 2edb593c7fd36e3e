"""The one ASGI middleware in front of the app: the cap on request bodies
(:mod:`regulars.api.body_limit`) and the security headers of every response
(:mod:`regulars.api.security_headers`), in one layer.

One layer rather than one per concern: each layer is a coroutine and a wrapper of ``send``
that every request and every message of its answer passes through, so the two concerns share
one of each. The answer to a refused body gets the security headers like any other.
"""

from __future__ import annotations

from collections.abc import Callable

from regulars.api.body_limit import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    content_length,
    too_large,
)
from regulars.api.security_headers import added_headers, is_https, secured


class Edge:
    """ASGI middleware: 413 ``payload_too_large`` for a body past the cap, the security
    headers on every answer. ``limits_of(scope)`` gives, per request, the cap in bytes and
    whether to believe ``X-Forwarded-Proto`` (the runtime's settings)."""

    def __init__(self, app: ASGIApp, *, limits_of: Callable[[Scope], tuple[int, bool]]) -> None:
        self.app = app
        self.limits_of = limits_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, trusted = self.limits_of(scope)
        https = is_https(scope, trusted)
        exchange = _Exchange(
            receive,
            send,
            max_bytes=max_bytes,
            https=https,
            added=added_headers(scope.get("path", ""), https),
        )
        announced = content_length(scope)
        if announced is None or announced > max_bytes:
            await too_large(exchange.send, max_bytes)
            return
        await self.app(scope, exchange.receive, exchange.send)


class _Exchange:
    """One request's way through: counts the body the route reads, and past the cap answers
    413 itself and drops whatever the route sends afterwards (the route saw a disconnect);
    adds the security headers to the answer's start."""

    __slots__ = (
        "_receive",
        "_send",
        "_max_bytes",
        "_https",
        "_added",
        "_read_bytes",
        "_started",
        "_refused",
    )

    def __init__(
        self,
        receive: Receive,
        send: Send,
        *,
        max_bytes: int,
        https: bool,
        added: tuple[tuple[bytes, bytes], ...],
    ) -> None:
        self._receive, self._send = receive, send
        self._max_bytes, self._https, self._added = max_bytes, https, added
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
                # The route waits on this call, so nothing else is sent meanwhile.
                if not self._started:
                    await too_large(self.send, self._max_bytes)
                self._refused = True
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        """What the route sends, with the headers added to its start; dropped once the body
        was refused."""
        if self._refused:
            return
        if message["type"] == "http.response.start":
            self._started = True
            message["headers"] = secured(message.get("headers", ()), self._added, self._https)
        await self._send(message)
