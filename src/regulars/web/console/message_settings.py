"""Console page of the message settings, for marketers (``MARKETING_EDIT``, as the templates):
the channel (a built-in one or a channel plug-in this server loaded), quiet hours, the
frequency cap and which optional messages go. Saved through the same service call as
``PATCH /v1/admin/message-settings`` (on the audit trail, the cached settings forgotten at
once); the tenant is always the signed-in staff member's own."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import InvalidInput
from regulars.services.messaging import templates
from regulars.services.runtime import Runtime
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import N_
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import errors_of, parse_int
from regulars.web.templating import Reader, render

EDIT = [needs(Permission.MARKETING_EDIT)]
CHANNEL_LABELS = {
    "sms": N_("Text message (SMS)"),
    "email": N_("E-mail"),
    "webhook": N_("Webhook to your own system"),
}
QUIET = ("quiet_from_minute", "quiet_until_minute")
FIELDS = ("channel", *QUIET, *templates.SETTING_LIMITS)
CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _clock(minute: int | None) -> str:
    return "" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def _values(current: templates.MessageSettings) -> dict[str, str]:
    """The form's fields as the settings stand: quiet hours as ``22:00``."""
    return {
        "channel": current.channel,
        "points_earned": "1" if current.points_earned else "",
        **{name: _clock(getattr(current, name)) for name in QUIET},
        **{name: str(getattr(current, name)) for name in templates.SETTING_LIMITS},
    }


def _minute(text: str, field: str) -> int | None:
    if not text:
        return None
    found = CLOCK.fullmatch(text)
    if found is None:
        raise InvalidInput("enter a time like 22:00", field=field)
    return int(found[1]) * 60 + int(found[2])


def loaded_channels(runtime: Runtime, reader: Reader) -> list[tuple[str, str]]:
    """The channels this server can send through, each with its label: the built-in ones,
    then the plug-ins it loaded (what a test send offers too)."""
    offered = [(key, reader.gettext(label)) for key, label in CHANNEL_LABELS.items()]
    offered += [(name, reader.gettext("Plug-in: %(name)s", name=name))
                for name in runtime.plugins]
    return offered


def _channels(runtime: Runtime, reader: Reader, current: str) -> list[tuple[str, str]]:
    """The channels offered: :func:`loaded_channels`, and the saved one when its plug-in is
    no longer loaded (kept until another is chosen)."""
    offered = loaded_channels(runtime, reader)
    if current not in runtime.channel_names():
        offered.append((current, reader.gettext("Plug-in: %(name)s (not loaded)", name=current)))
    return offered


def _changes(values: dict[str, str], reader: Reader, offered: Collection[str]
             ) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings the form asks for, and every problem by field (the service checks the
    quiet hours' two ends together)."""
    changes: dict[str, Any] = {"points_earned": bool(values["points_earned"])}
    errors: dict[str, str] = {}
    if values["channel"] in offered:
        changes["channel"] = values["channel"]
    else:
        errors["channel"] = reader.gettext("choose one of the channels offered")
    for name in QUIET:
        try:
            changes[name] = _minute(values[name], name)
        except InvalidInput as exc:
            errors.update(errors_of(exc, reader))
    for name, (low, high) in templates.SETTING_LIMITS.items():
        try:
            changes[name] = parse_int(values[name], field=name, minimum=low, maximum=high)
        except InvalidInput as exc:
            errors.update(errors_of(exc, reader))
    return changes, errors


def _page(
    request: Request,
    runtime: Runtime,
    reader: Reader,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    current = templates.get_settings(runtime, _tenant(reader))
    return render(
        request,
        "console/message_settings.html",
        reader,
        status_code=status_code,
        values=values or _values(current),
        errors=errors or {},
        saved=saved,
        timezone=current.timezone,
        channels=_channels(runtime, reader, current.channel),
        limits=templates.SETTING_LIMITS,
    )


@router.get("/messages/settings", dependencies=EDIT)
def settings_page(
    request: Request, runtime: RuntimeDep, reader: StaffReader, saved: str = ""
) -> Response:
    return _page(request, runtime, reader, saved=saved == "1")


@router.post("/messages/settings", dependencies=EDIT)
def save_settings(
    request: Request, runtime: RuntimeDep, reader: StaffReader, form: Form
) -> Response:
    """Save every setting as typed; a bad value is shown beside its field, nothing saved."""
    values = {name: str(form.get(name) or "")[:20].strip() for name in FIELDS}
    values["points_earned"] = "1" if form.get("points_earned") else ""
    current = templates.get_settings(runtime, _tenant(reader))
    offered = [key for key, _label in _channels(runtime, reader, current.channel)]
    changes, errors = _changes(values, reader, offered)
    if not errors:
        try:
            templates.update_settings(runtime, _tenant(reader), changes,
                                      actor=staff_actor(reader))
        except InvalidInput as exc:
            errors = errors_of(exc, reader)
    if errors:
        return _page(request, runtime, reader, values=values, errors=errors, status_code=422)
    return RedirectResponse("/console/messages/settings?saved=1", status_code=303)
