"""Pairing a browser with a till, and cashiers signing in and out with a PIN."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import RegularsError
from regulars.services.web_sessions import sessions as web_auth
from regulars.web.deps import (
    CashierSession,
    Form,
    RuntimeDep,
    TillSession,
    check_anonymous_csrf,
    clear_session_cookie,
    reader_for,
    session_from,
    set_session_cookie,
)
from regulars.web.forms import errors_of
from regulars.web.templating import render
from regulars.web.terminal import reader_of, router


@router.get("/pair")
def pair_page(request: Request, runtime: RuntimeDep) -> Response:
    if session_from(request, runtime, "till") is not None:
        return RedirectResponse("/terminal/sign-in", status_code=303)
    reader = reader_for(runtime, request, None, None)
    return render(request, "terminal/pair.html", reader, errors={})


@router.post("/pair")
def pair(request: Request, runtime: RuntimeDep, form: Form) -> Response:
    check_anonymous_csrf(request, form)
    try:
        new = web_auth.pair_till(runtime, str(form.get("key") or ""))
    except RegularsError as exc:
        reader = reader_for(runtime, request, None, None)
        return render(request, "terminal/pair.html", reader, status_code=422,
                      errors=errors_of(exc, reader))
    response = RedirectResponse("/terminal/sign-in", status_code=303)
    set_session_cookie(response, runtime, "till", new.token)
    clear_session_cookie(response, "cashier")
    return response


def _sign_in_page(request: Request, runtime: RuntimeDep, till: web_auth.WebSession, *,
                  staff_id: int | None, errors: dict[str, str],
                  status_code: int = 200) -> Response:
    reader = reader_of(runtime, request, till)
    cashiers = web_auth.till_cashiers(runtime, till)
    chosen = next((c for c in cashiers if c["id"] == staff_id), None)
    return render(request, "terminal/sign_in.html", reader, status_code=status_code,
                  cashiers=cashiers, chosen=chosen, errors=errors)


@router.get("/sign-in")
def sign_in_page(request: Request, runtime: RuntimeDep, till: TillSession,
                 staff: int | None = None) -> Response:
    return _sign_in_page(request, runtime, till, staff_id=staff, errors={})


@router.post("/sign-in")
def sign_in(request: Request, runtime: RuntimeDep, till: TillSession, form: Form) -> Response:
    raw = str(form.get("staff_id") or "")
    staff_id = int(raw) if raw.isdigit() else None
    try:
        new = web_auth.cashier_sign_in(runtime, till, staff_id=staff_id or 0,
                                       pin=str(form.get("pin") or ""),
                                       client=request.client.host if request.client else "")
    except RegularsError as exc:
        reader = reader_of(runtime, request, till)
        return _sign_in_page(request, runtime, till, staff_id=staff_id,
                             errors=errors_of(exc, reader), status_code=422)
    response = RedirectResponse("/terminal", status_code=303)
    set_session_cookie(response, runtime, "cashier", new.token)
    return response


@router.post("/sign-out")
def sign_out(runtime: RuntimeDep, cashier: CashierSession) -> Response:
    web_auth.sign_out(runtime, cashier)
    response = RedirectResponse("/terminal/sign-in", status_code=303)
    clear_session_cookie(response, "cashier")
    return response
