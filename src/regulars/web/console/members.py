"""Console pages: members. Search (live, by phone in any format, card or name), a member's
page, and the actions on it: register, edit, adjust points with a reason, merge."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import InvalidInput, RegularsError
from regulars.services.ledger import member_ledger
from regulars.services.members import admin as members_view
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import PAGE_SIZE, form_errors, new_key, page_number, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_int
from regulars.web.templating import Reader, render

CONSENTS = ("full", "earn_only", "none")


@router.get("/members", dependencies=[needs(Permission.VIEW)])
def members_list(request: Request, reader: StaffReader, runtime: RuntimeDep,
                 q: str = "", page: str = "1", done: str = "") -> Response:
    number = page_number(page)
    notice = (reader.gettext("The member's personal data was erased.") if done == "erased"
              else "")
    assert reader.session is not None
    found = members_view.search(runtime, reader.session.tenant_id, text=q[:100],
                                limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    template = ("console/members_results.html" if request.headers.get("HX-Request")
                and request.headers.get("HX-Target") == "results" else "console/members.html")
    return render(request, template, reader, q=q[:100], page=number, notice=notice, **found)


def _new_form(request: Request, reader: Reader, *, values: dict[str, str],
              errors: dict[str, str], status_code: int = 200) -> Response:
    return render(request, "console/members_new.html", reader, status_code=status_code,
                  values=values, errors=errors, consents=CONSENTS)


@router.get("/members/new", dependencies=[needs(Permission.MEMBERS_EDIT)])
def member_new(request: Request, reader: StaffReader) -> Response:
    return _new_form(request, reader, values={"consent": "full"}, errors={})


@router.post("/members/new", dependencies=[needs(Permission.MEMBERS_EDIT)])
def member_create(request: Request, reader: StaffReader, runtime: RuntimeDep,
                  form: Form) -> Response:
    values = {name: text(form, name, 200).strip() for name in
              ("phone", "first_name", "last_name", "consent")}
    assert reader.session is not None
    try:
        if not values["phone"]:
            raise InvalidInput("enter the member's phone number", field="phone")
        member, created = member_registration.register(
            runtime, reader.session.tenant_id, Registration(
                phone=values["phone"], first_name=values["first_name"] or None,
                last_name=values["last_name"] or None, consent=values["consent"]),
            staff_id=reader.session.staff_id)
    except RegularsError as exc:
        return _new_form(request, reader, values=values, errors=form_errors(exc, reader),
                         status_code=422)
    known = "" if created else "?done=known"
    return RedirectResponse(f"/console/members/{member.id}{known}", status_code=303)


def _member_page(request: Request, reader: Reader, runtime: RuntimeDep, member_id: int, *,
                 errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 status_code: int = 200, notice: str = "") -> Response:
    assert reader.session is not None
    data = members_view.page(runtime, reader.session.tenant_id, member_id,
                             locale=reader.locale)
    member: members.MemberView = data["member"]
    level = member.level
    progress = 100
    if level.to_next_minor:
        done = level.window_spend_minor
        progress = int(100 * done / (done + level.to_next_minor))
    return render(request, "console/member.html", reader, status_code=status_code,
                  errors=errors or {}, values=values or {}, key=new_key(), notice=notice,
                  progress=progress, **data)


@router.get("/members/{member_id}", dependencies=[needs(Permission.VIEW)])
def member_page(request: Request, reader: StaffReader, runtime: RuntimeDep, member_id: int,
                done: str = "") -> Response:
    notices = {"adjusted": reader.gettext("The points were adjusted."),
               "saved": reader.gettext("The profile was saved."),
               "merged": reader.gettext("The members were merged."),
               "known": reader.gettext("This phone number already belongs to a member: "
                                       "here they are."),
               "phone": reader.gettext("The phone number was changed."),
               "card_blocked": reader.gettext("The card was blocked: it no longer finds "
                                              "the member."),
               "card_issued": reader.gettext("The new card was issued.")}
    return _member_page(request, reader, runtime, member_id, notice=notices.get(done, ""))


@router.post("/members/{member_id}/adjust", dependencies=[needs(Permission.MEMBERS_EDIT)])
def member_adjust(request: Request, reader: StaffReader, runtime: RuntimeDep, member_id: int,
                  form: Form) -> Response:
    values = {"points": text(form, "points", 20), "reason": text(form, "reason", 500)}
    assert reader.session is not None
    try:
        points = parse_int(values["points"], field="points", minimum=-10**9, maximum=10**9)
        if not values["reason"].strip():
            raise InvalidInput("a reason is required", field="reason")
        member_ledger.adjust(runtime, reader.session.tenant_id, member_id, points=points,
                             reason=values["reason"], key=text(form, "key", 200) or new_key(),
                             staff_id=reader.session.staff_id)
    except RegularsError as exc:
        return _member_page(request, reader, runtime, member_id, values=values,
                            errors=form_errors(exc, reader), status_code=422)
    return RedirectResponse(f"/console/members/{member_id}?done=adjusted", status_code=303)


def _edit_form(request: Request, reader: Reader, member: members.MemberView, *,
               values: dict[str, str], errors: dict[str, str],
               status_code: int = 200) -> Response:
    return render(request, "console/members_edit.html", reader, status_code=status_code,
                  member=member, values=values, errors=errors, consents=CONSENTS)


@router.get("/members/{member_id}/edit", dependencies=[needs(Permission.MEMBERS_EDIT)])
def member_edit(request: Request, reader: StaffReader, runtime: RuntimeDep,
                member_id: int) -> Response:
    assert reader.session is not None
    member = members.get(runtime, reader.session.tenant_id, members.MemberRef(id=member_id))
    tags = member.profile.get("tags", []) if member.profile else []
    values = {"first_name": member.first_name or "", "last_name": member.last_name or "",
              "email": member.email or "",
              "birthday": member.birthday.isoformat() if member.birthday else "",
              "consent": member.consent,
              "tags": ", ".join(str(t) for t in tags) if isinstance(tags, list) else ""}
    return _edit_form(request, reader, member, values=values, errors={})


@router.post("/members/{member_id}/edit", dependencies=[needs(Permission.MEMBERS_EDIT)])
def member_save(request: Request, reader: StaffReader, runtime: RuntimeDep, member_id: int,
                form: Form) -> Response:
    values = {name: text(form, name, 300) for name in
              ("first_name", "last_name", "email", "birthday", "consent", "tags")}
    assert reader.session is not None
    try:
        members_view.edit_profile(runtime, reader.session.tenant_id, member_id, **values)
    except RegularsError as exc:
        errors = form_errors(exc, reader)
        member = members.get(runtime, reader.session.tenant_id,
                             members.MemberRef(id=member_id))
        return _edit_form(request, reader, member, values=values, errors=errors,
                          status_code=422)
    return RedirectResponse(f"/console/members/{member_id}?done=saved", status_code=303)


@router.get("/members/{member_id}/merge", dependencies=[needs(Permission.MEMBERS_MERGE)])
def member_merge_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                      member_id: int, source: str = "") -> Response:
    """Step one: name the other member; step two (``source`` given): both balances side by
    side and a confirmation."""
    assert reader.session is not None
    tenant_id = reader.session.tenant_id
    errors: dict[str, str] = {}
    pair: dict[str, Any] | None = None
    status = 200
    if source.strip():
        try:
            pair = members_view.find_for_merge(runtime, tenant_id, member_id, source[:40])
        except RegularsError as exc:
            errors, status = form_errors(exc, reader), 422
    target = pair["target"] if pair else members.get(runtime, tenant_id,
                                                     members.MemberRef(id=member_id))
    return render(request, "console/members_merge.html", reader, status_code=status,
                  target=target, source=pair["source"] if pair else None, query=source[:40],
                  errors=errors, key=new_key())


@router.post("/members/{member_id}/merge", dependencies=[needs(Permission.MEMBERS_MERGE)])
def member_merge(reader: StaffReader, runtime: RuntimeDep, member_id: int,
                 form: Form) -> Response:
    assert reader.session is not None
    source = text(form, "source_id", 20)
    if not source.isdigit():
        raise InvalidInput("name the member to merge", field="source")
    member_ledger.merge(runtime, reader.session.tenant_id, source_id=int(source),
                        target_id=member_id, key=text(form, "key", 200) or new_key())
    return RedirectResponse(f"/console/members/{member_id}?done=merged", status_code=303)
