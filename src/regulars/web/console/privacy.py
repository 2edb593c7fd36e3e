"""Console pages: a member's personal data. Export (JSON, or a zip with CSVs) and erasure
after a confirmation step (the member's number typed again), for owners only; and how long
one-time codes and stored answers are kept (settings, ``SETUP``)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import InvalidInput, RegularsError
from regulars.services.members import members, privacy
from regulars.services.tenancy import retention
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_int
from regulars.web.templating import Reader, render

PRIVACY = [needs(Permission.PRIVACY)]
SETUP = [needs(Permission.SETUP)]


@router.get("/members/{member_id}/export.json", dependencies=PRIVACY)
def member_export_json(reader: StaffReader, runtime: RuntimeDep, member_id: int) -> Response:
    assert reader.session is not None
    found = privacy.export(runtime, reader.session.tenant_id, member_id,
                           actor=staff_actor(reader))
    return Response(privacy.export_json(found), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="member-{member_id}.json"'})


@router.get("/members/{member_id}/export.zip", dependencies=PRIVACY)
def member_export_zip(reader: StaffReader, runtime: RuntimeDep, member_id: int) -> Response:
    assert reader.session is not None
    found = privacy.export(runtime, reader.session.tenant_id, member_id,
                           actor=staff_actor(reader))
    return Response(privacy.export_archive(found), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="member-{member_id}.zip"'})


def _erase_page(request: Request, reader: Reader, runtime: RuntimeDep, member_id: int, *,
                errors: dict[str, str], typed: str = "", status_code: int = 200) -> Response:
    assert reader.session is not None
    member = members.get(runtime, reader.session.tenant_id, members.MemberRef(id=member_id))
    return render(request, "console/member_erase.html", reader, status_code=status_code,
                  member=member, errors=errors, values={"confirm": typed})


@router.get("/members/{member_id}/erase", dependencies=PRIVACY)
def member_erase_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                      member_id: int) -> Response:
    """The confirmation step: what erasure does, and the member's number to type again."""
    return _erase_page(request, reader, runtime, member_id, errors={})


@router.post("/members/{member_id}/erase", dependencies=PRIVACY)
def member_erase(request: Request, reader: StaffReader, runtime: RuntimeDep, member_id: int,
                 form: Form) -> Response:
    assert reader.session is not None
    typed = text(form, "confirm", 20).strip().lstrip("#")
    try:
        if typed != str(member_id):
            raise InvalidInput("type the member's number to confirm", field="confirm")
        privacy.erase(runtime, reader.session.tenant_id, member_id,
                      actor=staff_actor(reader))
    except RegularsError as exc:
        return _erase_page(request, reader, runtime, member_id, typed=typed,
                           errors=form_errors(exc, reader), status_code=422)
    return RedirectResponse("/console/members?done=erased", status_code=303)


@router.get("/settings/retention", dependencies=SETUP)
def retention_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                   done: str = "") -> Response:
    assert reader.session is not None
    found = retention.get(runtime, reader.session.tenant_id)
    return render(request, "console/settings_retention.html", reader, errors={}, done=done,
                  values={"otp_days": str(found.otp_days),
                          "idempotency_days": str(found.idempotency_days)})


@router.post("/settings/retention", dependencies=SETUP)
def retention_save(request: Request, runtime: RuntimeDep, reader: StaffReader,
                   form: Form) -> Response:
    assert reader.session is not None
    values = {name: text(form, name, 10).strip() for name in ("otp_days", "idempotency_days")}
    errors: dict[str, str] = {}
    days: dict[str, int] = {}
    for name, value in values.items():
        try:
            days[name] = parse_int(value, field=name, minimum=1, maximum=100_000)
        except RegularsError as exc:
            errors.update(form_errors(exc, reader))
    if not errors:
        try:
            retention.put(runtime, reader.session.tenant_id, otp_days=days["otp_days"],
                          idempotency_days=days["idempotency_days"],
                          actor=staff_actor(reader))
        except RegularsError as exc:
            errors = form_errors(exc, reader)
    if errors:
        return render(request, "console/settings_retention.html", reader, status_code=422,
                      errors=errors, done="", values=values)
    return RedirectResponse("/console/settings/retention?done=saved", status_code=303)
