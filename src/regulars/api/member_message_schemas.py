"""Requests and answers of messages to members: templates, settings, campaigns, STOP replies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from regulars.api.pos_schemas import Out, examples
from regulars.api.schemas import Strict

Subject = Annotated[str, Field(max_length=200)]
Body = Annotated[str, Field(min_length=1, max_length=2000)]
Language = Literal["en", "ru", "uk", "bg"]
Channel = Annotated[str, Field(min_length=1, max_length=10,
                               description="sms, email, webhook or a channel plug-in's name "
                                           "(docs/channel-plugins.md); 422 for one this "
                                           "server has not loaded")]

_TEMPLATE = {"event": "welcome", "language": "en", "kind": "transactional",
             "subject": "Welcome to {program}", "body": "Welcome to {program}, {first_name}!",
             "custom": False, "placeholders": ["first_name", "program", "unsubscribe_url"],
             "updated_at": None}


class TemplateOut(Out):
    """A message's wording in one language: the tenant's own (``custom``) or the built-in."""

    model_config = examples(_TEMPLATE)

    event: str
    language: str
    kind: str = Field(description="transactional (any consent) or marketing (full consent, "
                                  "counted against the frequency cap)")
    subject: str
    body: str
    custom: bool
    placeholders: list[str]
    updated_at: datetime | None


class TemplateIn(Strict):
    subject: Subject = ""
    body: Body


class PreviewIn(Strict):
    """Text to preview before saving it; the saved wording when left out."""

    subject: Subject | None = None
    body: Body | None = None


class PreviewOut(Out):
    """The message a sample member would get."""

    model_config = examples({"subject": "Welcome to Corner Café",
                             "body": "Welcome to Corner Café, Anna!"})

    subject: str
    body: str


class TestSendIn(Strict):
    channel: Channel
    recipient: Annotated[str, Field(min_length=3, max_length=320,
                                    description="a phone number, an e-mail address, or "
                                                "member:<id> for the webhook channel or "
                                                "a plug-in's")]


class TestSendOut(Out):
    model_config = examples({"message_id": 12, "status": "sent"})

    message_id: int
    status: str = Field(description="sent, queued (to be tried again) or failed")


_SETTINGS = {"channel": "sms", "quiet_from_minute": 1320, "quiet_until_minute": 540,
             "cap_messages": 4, "cap_period_days": 7, "points_earned": False,
             "expiring_days": 7, "winback_days": 60, "timezone": "Europe/Moscow"}
Minute = Annotated[int, Field(ge=0, le=1439)]


class MessageSettingsOut(Out):
    """Where members' messages go and when: quiet hours are local minutes after midnight
    (22:00 to 09:00 is 1320 to 540) in the tenant's time zone; at most ``cap_messages``
    marketing messages per member in ``cap_period_days`` days."""

    model_config = examples(_SETTINGS)

    channel: str
    quiet_from_minute: int | None
    quiet_until_minute: int | None
    cap_messages: int
    cap_period_days: int
    points_earned: bool
    expiring_days: int
    winback_days: int
    timezone: str


class MessageSettingsPatch(Strict):
    channel: Channel | None = None
    quiet_from_minute: Minute | None = None
    quiet_until_minute: Minute | None = None
    cap_messages: Annotated[int, Field(ge=0, le=100)] | None = None
    cap_period_days: Annotated[int, Field(ge=1, le=365)] | None = None
    points_earned: bool | None = None
    expiring_days: Annotated[int, Field(ge=1, le=365)] | None = None
    winback_days: Annotated[int, Field(ge=1, le=3650)] | None = None


class InboundSmsIn(Strict):
    phone: Annotated[str, Field(min_length=3, max_length=32)]
    text: Annotated[str, Field(max_length=1600)]


class InboundSmsOut(Out):
    model_config = examples({"stopped": 1})

    stopped: int = Field(description="members unsubscribed from marketing by this reply")


class CampaignText(Strict):
    subject: Subject = ""
    body: Body


class CampaignIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    segment_id: Annotated[int, Field(ge=1, le=2**53)]
    texts: Annotated[dict[Language, CampaignText], Field(min_length=1, max_length=4)]
    control_percent: Annotated[int, Field(ge=0, le=50)] = 0
    starts_at: datetime | None = Field(default=None, description="the first run (now when "
                                                                 "left out or past)")
    repeat_days: Annotated[int, Field(ge=1, le=365)] | None = None


_CAMPAIGN = {"id": 4, "name": "Spring menu", "segment_id": 2,
             "texts": {"en": {"subject": "Spring menu",
                              "body": "{first_name}, try our spring menu! {unsubscribe_url}"}},
             "control_percent": 10, "repeat_days": None, "status": "done",
             "next_run_at": None, "runs": 1, "created_at": "2026-03-02T10:00:00Z",
             "recipients": {"queued": 880, "control": 98, "no_consent": 22},
             "messages": {"sent": 870, "failed": 10}}


class CampaignOut(Out):
    """A campaign; ``recipients`` counts its members by outcome over every run (the control
    group included), ``messages`` its messages by delivery status."""

    model_config = examples(_CAMPAIGN)

    id: int
    name: str
    segment_id: int
    texts: dict[str, dict[str, str]]
    control_percent: int
    repeat_days: int | None
    status: str
    next_run_at: datetime | None
    runs: int
    created_at: datetime
    recipients: dict[str, int]
    messages: dict[str, int]
