"""Typed dependencies of the web pages: the session behind each application's cookie, the
CSRF check of every unsafe request, the submitted form, and the page's reader.

Each application has its own cookie, limited to its own path, so signing in to the console
does not sign anyone in at a till, and a member's session never reaches the console.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from regulars.errors import Forbidden
from regulars.services.runtime import Runtime
from regulars.services.tenancy import business
from regulars.services.tenancy.tenants import get_tenant
from regulars.services.web_sessions import sessions as web_auth
from regulars.services.web_sessions.sessions import Permission, WebSession
from regulars.text import i18n
from regulars.web.templating import ANONYMOUS_CSRF, Reader

COOKIES = {"staff": ("rg_console", "/console"), "till": ("rg_till", "/terminal"),
           "cashier": ("rg_cashier", "/terminal"), "member": ("rg_member", "/c")}
LANGUAGE_COOKIE = "rg_lang"


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to ``location``."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def set_session_cookie(response: object, runtime: Runtime, kind: str, token: str,
                       *, path: str | None = None) -> None:
    name, default_path = COOKIES[kind]
    max_age = int(web_auth.LIFETIME[kind].total_seconds())
    response.set_cookie(name, token, max_age=max_age, path=path or default_path,  # type: ignore[attr-defined]
                        httponly=True, samesite="lax",
                        secure=runtime.settings.secure_cookies)


def clear_session_cookie(response: object, kind: str, *, path: str | None = None) -> None:
    name, default_path = COOKIES[kind]
    response.delete_cookie(name, path=path or default_path)  # type: ignore[attr-defined]


def session_from(request: Request, runtime: Runtime, kind: str) -> WebSession | None:
    session = web_auth.resolve(runtime, request.cookies.get(COOKIES[kind][0]))
    return session if session is not None and session.kind == kind else None


async def submitted_form(request: Request) -> FormData:
    """The posted form (parsed once; the CSRF check reads the same object)."""
    return await request.form()


Form = Annotated[FormData, Depends(submitted_form)]


def check_csrf(request: Request, session: WebSession | None, form: FormData | None) -> None:
    """Unsafe requests must echo the session's CSRF token in the ``csrf`` form field or the
    ``X-CSRF-Token`` header (htmx sends it from ``hx-headers``)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or session is None:
        return
    sent = request.headers.get("X-CSRF-Token") or (
        str(form.get("csrf") or "") if form is not None else "")
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Forbidden("the form has expired; reload the page and try again")


def check_anonymous_csrf(request: Request, form: FormData) -> None:
    """A form posted before sign-in must echo the ``rg_csrf`` cookie its page set."""
    cookie = request.cookies.get(ANONYMOUS_CSRF, "")
    sent = str(form.get("csrf") or request.headers.get("X-CSRF-Token") or "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise Forbidden("the form has expired; reload the page and try again")


def reader_for(runtime: Runtime, request: Request, session: WebSession | None,
               tenant_id: int | None) -> Reader:
    """How to speak to this reader: their own language (staff or member choice, else the
    language cookie), else the tenant's."""
    own = request.cookies.get(LANGUAGE_COOKIE)
    if session is not None:
        own = session.staff_locale or session.member_locale or own
    if tenant_id is None:
        language, locale = i18n.choose(own=own, tenant_locale="en_GB")
        return Reader(language=language, locale=locale, currency="EUR", timezone="UTC",
                      session=session)
    tenant = get_tenant(runtime, tenant_id)
    language, locale = i18n.choose(own=own, tenant_locale=tenant.locale)
    brand = business.brand(runtime, tenant_id)
    return Reader(language=language, locale=locale, currency=tenant.currency,
                  timezone=tenant.timezone, session=session, tenant_name=tenant.name,
                  brand_css=f"/c/{tenant_id}/brand.css?v={brand.colours_version}",
                  logo_url=(f"/c/{tenant_id}/logo?v={brand.logo_version}"
                            if brand.logo_version else ""))


# Console ---------------------------------------------------------------------------------

async def _checked(request: Request, session: WebSession) -> WebSession:
    """``session``, once an unsafe request has echoed its CSRF token."""
    if request.method not in ("GET", "HEAD"):
        check_csrf(request, session, await request.form())
    return session


async def _staff_session(request: Request, runtime: RuntimeDep) -> WebSession:
    session = session_from(request, runtime, "staff")
    if session is None:
        raise SignInRequired("/console/login")
    return await _checked(request, session)


StaffSession = Annotated[WebSession, Depends(_staff_session)]


def needs(permission: Permission) -> Any:
    """A dependency that admits a staff session whose role has ``permission``."""

    def check(session: StaffSession) -> WebSession:
        web_auth.require(session, permission)
        return session

    check.permission = permission  # type: ignore[attr-defined]  # read by the route audit
    return Depends(check)


def staff_reader(request: Request, runtime: RuntimeDep, session: StaffSession) -> Reader:
    return reader_for(runtime, request, session, session.tenant_id)


StaffReader = Annotated[Reader, Depends(staff_reader)]


# Terminal --------------------------------------------------------------------------------

async def _till_session(request: Request, runtime: RuntimeDep) -> WebSession:
    session = session_from(request, runtime, "till")
    if session is None:
        raise SignInRequired("/terminal/pair")
    return await _checked(request, session)


TillSession = Annotated[WebSession, Depends(_till_session)]


async def _cashier_session(request: Request, runtime: RuntimeDep) -> WebSession:
    # The till's session is required but its CSRF token is not: a cashier's forms echo the
    # cashier's token, checked below.
    till = session_from(request, runtime, "till")
    if till is None:
        raise SignInRequired("/terminal/pair")
    session = session_from(request, runtime, "cashier")
    if session is None or session.terminal_id != till.terminal_id:
        raise SignInRequired("/terminal/sign-in")
    return await _checked(request, session)


CashierSession = Annotated[WebSession, Depends(_cashier_session)]


# Customer page ---------------------------------------------------------------------------

async def _member_session(request: Request, runtime: RuntimeDep,
                          tenant_id: int) -> WebSession:
    session = session_from(request, runtime, "member")
    if session is None or session.tenant_id != tenant_id:
        raise SignInRequired(f"/c/{tenant_id}/sign-in")
    return await _checked(request, session)


MemberSession = Annotated[WebSession, Depends(_member_session)]


def public_base(request: Request, runtime: Runtime) -> str:
    """Where the links Regulars hands out point: ``REGULARS_PUBLIC_URL`` when set, else the
    address this request came to (without a trailing slash)."""
    return (runtime.settings.public_url or str(request.base_url)).rstrip("/")
