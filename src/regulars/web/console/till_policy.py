"""Console page: refunds at the built-in till — the amount above which a refund needs a
manager's (an owner's) PIN. Owners only (``SETUP``)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.domain.catalog.products import parse_price
from regulars.services.web_sessions import till_refunds
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import amount_text
from regulars.web.templating import Reader, render

SETUP = [needs(Permission.SETUP)]


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


@router.get("/settings/refunds", dependencies=SETUP)
def refunds_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                 done: str = "") -> Response:
    limit = till_refunds.manager_pin_above(runtime, _tenant(reader))
    shown = "" if limit is None else amount_text(limit, reader.minor_digits())
    return render(request, "console/settings_refunds.html", reader,
                  values={"manager_pin_above": shown}, errors={}, done=done,
                  no_pin=limit is not None
                  and till_refunds.owners_with_pin(runtime, _tenant(reader)) == 0)


@router.post("/settings/refunds", dependencies=SETUP)
def save_refunds(request: Request, runtime: RuntimeDep, reader: StaffReader,
                 form: Form) -> Response:
    raw = text(form, "manager_pin_above", 40).strip()
    try:
        limit = parse_price(raw, digits=reader.minor_digits()) if raw else None
    except ValueError as exc:
        message = reader.gettext(str(exc), digits=reader.minor_digits())
        return render(request, "console/settings_refunds.html", reader, status_code=422,
                      values={"manager_pin_above": raw},
                      errors={"manager_pin_above": message}, done="")
    assert reader.session is not None
    till_refunds.set_manager_pin_above(runtime, _tenant(reader), limit,
                                       actor=staff_actor(reader))
    return RedirectResponse("/console/settings/refunds?done=saved", status_code=303)
