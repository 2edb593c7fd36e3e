"""Console page: the wallet pass credentials (Apple Wallet, Google Wallet). Owners only
(``SETUP``). What was uploaded is never shown back: only "configured", and the pass
certificate's subject and expiry; a form with a problem keeps the names typed (never the
keys) and shows the problem beside its field."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.errors import InvalidInput
from regulars.services.passes import passes
from regulars.services.passes.signing import MAX_PEM_CHARS
from regulars.services.runtime import Runtime
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

SETUP = [needs(Permission.SETUP)]


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _page(request: Request, runtime: Runtime, reader: Reader, *, status_code: int = 200,
          errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          done: str = "") -> Response:
    return render(request, "console/wallet_passes.html", reader, status_code=status_code,
                  view=passes.settings_view(runtime, _tenant(reader)), errors=errors or {},
                  values=values or {}, done=done)


def _pem(form: FormData, name: str) -> str:
    return text(form, name, MAX_PEM_CHARS + 1)


@router.get("/settings/passes", dependencies=SETUP)
def passes_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                done: str = "") -> Response:
    return _page(request, runtime, reader, done=done[:20])


@router.post("/settings/passes/apple", dependencies=SETUP)
def save_apple(request: Request, runtime: RuntimeDep, reader: StaffReader,
               form: Form) -> Response:
    values = {"apple_pass_type_id": text(form, "apple_pass_type_id", 300).strip(),
              "apple_team_id": text(form, "apple_team_id", 100).strip()}
    try:
        passes.save_apple(runtime, _tenant(reader), pass_type_id=values["apple_pass_type_id"],
                          team_id=values["apple_team_id"],
                          certificate_pem=_pem(form, "apple_certificate_pem"),
                          key_pem=_pem(form, "apple_key_pem"),
                          wwdr_pem=_pem(form, "apple_wwdr_pem"), actor=staff_actor(reader))
    except InvalidInput as exc:
        return _page(request, runtime, reader, status_code=422, values=values, errors={
            f"apple_{exc.field}": reader.gettext(exc.template, **exc.params)})
    return RedirectResponse("/console/settings/passes?done=apple", status_code=303)


@router.post("/settings/passes/google", dependencies=SETUP)
def save_google(request: Request, runtime: RuntimeDep, reader: StaffReader,
                form: Form) -> Response:
    values = {"google_issuer_id": text(form, "google_issuer_id", 100).strip(),
              "google_service_email": text(form, "google_service_email", 300).strip()}
    try:
        passes.save_google(runtime, _tenant(reader), issuer_id=values["google_issuer_id"],
                           service_email=values["google_service_email"],
                           key_pem=_pem(form, "google_key_pem"), actor=staff_actor(reader))
    except InvalidInput as exc:
        return _page(request, runtime, reader, status_code=422, values=values, errors={
            f"google_{exc.field}": reader.gettext(exc.template, **exc.params)})
    return RedirectResponse("/console/settings/passes?done=google", status_code=303)
