"""Signing a member in with their phone and a one-time code, signing out, the language
switch and the referral join page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import CodeRefused, InvalidInput, TooManyAttempts
from regulars.services.members import customer_page as member_page
from regulars.services.web_sessions import sessions as web_auth
from regulars.text import i18n
from regulars.web.deps import (
    LANGUAGE_COOKIE,
    Form,
    MemberSession,
    RuntimeDep,
    check_anonymous_csrf,
    clear_session_cookie,
    reader_for,
    session_from,
    set_session_cookie,
)
from regulars.web.forms import errors_of
from regulars.web.templating import Reader, render

router = APIRouter(include_in_schema=False)


def _anonymous_reader(request: Request, runtime: RuntimeDep, tenant_id: int) -> Reader:
    return reader_for(runtime, request, None, tenant_id)


def _rate_limited(runtime: RuntimeDep, reader: Reader, exc: TooManyAttempts) -> dict[str, str]:
    when = reader.datetime(member_page.retry_at(runtime, exc))
    return {exc.field or "_form": reader.gettext(
        "Too many codes were asked for this number. Please try again after %(when)s.",
        when=when)}


@router.get("/{tenant_id}/sign-in")
def sign_in_page(request: Request, runtime: RuntimeDep, tenant_id: int,
                 erased: Annotated[int, Query()] = 0) -> Response:
    session = session_from(request, runtime, "member")
    if session is not None and session.tenant_id == tenant_id:
        return RedirectResponse(f"/c/{tenant_id}", status_code=303)
    reader = _anonymous_reader(request, runtime, tenant_id)
    return render(request, "customer/sign_in.html", reader, tenant_id=tenant_id, step="phone",
                  phone="", errors={}, sent=False, erased=bool(erased))


@router.post("/{tenant_id}/sign-in")
def ask_for_code(request: Request, runtime: RuntimeDep, tenant_id: int,
                 form: Form) -> Response:
    """Send a code if the number is a member's; the answer is the same either way."""
    check_anonymous_csrf(request, form)
    reader = _anonymous_reader(request, runtime, tenant_id)
    phone = str(form.get("phone") or "")
    try:
        e164 = member_page.request_code(runtime, tenant_id, phone,
                                        client=request.client.host if request.client else None)
    except InvalidInput as exc:
        return render(request, "customer/sign_in.html", reader, status_code=422,
                      tenant_id=tenant_id, step="phone", phone=phone,
                      errors=errors_of(exc, reader), sent=False)
    except TooManyAttempts as exc:
        return render(request, "customer/sign_in.html", reader, status_code=429,
                      headers={"Retry-After": str(exc.retry_after_seconds)},
                      tenant_id=tenant_id, step="phone", phone=phone,
                      errors=_rate_limited(runtime, reader, exc), sent=False)
    return render(request, "customer/sign_in.html", reader, tenant_id=tenant_id, step="code",
                  phone=e164, errors={}, sent=True)


@router.post("/{tenant_id}/sign-in/code")
def enter_code(request: Request, runtime: RuntimeDep, tenant_id: int, form: Form) -> Response:
    check_anonymous_csrf(request, form)
    reader = _anonymous_reader(request, runtime, tenant_id)
    phone = str(form.get("phone") or "")
    try:
        session = member_page.sign_in(runtime, tenant_id, phone=phone,
                                      code=str(form.get("code") or ""))
    except (CodeRefused, InvalidInput) as exc:
        errors = errors_of(exc, reader)
        if "phone" in errors:
            errors = {"code": errors["phone"]}
        return render(request, "customer/sign_in.html", reader, status_code=422,
                      tenant_id=tenant_id, step="code", phone=phone, errors=errors,
                      sent=False)
    response = RedirectResponse(f"/c/{tenant_id}", status_code=303)
    set_session_cookie(response, runtime, "member", session.token)
    return response


@router.post("/{tenant_id}/sign-out")
def sign_out(runtime: RuntimeDep, session: MemberSession, tenant_id: int) -> Response:
    web_auth.sign_out(runtime, session)
    response = RedirectResponse(f"/c/{tenant_id}/sign-in", status_code=303)
    clear_session_cookie(response, "member")
    return response


def _switch(request: Request, runtime: RuntimeDep, tenant_id: int, lang: str,
            back: str) -> Response:
    if lang not in i18n.LANGUAGES:
        lang = "en"
    if not back.startswith(f"/c/{tenant_id}"):
        back = f"/c/{tenant_id}"
    session = session_from(request, runtime, "member")
    if session is not None and session.tenant_id == tenant_id and session.member_id:
        web_auth.set_member_locale(runtime, tenant_id, session.member_id, lang)
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/{tenant_id}/language")
def language_link(request: Request, runtime: RuntimeDep, tenant_id: int,
                  lang: Annotated[str, Query(max_length=5)],
                  back: Annotated[str, Query(max_length=500)] = "") -> Response:
    """The footer's links: the choice is kept on the signed-in member and in a cookie."""
    return _switch(request, runtime, tenant_id, lang, back)


@router.post("/{tenant_id}/language")
def language_form(request: Request, runtime: RuntimeDep,
                  session: MemberSession,  # noqa: ARG001 (for members who are signed in only)
                  tenant_id: int, form: Form) -> Response:
    return _switch(request, runtime, tenant_id, str(form.get("language") or ""),
                   f"/c/{tenant_id}/profile")


@router.get("/{tenant_id}/r/{code}")
def referral_link(request: Request, runtime: RuntimeDep, tenant_id: int,
                  code: Annotated[str, Path(max_length=40)]) -> Response:
    """A member's invitation link (``<link_base>/r/<code>`` with ``link_base`` ending in
    ``/c/<tenant id>``): the join page with the code."""
    return join(request, runtime, tenant_id, code)


@router.get("/{tenant_id}/join")
def join(request: Request, runtime: RuntimeDep, tenant_id: int,
         ref: Annotated[str, Query(max_length=40)] = "") -> Response:
    """Where a referral link leads: the reward and how to join at a till."""
    reader = _anonymous_reader(request, runtime, tenant_id)
    return render(request, "customer/join.html", reader, tenant_id=tenant_id,
                  info=member_page.join_info(runtime, tenant_id, ref))
