"""Console page: a member's phone number and cards. A new number is confirmed by a code
texted to it; a lost card is blocked; a new card is issued. Each problem shows beside its
field, with what was typed kept."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import RegularsError
from regulars.services.members import identifiers, members
from regulars.services.members.members import MemberRef
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

EDIT = [needs(Permission.MEMBERS_EDIT)]


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _page(request: Request, runtime: RuntimeDep, reader: Reader, member_id: int, *,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          sent_to: str = "", status_code: int = 200) -> Response:
    member = members.get(runtime, _tenant(reader), MemberRef(id=member_id))
    return render(request, "console/member_identifiers.html", reader,
                  status_code=status_code, member=member, values=values or {},
                  errors=errors or {}, sent_to=sent_to)


@router.get("/members/{member_id}/identifiers", dependencies=EDIT)
def identifiers_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                     member_id: int) -> Response:
    return _page(request, runtime, reader, member_id)


@router.post("/members/{member_id}/phone/code", dependencies=EDIT)
def send_code(request: Request, runtime: RuntimeDep, reader: StaffReader, member_id: int,
              form: Form) -> Response:
    values = {"new_phone": text(form, "new_phone", 40).strip()}
    try:
        phone = identifiers.send_phone_code(runtime, _tenant(reader), member_id,
                                            values["new_phone"])
    except RegularsError as exc:
        return _page(request, runtime, reader, member_id, values=values,
                     errors=form_errors(exc, reader), status_code=exc.status)
    return _page(request, runtime, reader, member_id, values={"new_phone": phone},
                 sent_to=phone)


@router.post("/members/{member_id}/phone", dependencies=EDIT)
def change_phone(request: Request, runtime: RuntimeDep, reader: StaffReader, member_id: int,
                 form: Form) -> Response:
    values = {"new_phone": text(form, "new_phone", 40).strip()}
    try:
        identifiers.change_phone(runtime, _tenant(reader), member_id, values["new_phone"],
                                 text(form, "code", 12))
    except RegularsError as exc:
        return _page(request, runtime, reader, member_id, values=values,
                     errors=form_errors(exc, reader), sent_to=values["new_phone"],
                     status_code=exc.status)
    return RedirectResponse(f"/console/members/{member_id}?done=phone", status_code=303)


@router.post("/members/{member_id}/cards/block", dependencies=EDIT)
def block_card(request: Request, runtime: RuntimeDep, reader: StaffReader, member_id: int,
               form: Form) -> Response:
    try:
        identifiers.block_card(runtime, _tenant(reader), member_id, text(form, "card", 40))
    except RegularsError as exc:
        if exc.field != "card":
            raise
        return _page(request, runtime, reader, member_id, errors={"_form": reader.gettext(
            exc.template, **exc.params)}, status_code=exc.status)
    return RedirectResponse(f"/console/members/{member_id}?done=card_blocked",
                            status_code=303)


@router.post("/members/{member_id}/cards", dependencies=EDIT)
def issue_card(request: Request, runtime: RuntimeDep, reader: StaffReader, member_id: int,
               form: Form) -> Response:
    values = {"card": text(form, "card", 40).strip()}
    try:
        identifiers.issue_card(runtime, _tenant(reader), member_id, values["card"])
    except RegularsError as exc:
        return _page(request, runtime, reader, member_id, values=values,
                     errors=form_errors(exc, reader), status_code=exc.status)
    return RedirectResponse(f"/console/members/{member_id}?done=card_issued",
                            status_code=303)
