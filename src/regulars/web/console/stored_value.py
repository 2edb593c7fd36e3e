"""Console pages: gift certificates. Anyone in the console sees the series, the report
(used, expired, outstanding) and the liability, and finds a certificate by its code;
blocking a lost one, or giving its customer a fresh balance page link (the old one stops
working), needs ``refund`` (owners). Series and bulk issue have pages of their own
(:mod:`regulars.web.console.certificate_series`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import RegularsError
from regulars.services.stored_value import certificates
from regulars.services.stored_value.results import CertificateView
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import N_
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.customer.common import qr_svg
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs, public_base
from regulars.web.templating import Reader, render

# A certificate's status as the page shows it (translated in the template).
STATUS_WORDS = (N_("active"), N_("pending"), N_("blocked"), N_("void"))


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _page(request: Request, reader: Reader, runtime: RuntimeDep, *,
          found: CertificateView | None = None, code: str = "",
          errors: dict[str, str] | None = None, link: str = "",
          status_code: int = 200) -> Response:
    tenant_id = _tenant(reader)
    series = {s.id: s for s in certificates.list_series(runtime, tenant_id)}
    return render(request, "console/certificates.html", reader, status_code=status_code,
                  series=series, report=certificates.report(runtime, tenant_id),
                  found=found, code=code, errors=errors or {}, link=link,
                  link_qr=qr_svg(link) if link else "")


@router.get("/certificates", dependencies=[needs(Permission.VIEW)])
def certificates_page(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return _page(request, reader, runtime)


@router.post("/certificates/lookup", dependencies=[needs(Permission.VIEW)])
def look_up(request: Request, reader: StaffReader, runtime: RuntimeDep,
            form: Form) -> Response:
    code = text(form, "code", 40)
    try:
        found = certificates.look_up(runtime, _tenant(reader), code)
    except RegularsError as exc:
        return _page(request, reader, runtime, code=code, errors=form_errors(exc, reader),
                     status_code=422)
    return _page(request, reader, runtime, found=found, code=code)


@router.post("/certificates/{certificate_id}/block", dependencies=[needs(Permission.REFUND)])
def block(reader: StaffReader, runtime: RuntimeDep,
          certificate_id: int, form: Form) -> Response:
    blocked = text(form, "blocked") != "no"
    certificates.set_blocked(runtime, _tenant(reader), certificate_id, blocked=blocked,
                             actor=staff_actor(reader))
    return RedirectResponse(f"/console/certificates/{certificate_id}", status_code=303)


@router.post("/certificates/{certificate_id}/link", dependencies=[needs(Permission.REFUND)])
def new_link(request: Request, reader: StaffReader, runtime: RuntimeDep,
             certificate_id: int) -> Response:
    """A fresh balance page link for the customer, with its QR code, shown this once (the
    old link stops working; the page is not stored by the browser or a proxy)."""
    try:
        path = certificates.relink(runtime, _tenant(reader), certificate_id,
                                   actor=staff_actor(reader))
    except RegularsError as exc:
        found = certificates.get_certificate(runtime, _tenant(reader), certificate_id)
        return _page(request, reader, runtime, found=found,
                     errors={"link": form_errors(exc, reader).popitem()[1]}, status_code=422)
    found = certificates.get_certificate(runtime, _tenant(reader), certificate_id)
    response = _page(request, reader, runtime, found=found,
                     link=public_base(request, runtime) + path)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/certificates/{certificate_id}", dependencies=[needs(Permission.VIEW)])
def certificate_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                     certificate_id: int) -> Response:
    found = certificates.get_certificate(runtime, _tenant(reader), certificate_id)
    return _page(request, reader, runtime, found=found)

