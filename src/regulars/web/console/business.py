"""Console page of the business itself: name, language, time zone, the customer page's
colours and logo. Owners only (``SETUP``); every problem of a submitted form shows beside its
field at once, and nothing is saved until all are fixed."""

from __future__ import annotations

from zoneinfo import available_timezones

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from regulars.errors import RegularsError
from regulars.services.runtime import Runtime
from regulars.services.tenancy import business
from regulars.services.tenancy.business import LOGO_MAX_BYTES, Changes
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import DEFAULT_LOCALE
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

SETUP = [needs(Permission.SETUP)]
FIELDS = ("name", "locale", "timezone", "brand_colour", "header_colour")
ZONES = sorted(available_timezones())
LOCALES = sorted({*DEFAULT_LOCALE.values(), "en_US", "en_IE", "ru_KZ", "ru_BY", "ru_UA"})


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _page(request: Request, runtime: Runtime, reader: Reader, *, status_code: int = 200,
          errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          done: str = "") -> Response:
    found = business.get(runtime, _tenant(reader))
    shown = {"name": found.name, "locale": found.locale, "timezone": found.timezone,
             "brand_colour": found.brand_colour or "", "header_colour": found.header_colour or ""}
    return render(request, "console/settings_business.html", reader, status_code=status_code,
                  business=found, values={**shown, **(values or {})}, errors=errors or {},
                  done=done, zones=ZONES, locales=LOCALES,
                  defaults={"brand_colour": business.DEFAULT_BRAND,
                            "header_colour": business.DEFAULT_HEADER})


@router.get("/settings/business", dependencies=SETUP)
def business_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                  done: str = "") -> Response:
    return _page(request, runtime, reader, done=done)


async def _logo_of(form: FormData) -> bytes | None:
    """The uploaded logo's bytes (at most one past the cap, so that a larger file is told
    apart), or ``None`` when no file was chosen."""
    upload = form.get("logo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    try:
        return await upload.read(LOGO_MAX_BYTES + 1)
    finally:
        await upload.close()


@router.post("/settings/business", dependencies=SETUP)
async def business_save(request: Request, runtime: RuntimeDep, reader: StaffReader,
                        form: Form) -> Response:
    values = {name: text(form, name, 300).strip() for name in FIELDS}
    changes = Changes(**values)
    logo = await _logo_of(form)
    problems: list[RegularsError] = [*business.problems(changes)]
    logo_problem = business.logo_problem(logo) if logo is not None else None
    if logo_problem is not None:
        problems.append(logo_problem)
    if problems:
        errors: dict[str, str] = {}
        for problem in problems:
            errors.update(form_errors(problem, reader))
        return _page(request, runtime, reader, status_code=422, errors=errors, values=values)
    actor = staff_actor(reader)
    business.update(runtime, _tenant(reader), changes, actor=actor)
    if logo is not None:
        business.set_logo(runtime, _tenant(reader), logo, actor=actor)
    elif form.get("remove_logo"):
        business.remove_logo(runtime, _tenant(reader), actor=actor)
    return RedirectResponse("/console/settings/business?done=saved", status_code=303)
