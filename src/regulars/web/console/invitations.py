"""The set-password page behind an invitation link (before sign-in), and the owner's staff
actions that go with invitations: a new link and a role change (removal is the settings
page's deactivation, which keeps the business's last owner).

The page's address holds the link's secret: it is sent with ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import Conflict, InvalidInput, NotFound, RegularsError
from regulars.services.tenancy import staff_access
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor
from regulars.web.console.settings import _person_page, _tenant
from regulars.web.deps import (
    Form,
    RuntimeDep,
    StaffReader,
    check_anonymous_csrf,
    needs,
    public_base,
    reader_for,
    set_session_cookie,
)
from regulars.web.forms import errors_of
from regulars.web.templating import render

SETUP = [needs(Permission.SETUP)]
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


@router.get("/invite/{token}")
def invite_page(request: Request, runtime: RuntimeDep, token: str) -> Response:
    try:
        found = staff_access.pending(runtime, token)
    except NotFound as exc:
        reader = reader_for(runtime, request, None, None)
        return render(request, "console/invite.html", reader, status_code=404, found=None,
                      errors=errors_of(exc, reader), values={}, token=token,
                      headers=NO_REFERRER)
    reader = reader_for(runtime, request, None, found.tenant_id)
    return render(request, "console/invite.html", reader, found=found, errors={},
                  values={"email": found.email or ""}, token=token, headers=NO_REFERRER)


@router.post("/invite/{token}")
def accept_invitation(request: Request, runtime: RuntimeDep, token: str,
                      form: Form) -> Response:
    check_anonymous_csrf(request, form)
    email, password = str(form.get("email") or "").strip(), str(form.get("password") or "")
    try:
        found = staff_access.pending(runtime, token)
    except NotFound:
        return invite_page(request, runtime, token)
    reader = reader_for(runtime, request, None, found.tenant_id)
    errors: dict[str, str] = {}
    for problem in staff_access.form_problems(found, email=email, password=password):
        errors.update(errors_of(problem, reader))
    if not errors:
        try:
            new = staff_access.accept(runtime, token, email=email, password=password)
        except RegularsError as exc:
            errors = errors_of(exc, reader)
    if errors:
        return render(request, "console/invite.html", reader, status_code=422, found=found,
                      errors=errors, values={"email": found.email or email}, token=token,
                      headers=NO_REFERRER)
    response = RedirectResponse("/console", status_code=303)
    set_session_cookie(response, runtime, "staff", new.token)
    return response


@router.post("/settings/staff/{staff_id}/invite", dependencies=SETUP)
def new_link(request: Request, runtime: RuntimeDep, reader: StaffReader,
             staff_id: int) -> Response:
    try:
        made = staff_access.invite(runtime, _tenant(reader), staff_id,
                                   actor=staff_actor(reader))
    except InvalidInput as exc:
        return _person_page(request, runtime, reader, staff_id, status_code=422,
                            errors=errors_of(exc, reader))
    url = made.url(public_base(request, runtime))
    return _person_page(request, runtime, reader, staff_id, link=url)


@router.post("/settings/staff/{staff_id}/role", dependencies=SETUP)
def change_role(request: Request, runtime: RuntimeDep, reader: StaffReader, staff_id: int,
                form: Form) -> Response:
    try:
        staff_access.change_role(runtime, _tenant(reader), staff_id,
                                 str(form.get("role") or ""),
                                 actor=staff_actor(reader))
    except (InvalidInput, Conflict) as exc:
        return _person_page(request, runtime, reader, staff_id, status_code=exc.status,
                            errors=errors_of(exc, reader))
    return RedirectResponse(f"/console/settings/staff/{staff_id}?done=role", status_code=303)
