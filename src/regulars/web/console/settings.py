"""Console pages: the business's settings — stores, tills (their keys shown once), staff
(passwords, PINs, deactivation) and owner keys for integrations. Owners only (``SETUP``).

Each form on the page has its own field prefix (``store_``, ``till_``, ``staff_``, ``key_``)
so that every input has a unique id and its error shows next to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import Conflict, InvalidInput
from regulars.services.runtime import Runtime
from regulars.services.tenancy import settings, staff_access, tenants
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs, public_base
from regulars.web.forms import parse_int
from regulars.web.templating import Reader, render

SETUP = [needs(Permission.SETUP)]
FORM_ERRORS = (InvalidInput, Conflict)


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _errors(exc: InvalidInput | Conflict, reader: Reader, prefix: str) -> dict[str, str]:
    # ``store_id`` is the services' name of the forms' store field.
    field = "store" if exc.field == "store_id" else exc.field
    return {f"{prefix}{field}" if field else "_form":
            reader.gettext(exc.template, **exc.params)}


def _page(request: Request, runtime: Runtime, reader: Reader, *, status_code: int = 200,
          errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          secret: dict[str, str] | None = None, done: str = "") -> Response:
    view = settings.overview(runtime, _tenant(reader))
    return render(request, "console/settings.html", reader, status_code=status_code,
                  view=view, store_options=[(s.id, s.name) for s in view.stores],
                  errors=errors or {},
                  values=values or {}, secret=secret, done=done, roles=tenants.ROLES,
                  terminal_url=public_base(request, runtime) + "/terminal")


def _text(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


@router.get("/settings", dependencies=SETUP)
def settings_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                  done: str = "") -> Response:
    return _page(request, runtime, reader, done=done)


@router.post("/settings/stores", dependencies=SETUP)
def add_store(request: Request, runtime: RuntimeDep, reader: StaffReader,
              form: Form) -> Response:
    values = {"store_code": _text(form, "store_code"), "store_name": _text(form, "store_name")}
    try:
        tenants.create_store(runtime, _tenant(reader), code=values["store_code"],
                             name=values["store_name"], actor=staff_actor(reader))
    except FORM_ERRORS as exc:
        return _page(request, runtime, reader, status_code=422, values=values,
                     errors=_errors(exc, reader, "store_"))
    return RedirectResponse("/console/settings?done=store", status_code=303)


def _store_page(request: Request, runtime: Runtime, reader: Reader, store_id: int, *,
                status_code: int = 200, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None) -> Response:
    store = tenants.get_store(runtime, _tenant(reader), store_id)
    return render(request, "console/settings_store.html", reader, status_code=status_code,
                  store=store, errors=errors or {},
                  values=values or {"name": store.name})


@router.get("/settings/stores/{store_id}", dependencies=SETUP)
def store_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
               store_id: int) -> Response:
    return _store_page(request, runtime, reader, store_id)


@router.post("/settings/stores/{store_id}", dependencies=SETUP)
def rename_store(request: Request, runtime: RuntimeDep, reader: StaffReader, store_id: int,
                 form: Form) -> Response:
    values = {"name": _text(form, "name")}
    try:
        tenants.rename_store(runtime, _tenant(reader), store_id, name=values["name"],
                             actor=staff_actor(reader))
    except FORM_ERRORS as exc:
        return _store_page(request, runtime, reader, store_id, status_code=422,
                           values=values, errors=_errors(exc, reader, ""))
    return RedirectResponse("/console/settings?done=store_renamed", status_code=303)


@router.post("/settings/tills", dependencies=SETUP)
def add_till(request: Request, runtime: RuntimeDep, reader: StaffReader,
             form: Form) -> Response:
    values = {name: _text(form, name) for name in ("till_store", "till_code", "till_name")}
    try:
        store_id = parse_int(values["till_store"], field="store", minimum=1)
        till = settings.add_till(runtime, _tenant(reader), store_id=store_id,
                                 code=values["till_code"], name=values["till_name"],
                                 actor=staff_actor(reader))
    except FORM_ERRORS as exc:
        return _page(request, runtime, reader, status_code=422, values=values,
                     errors=_errors(exc, reader, "till_"))
    return _page(request, runtime, reader, secret={
        "title": reader.gettext("Key of till %(code)s", code=till.code),
        "value": str(till.key), "till": "1"})


@router.post("/settings/tills/{terminal_id}/rotate", dependencies=SETUP)
def rotate_till_key(request: Request, runtime: RuntimeDep, reader: StaffReader,
                    terminal_id: int) -> Response:
    rotated = tenants.rotate_terminal_key(runtime, _tenant(reader), terminal_id,
                                          actor=staff_actor(reader))
    return _page(request, runtime, reader, secret={
        "title": reader.gettext("New key of the till"), "value": str(rotated.key),
        "till": "1"})


@router.post("/settings/tills/{terminal_id}/revoke", dependencies=SETUP)
def revoke_till(runtime: RuntimeDep, reader: StaffReader, terminal_id: int) -> Response:
    tenants.revoke_terminal(runtime, _tenant(reader), terminal_id, actor=staff_actor(reader))
    return RedirectResponse("/console/settings?done=till_revoked", status_code=303)


@router.post("/settings/staff", dependencies=SETUP)
def add_staff(request: Request, runtime: RuntimeDep, reader: StaffReader,
              form: Form) -> Response:
    values = {name: _text(form, name) for name in
              ("staff_name", "staff_email", "staff_role", "staff_store")}
    try:
        store_id = (parse_int(values["staff_store"], field="store", minimum=1)
                    if values["staff_store"] else None)
        password = str(form.get("staff_password") or "")
        created = settings.add_staff(runtime, _tenant(reader), name=values["staff_name"],
                                     email=values["staff_email"], role=values["staff_role"],
                                     store_id=store_id, password=password,
                                     pin=_text(form, "staff_pin"), actor=staff_actor(reader))
    except FORM_ERRORS as exc:
        return _page(request, runtime, reader, status_code=422, values=values,
                     errors=_errors(exc, reader, "staff_"))
    if password or values["staff_role"] not in settings.CONSOLE_ROLES:
        return RedirectResponse("/console/settings?done=staff", status_code=303)
    # No password given: the new person chooses one through a link the owner passes on.
    made = staff_access.invite(runtime, _tenant(reader), created.id,
                                actor=staff_actor(reader))
    return _page(request, runtime, reader, done="staff", secret={
        "title": reader.gettext("Invitation link for %(name)s (works once, for 72 hours)",
                                name=values["staff_name"]),
        "value": made.url(public_base(request, runtime))})


def _person_page(request: Request, runtime: Runtime, reader: Reader, staff_id: int, *,
                 status_code: int = 200, errors: dict[str, str] | None = None,
                 done: str = "", link: str = "",
                 values: dict[str, str] | None = None) -> Response:
    person = settings.person(runtime, _tenant(reader), staff_id)
    stores = tenants.list_stores(runtime, _tenant(reader))
    return render(request, "console/settings_staff.html", reader, status_code=status_code,
                  person=person, errors=errors or {}, done=done, link=link,
                  roles=tenants.ROLES, store_options=[(s.id, s.name) for s in stores],
                  values=values or {"name": person.name, "store": str(person.store_id or "")})


@router.get("/settings/staff/{staff_id}", dependencies=SETUP)
def person_page(request: Request, runtime: RuntimeDep, reader: StaffReader, staff_id: int,
                done: str = "") -> Response:
    return _person_page(request, runtime, reader, staff_id, done=done)


@router.post("/settings/staff/{staff_id}/details", dependencies=SETUP)
def edit_person(request: Request, runtime: RuntimeDep, reader: StaffReader, staff_id: int,
                form: Form) -> Response:
    values = {"name": _text(form, "name"), "store": _text(form, "store")}
    try:
        store_id = (parse_int(values["store"], field="store", minimum=1)
                    if values["store"] else None)
        tenants.update_staff(runtime, _tenant(reader), staff_id, name=values["name"],
                             store_id=store_id, actor=staff_actor(reader))
    except FORM_ERRORS as exc:
        return _person_page(request, runtime, reader, staff_id, status_code=422,
                            errors=_errors(exc, reader, ""), values=values)
    return RedirectResponse(f"/console/settings/staff/{staff_id}?done=details",
                            status_code=303)


@router.post("/settings/staff/{staff_id}/password", dependencies=SETUP)
def set_password(request: Request, runtime: RuntimeDep, reader: StaffReader, staff_id: int,
                 form: Form) -> Response:
    try:
        settings.set_password(runtime, _tenant(reader), staff_id,
                              str(form.get("password") or ""), actor=staff_actor(reader))
    except FORM_ERRORS as exc:
        return _person_page(request, runtime, reader, staff_id, status_code=422,
                            errors=_errors(exc, reader, ""))
    return RedirectResponse(f"/console/settings/staff/{staff_id}?done=password",
                            status_code=303)


@router.post("/settings/staff/{staff_id}/pin", dependencies=SETUP)
def set_pin(request: Request, runtime: RuntimeDep, reader: StaffReader, staff_id: int,
            form: Form) -> Response:
    try:
        settings.set_pin(runtime, _tenant(reader), staff_id, _text(form, "pin"),
                         actor=staff_actor(reader))
    except FORM_ERRORS as exc:
        return _person_page(request, runtime, reader, staff_id, status_code=422,
                            errors=_errors(exc, reader, ""))
    return RedirectResponse(f"/console/settings/staff/{staff_id}?done=pin", status_code=303)


@router.post("/settings/staff/{staff_id}/deactivate", dependencies=SETUP)
def deactivate(request: Request, runtime: RuntimeDep, reader: StaffReader,
               staff_id: int) -> Response:
    assert reader.session is not None
    try:
        staff_access.remove(runtime, _tenant(reader), staff_id,
                            by_staff_id=reader.session.staff_id)
    except FORM_ERRORS as exc:
        return _person_page(request, runtime, reader, staff_id, status_code=409,
                            errors=_errors(exc, reader, ""))
    return RedirectResponse("/console/settings?done=deactivated", status_code=303)


@router.post("/settings/keys", dependencies=SETUP)
def create_key(request: Request, runtime: RuntimeDep, reader: StaffReader,
               form: Form) -> Response:
    label = _text(form, "key_label")
    if not label:
        return _page(request, runtime, reader, status_code=422,
                     errors={"key_label": reader.gettext("enter what the key is for")})
    scopes = [str(v) for v in form.getlist("scopes")][:3]
    try:
        created = tenants.create_owner_key(runtime, _tenant(reader), label[:200], scopes,
                                           actor=staff_actor(reader))
    except FORM_ERRORS as exc:
        return _page(request, runtime, reader, status_code=422,
                     errors=_errors(exc, reader, ""))
    return _page(request, runtime, reader, secret={
        "title": reader.gettext("Owner key “%(label)s”", label=label[:200]),
        "value": str(created.key)})


@router.post("/settings/keys/{key_id}/revoke", dependencies=SETUP)
def revoke_key(runtime: RuntimeDep, reader: StaffReader, key_id: int) -> Response:
    settings.revoke_owner_key(runtime, _tenant(reader), key_id, actor=staff_actor(reader))
    return RedirectResponse("/console/settings?done=key_revoked", status_code=303)
