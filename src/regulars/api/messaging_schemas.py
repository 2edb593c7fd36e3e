"""Requests and answers of the outbound side: events, webhooks, the message log, jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from regulars.api.pos_schemas import Out, examples
from regulars.api.schemas import Strict

Url = Annotated[str, Field(min_length=8, max_length=500)]
EventTypes = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]],
                       Field(min_length=1, max_length=20)]
Description = Annotated[str, Field(max_length=200)]

_EVENT = {"id": "evt_42", "type": "receipt.committed", "timestamp": "2026-03-02T10:00:00Z",
          "data": {"receipt_id": 7, "receipt_number": "R-1001", "store_id": 1,
                   "terminal_id": 1, "member_id": 12, "currency": "RUB",
                   "gross_minor": 25000, "discount_minor": 0, "paid_minor": 25000,
                   "points_earned": 12, "points_spent": 0,
                   "occurred_at": "2026-03-02T10:00:00Z"}}
_WEBHOOK = {"id": 3, "url": "https://crm.example.com/hooks/regulars",
            "description": "CRM", "event_types": ["member.created", "receipt.committed"],
            "active": True, "created_at": "2026-03-02T10:00:00Z",
            "previous_secret_until": None}


class EventOut(Out):
    """An event, with the body a webhook delivers."""

    model_config = examples(_EVENT)

    id: str
    type: str
    timestamp: str = Field(description="when it happened, ISO 8601 in UTC")
    data: dict[str, Any]


class EventPageOut(Out):
    """Events after the cursor, oldest first; ``next_cursor`` is the ``after`` of the next
    page (null when this page is the last so far)."""

    model_config = examples({"events": [_EVENT], "next_cursor": None})

    events: list[EventOut]
    next_cursor: str | None


class WebhookIn(Strict):
    url: Url
    event_types: EventTypes = Field(description='event types, or ["*"] for all of them')
    description: Description = ""


class WebhookPatch(Strict):
    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    active: bool | None = None


class WebhookOut(Out):
    """A webhook endpoint (its secret is shown only when made or rotated)."""

    model_config = examples(_WEBHOOK)

    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    created_at: datetime
    previous_secret_until: datetime | None


class WebhookSecretOut(Out):
    """The endpoint and its signing secret, shown this once: keep it to verify signatures."""

    model_config = examples({"endpoint": _WEBHOOK,
                             "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})

    endpoint: WebhookOut
    secret: str


class DeliveryOut(Out):
    model_config = examples({"id": 9, "event_id": "evt_42",
                             "event_type": "receipt.committed", "status": "pending",
                             "attempts": 2, "last_status_code": 503,
                             "last_error": "the endpoint answered 503",
                             "created_at": "2026-03-02T10:00:00Z", "delivered_at": None,
                             "next_attempt_at": "2026-03-02T10:02:00Z"})

    id: int
    event_id: str
    event_type: str = Field(description="the event's type, as GET /v1/events gives it")
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None


class MessageLogOut(Out):
    """A message's delivery: its channel and status, never its recipient or text."""

    model_config = examples({"id": 5, "channel": "sms", "status": "sent", "attempts": 1,
                             "last_error": None, "created_at": "2026-03-02T10:00:00Z",
                             "sent_at": "2026-03-02T10:00:01Z", "next_attempt_at": None})

    id: int
    channel: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None


class JobOut(Out):
    """A scheduled job: when it runs next, and how its last run went (``running`` while it
    runs, or when it stopped halfway: the next run resumes it)."""

    model_config = examples({"name": "expiry", "title": "Points expiry",
                             "every_seconds": 3600, "next_run_at": "2026-03-02T11:00:00Z",
                             "requested": False, "last_started_at": "2026-03-02T10:00:00Z",
                             "last_finished_at": "2026-03-02T10:00:02Z",
                             "last_outcome": "ok", "runs": 12})

    name: str
    title: str
    every_seconds: int
    next_run_at: datetime
    requested: bool
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_outcome: str | None
    runs: int


class QueuedOut(Out):
    model_config = examples({"queued": True})

    queued: bool = True
