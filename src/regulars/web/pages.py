"""Mounting the three web applications on the API's FastAPI app, and the pages they share:
the landing page, the language switch, and error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from regulars.errors import RegularsError
from regulars.services.web_sessions import sessions as web_auth
from regulars.text import i18n
from regulars.web import console, customer, terminal
from regulars.web.deps import (
    COOKIES,
    LANGUAGE_COOKIE,
    RuntimeDep,
    SignInRequired,
    reader_for,
    session_from,
)
from regulars.web.templating import render

PREFIXES = ("/console", "/terminal", "/c/")
STATIC = Path(__file__).with_name("static")


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith(PREFIXES) or path.startswith("/language")


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(console.router)
    app.include_router(terminal.router)
    app.include_router(customer.router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Browsers ask for it whatever the page names: the same icon."""
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def landing(request: Request, runtime: RuntimeDep) -> Response:
        if not web_auth.tenant_exists(runtime):
            return RedirectResponse("/console/setup", status_code=303)
        reader = reader_for(runtime, request, None, None)
        return render(request, "landing.html", reader,
                      businesses=web_auth.businesses(runtime))

    @app.get("/language", include_in_schema=False)
    @app.get("/console/language", include_in_schema=False)
    @app.get("/terminal/language", include_in_schema=False)
    def choose_language(request: Request, runtime: RuntimeDep,
                        lang: Annotated[str, Query(max_length=5)],
                        back: Annotated[str, Query(max_length=500)] = "/") -> Response:
        """Switch the reader's language: saved on the signed-in staff member or member, and
        in a cookie for pages before sign-in."""
        if lang not in i18n.LANGUAGES:
            lang = "en"
        if not back.startswith("/") or back.startswith("//"):
            back = "/"
        for kind in COOKIES:
            session = session_from(request, runtime, kind)
            if session is None:
                continue
            if session.staff_id is not None and kind in ("staff", "cashier"):
                web_auth.set_staff_locale(runtime, session.tenant_id, session.staff_id, lang)
            if session.member_id is not None:
                web_auth.set_member_locale(runtime, session.tenant_id, session.member_id, lang)
        response = RedirectResponse(back, status_code=303)
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response


def sign_in_redirect(request: Request, exc: SignInRequired) -> Response:
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": exc.location})
    return RedirectResponse(exc.location, status_code=303)


def error_page(request: Request, exc: RegularsError) -> HTMLResponse:
    """A page-shaped answer to an error no form caught: 404, 403, 409..."""
    runtime = request.app.state.runtime
    reader = reader_for(runtime, request, None, None)
    return render(request, "error.html", reader, status_code=exc.status, error=exc)
