"""Signing in and out, and the first-run set-up."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import RegularsError
from regulars.services.tenancy import setup
from regulars.services.web_sessions import sessions as web_auth
from regulars.web.console import router
from regulars.web.deps import (
    Form,
    RuntimeDep,
    check_anonymous_csrf,
    check_csrf,
    clear_session_cookie,
    reader_for,
    session_from,
    set_session_cookie,
)
from regulars.web.forms import errors_of
from regulars.web.templating import render

SETUP_DEFAULTS = {"currency": "EUR", "locale": "en_GB", "timezone": "Europe/London",
                  "phone_region": "GB"}


@router.get("/login")
def login_page(request: Request, runtime: RuntimeDep) -> Response:
    if not web_auth.tenant_exists(runtime):
        return RedirectResponse("/console/setup", status_code=303)
    if session_from(request, runtime, "staff") is not None:
        return RedirectResponse("/console", status_code=303)
    reader = reader_for(runtime, request, None, None)
    return render(request, "console/login.html", reader, errors={}, values={})


@router.post("/login")
def login(request: Request, runtime: RuntimeDep, form: Form) -> Response:
    check_anonymous_csrf(request, form)
    email = str(form.get("email") or "")
    try:
        new = web_auth.staff_sign_in(runtime, email=email,
                                     password=str(form.get("password") or ""),
                                     client=request.client.host if request.client else "")
    except RegularsError as exc:
        reader = reader_for(runtime, request, None, None)
        return render(request, "console/login.html", reader, status_code=422,
                      errors=errors_of(exc, reader), values={"email": email})
    response = RedirectResponse("/console", status_code=303)
    set_session_cookie(response, runtime, "staff", new.token)
    return response


@router.post("/logout")
def logout(request: Request, runtime: RuntimeDep, form: Form) -> Response:
    session = session_from(request, runtime, "staff")
    if session is not None:
        check_csrf(request, session, form)
        web_auth.sign_out(runtime, session)
    response = RedirectResponse("/console/login", status_code=303)
    clear_session_cookie(response, "staff")
    return response


@router.get("/setup")
def setup_page(request: Request, runtime: RuntimeDep) -> Response:
    if web_auth.tenant_exists(runtime):
        return RedirectResponse("/console/login", status_code=303)
    reader = reader_for(runtime, request, None, None)
    return render(request, "console/setup.html", reader, errors={}, values=SETUP_DEFAULTS)


@router.post("/setup")
def setup_submit(request: Request, runtime: RuntimeDep, form: Form) -> Response:
    check_anonymous_csrf(request, form)
    values = {name: str(form.get(name) or "").strip() for name in
              ("business", "currency", "locale", "timezone", "phone_region", "owner_name",
               "email")}
    try:
        new = setup.first_run(runtime, setup.FirstRun(
            password=str(form.get("password") or ""), **values))
    except RegularsError as exc:
        reader = reader_for(runtime, request, None, None)
        return render(request, "console/setup.html", reader, status_code=422,
                      errors=errors_of(exc, reader), values=values)
    response = RedirectResponse("/console/settings", status_code=303)
    set_session_cookie(response, runtime, "staff", new.token)
    return response
