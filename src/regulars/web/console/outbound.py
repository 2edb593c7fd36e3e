"""Console pages of the outbound side, for owners (``SETUP``): the scheduled jobs (last run,
outcome, next run, "run now"), the message log, and webhook endpoints with their delivery
log, manual redelivery and secret rotation (the secret shown once)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import InvalidInput
from regulars.services.jobs import scheduler
from regulars.services.messaging import events, outbox, webhooks
from regulars.services.runtime import Runtime
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import N_
from regulars.web.console import router
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

SETUP = [needs(Permission.SETUP)]
# Words the pages translate from data: job titles, outcomes and delivery statuses.
SHOWN_WORDS = (N_("Points expiry"), N_("Birthday and referral rewards"),
               N_("Expiry of claimed reward codes"), N_("Expiry reminders and win-back"),
               N_("Campaigns"), N_("Messages"),
               N_("Webhook deliveries"), N_("Data retention"), N_("Level review"), N_("ok"),
               N_("failed"), N_("running"), N_("queued"), N_("sent"), N_("pending"),
               N_("delivered"))


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


@router.get("/jobs", dependencies=SETUP)
def jobs_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
              done: str = "") -> Response:
    return render(request, "console/jobs.html", reader, jobs=scheduler.states(runtime),
                  messages=outbox.delivery_log(runtime, _tenant(reader), limit=50),
                  done=done)


@router.post("/jobs/{name}/run", dependencies=SETUP)
def run_job(runtime: RuntimeDep, name: str) -> Response:
    scheduler.request_run(runtime, name[:40])
    return RedirectResponse(f"/console/jobs?done={name[:40]}", status_code=303)


def _webhooks_page(request: Request, runtime: Runtime, reader: Reader, *,
                   status_code: int = 200, errors: dict[str, str] | None = None,
                   values: dict[str, str] | None = None,
                   secret: dict[str, str] | None = None) -> Response:
    return render(request, "console/webhooks.html", reader, status_code=status_code,
                  endpoints=webhooks.list_endpoints(runtime, _tenant(reader)),
                  types=events.TYPES, errors=errors or {}, values=values or {},
                  secret=secret)


@router.get("/webhooks", dependencies=SETUP)
def webhooks_page(request: Request, runtime: RuntimeDep, reader: StaffReader) -> Response:
    return _webhooks_page(request, runtime, reader)


@router.post("/webhooks", dependencies=SETUP)
def add_webhook(request: Request, runtime: RuntimeDep, reader: StaffReader,
                form: Form) -> Response:
    url = str(form.get("url") or "").strip()[:500]
    chosen = [str(t)[:40] for t in form.getlist("event_types")][:20]
    try:
        made = webhooks.create(runtime, _tenant(reader), url=url, event_types=chosen)
    except InvalidInput as exc:
        return _webhooks_page(request, runtime, reader, status_code=422, values={"url": url},
                              errors={exc.field or "_form": reader.gettext(exc.detail)})
    return _webhooks_page(request, runtime, reader, secret={
        "title": reader.gettext("Signing secret of %(url)s", url=made.endpoint.url),
        "value": made.secret})


def _endpoint_page(request: Request, runtime: Runtime, reader: Reader, endpoint_id: int, *,
                   secret: dict[str, str] | None = None, done: str = "") -> Response:
    tenant_id = _tenant(reader)
    return render(request, "console/webhook.html", reader,
                  endpoint=webhooks.get(runtime, tenant_id, endpoint_id),
                  deliveries=webhooks.deliveries(runtime, tenant_id, endpoint_id, limit=100),
                  secret=secret, done=done)


@router.get("/webhooks/{endpoint_id}", dependencies=SETUP)
def endpoint_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                  endpoint_id: int, done: str = "") -> Response:
    return _endpoint_page(request, runtime, reader, endpoint_id, done=done)


@router.post("/webhooks/{endpoint_id}/rotate", dependencies=SETUP)
def rotate_secret(request: Request, runtime: RuntimeDep, reader: StaffReader,
                  endpoint_id: int) -> Response:
    made = webhooks.rotate_secret(runtime, _tenant(reader), endpoint_id)
    return _endpoint_page(request, runtime, reader, endpoint_id, secret={
        "title": reader.gettext("New signing secret (the previous one also signs for 24 "
                                "hours)"), "value": made.secret})


@router.post("/webhooks/{endpoint_id}/active", dependencies=SETUP)
def set_active(runtime: RuntimeDep, reader: StaffReader, endpoint_id: int,
               form: Form) -> Response:
    webhooks.update(runtime, _tenant(reader), endpoint_id,
                    active=str(form.get("active") or "") == "1")
    return RedirectResponse(f"/console/webhooks/{endpoint_id}?done=active", status_code=303)


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
             dependencies=SETUP)
def redeliver(runtime: RuntimeDep, reader: StaffReader, endpoint_id: int,
              delivery_id: int) -> Response:
    webhooks.redeliver(runtime, _tenant(reader), endpoint_id, delivery_id)
    return RedirectResponse(f"/console/webhooks/{endpoint_id}?done=redeliver",
                            status_code=303)
