"""Console pages of messages to members, for marketers (``MARKETING_EDIT``): the wording of
each message per language (edit, preview with a sample member, test send) and campaigns to a
segment (create, schedule, see queued / sent / failed counts). The delivery log is on the
jobs page."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.domain.messaging.templates import LANGUAGES
from regulars.errors import InvalidInput, NotFound
from regulars.services.messaging import templates
from regulars.services.promotions import campaigns, segments
from regulars.services.runtime import Runtime
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import N_
from regulars.web.console import router
from regulars.web.console.message_settings import loaded_channels
from regulars.web.console.pagekit import staff_actor
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

EDIT = [needs(Permission.MARKETING_EDIT)]
EVENT_LABELS = {
    "welcome": N_("Welcome"), "points_earned": N_("Points earned"),
    "points_expiring": N_("Points expiring"), "level_reached": N_("Level reached"),
    "level_kept": N_("Level kept"), "level_lost": N_("Level lost"),
    "birthday": N_("Birthday"), "winback": N_("Win-back"),
    "balance": N_("Certificate or wallet balance"), "campaign": N_("Campaign"),
}
SHOWN_WORDS = (N_("transactional"), N_("marketing"), N_("skipped"), N_("scheduled"),
               N_("running"), N_("done"), N_("cancelled"), N_("control"), N_("no_consent"),
               N_("capped"), N_("no_address"), N_("holdout"))


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _text(form: Any, name: str, limit: int) -> str:
    return str(form.get(name) or "")[:limit]


@router.get("/messages", dependencies=EDIT)
def messages_page(request: Request, runtime: RuntimeDep, reader: StaffReader) -> Response:
    found = templates.list_templates(runtime, _tenant(reader))
    return render(request, "console/messages.html", reader, message_templates=found,
                  event_labels=EVENT_LABELS, message_languages=LANGUAGES)


def _template_page(request: Request, runtime: Runtime, reader: Reader, event: str,
                   language: str, *, status_code: int = 200, values: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, preview: Any = None,
                   sent: str = "", test_errors: dict[str, str] | None = None,
                   test_values: dict[str, str] | None = None) -> Response:
    current = templates.get(runtime, _tenant(reader), event, language)
    shown = values or {"subject": current.subject, "body": current.body}
    return render(request, "console/message_template.html", reader, status_code=status_code,
                  message=current, event_label=EVENT_LABELS[event], values=shown,
                  errors=errors or {}, preview=preview, sent=sent,
                  test_errors=test_errors or {}, test_values=test_values or {},
                  test_channels=loaded_channels(runtime, reader))


@router.get("/messages/{event}/{language}", dependencies=EDIT)
def template_page(request: Request, runtime: RuntimeDep, reader: StaffReader, event: str,
                  language: str, sent: str = "") -> Response:
    return _template_page(request, runtime, reader, event[:20], language[:10],
                          sent=sent[:10])


@router.post("/messages/{event}/{language}", dependencies=EDIT)
def save_template(request: Request, runtime: RuntimeDep, reader: StaffReader, event: str,
                  language: str, form: Form) -> Response:
    """Save (``action=save``) or preview (``action=preview``) the text as typed."""
    event, language = event[:20], language[:10]
    values = {"subject": _text(form, "subject", 200), "body": _text(form, "body", 2000)}
    try:
        if form.get("action") == "preview":
            shown = templates.preview(runtime, _tenant(reader), event, language, **values)
            return _template_page(request, runtime, reader, event, language, values=values,
                                  preview=shown)
        templates.save(runtime, _tenant(reader), event, language, **values,
                       actor=staff_actor(reader))
    except InvalidInput as exc:
        return _template_page(request, runtime, reader, event, language, status_code=422,
                              values=values,
                              errors={exc.field or "_form": reader.gettext(exc.detail)})
    return RedirectResponse(f"/console/messages/{event}/{language}?sent=saved",
                            status_code=303)


@router.post("/messages/{event}/{language}/test", dependencies=EDIT)
def test_template(request: Request, runtime: RuntimeDep, reader: StaffReader, event: str,
                  language: str, form: Form) -> Response:
    event, language = event[:20], language[:10]
    channel, recipient = _text(form, "channel", 10), _text(form, "recipient", 320).strip()
    try:
        done = templates.test_send(runtime, _tenant(reader), event, language,
                                   channel=channel, recipient=recipient)
    except (InvalidInput, NotFound) as exc:
        if exc.field not in ("channel", "recipient"):
            return RedirectResponse(f"/console/messages/{event}/{language}?sent=failed",
                                    status_code=303)
        return _template_page(request, runtime, reader, event, language, status_code=422,
                              test_errors={exc.field: reader.gettext(exc.template,
                                                                     **exc.params)},
                              test_values={"channel": channel, "recipient": recipient})
    return RedirectResponse(f"/console/messages/{event}/{language}?sent={done.status}",
                            status_code=303)


def _campaigns_page(request: Request, runtime: Runtime, reader: Reader, *,
                    status_code: int = 200, values: dict[str, str] | None = None,
                    errors: dict[str, str] | None = None) -> Response:
    tenant_id = _tenant(reader)
    return render(request, "console/campaigns.html", reader, status_code=status_code,
                  campaigns=campaigns.list_all(runtime, tenant_id),
                  segments=segments.list_all(runtime, tenant_id), message_languages=LANGUAGES,
                  values=values or {"control_percent": "10", "language": reader.language},
                  errors=errors or {})


@router.get("/campaigns", dependencies=EDIT)
def campaigns_page(request: Request, runtime: RuntimeDep, reader: StaffReader) -> Response:
    return _campaigns_page(request, runtime, reader)


def _number(form: Any, name: str) -> int | None:
    text = _text(form, name, 9).strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("give a whole number", field=name)
    return int(text)


@router.post("/campaigns", dependencies=EDIT)
def add_campaign(request: Request, runtime: RuntimeDep, reader: StaffReader,
                 form: Form) -> Response:
    values = {k: _text(form, k, 2000) for k in ("name", "segment_id", "language", "subject",
                                                "body", "control_percent", "repeat_days")}
    try:
        segment_id = _number(form, "segment_id")
        if segment_id is None:
            raise InvalidInput("choose a segment", field="segment_id")
        campaigns.create(runtime, _tenant(reader), campaigns.Draft(
            name=values["name"][:200], segment_id=segment_id,
            texts={values["language"][:10]: {"subject": values["subject"][:200],
                                             "body": values["body"]}},
            control_percent=_number(form, "control_percent") or 0,
            repeat_days=_number(form, "repeat_days")), actor=staff_actor(reader))
    except (InvalidInput, NotFound) as exc:
        field = "body" if exc.field == "texts" else exc.field or "_form"
        return _campaigns_page(request, runtime, reader, status_code=422, values=values,
                               errors={field: reader.gettext(exc.detail)})
    return RedirectResponse("/console/campaigns", status_code=303)


@router.post("/campaigns/{campaign_id}/cancel", dependencies=EDIT)
def cancel_campaign(runtime: RuntimeDep, reader: StaffReader, campaign_id: int) -> Response:
    campaigns.cancel(runtime, _tenant(reader), campaign_id, actor=staff_actor(reader))
    return RedirectResponse("/console/campaigns", status_code=303)
