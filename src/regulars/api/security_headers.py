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

The middleware that adds them is :class:`regulars.api.edge.Edge`.
"""

from __future__ import annotations

from collections.abc import Iterable

from regulars.api.body_limit import Scope

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


# The headers added, for each (over HTTPS, with the policy), encoded once.
_ADDED = {(https, policy): tuple(_ALWAYS
                                 + ([(b"content-security-policy", CSP.encode())] if policy
                                    else [])
                                 + ([(b"strict-transport-security", HSTS.encode())] if https
                                    else []))
          for https in (False, True) for policy in (False, True)}


def added_headers(path: str, https: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers a response to ``path`` gets (unless the route set them itself)."""
    return _ADDED[https, not path.startswith(_NO_POLICY)]


def secured(headers: Iterable[tuple[bytes, bytes]], added: tuple[tuple[bytes, bytes], ...],
            https: bool) -> list[tuple[bytes, bytes]]:
    """A response's ``headers`` with ``added`` where the route did not set them, and over
    HTTPS every cookie ``Secure``."""
    if https:
        out = [(k, _secure(v) if k.lower() == b"set-cookie" else v) for k, v in headers]
    else:
        out = list(headers)
    present = {k.lower() for k, _ in out}
    out += [(k, v) for k, v in added if k not in present]
    return out


def _secure(cookie: bytes) -> bytes:
    return cookie if b"; secure" in cookie.lower() else cookie + b"; Secure"
