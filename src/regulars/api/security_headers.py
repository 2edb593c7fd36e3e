"""Headers that tell browsers what a response may do, on every response.

- ``Content-Security-Policy``: scripts, styles, images and forms from this origin only, no
  inline script or style (the pages keep their JavaScript and CSS in ``/static``), and no
  framing (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for older browsers). The
  interactive API documentation (``/docs``, ``/redoc``) loads its viewer from a CDN and is
  left without the policy.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
- Over HTTPS: ``Strict-Transport-Security``, and every cookie set ``Secure``. Whether a
  request came over HTTPS is its own scheme, or, behind a proxy that ends TLS, its
  ``X-Forwarded-Proto`` header, believed only when ``settings.trust_forwarded_proto`` says so
  (a client could send the header itself).
"""

from __future__ import annotations

from collections.abc import Callable

from regulars.api.body_limit import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
_NO_POLICY = ("/docs", "/redoc")
_ALWAYS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"same-origin")]


def is_https(scope: Scope, trust_forwarded_proto: bool) -> bool:
    """Whether the request came over HTTPS (see the module)."""
    if trust_forwarded_proto:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-proto":
                return bool(value.split(b",")[0].strip().lower() == b"https")
    return scope.get("scheme") == "https"


class SecurityHeaders:
    """ASGI middleware adding the headers above; ``trusted_of(scope)`` reads
    ``settings.trust_forwarded_proto`` per request."""

    def __init__(self, app: ASGIApp, *, trusted_of: Callable[[Scope], bool]) -> None:
        self.app = app
        self.trusted_of = trusted_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = is_https(scope, self.trusted_of(scope))
        extra = list(_ALWAYS)
        if not str(scope.get("path", "")).startswith(_NO_POLICY):
            extra.append((b"content-security-policy", CSP.encode()))
        if https:
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, _secure(v) if https and k.lower() == b"set-cookie" else v)
                           for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                message["headers"] = headers + [(k, v) for k, v in extra if k not in present]
            await send(message)

        await self.app(scope, receive, sending)


def _secure(cookie: bytes) -> bytes:
    return cookie if b"; secure" in cookie.lower() else cookie + b"; Secure"
