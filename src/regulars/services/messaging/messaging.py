"""Text messages to members' phones, through a pluggable sender.

``log`` (the default) writes each message to the server's log, which is what a demo or a
development machine needs; ``http`` posts it as JSON to an SMS provider's endpoint, set with
``REGULARS_SMS_HTTP_URL`` (and ``REGULARS_SMS_HTTP_TOKEN``, sent as a bearer token). Tests pass
a sender of their own that keeps what it was given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from regulars.config import Settings
from regulars.errors import RegularsError

log = logging.getLogger("regulars.sms")


class DeliveryFailed(RegularsError):
    code = "delivery_failed"
    status = 502


@dataclass(frozen=True, kw_only=True)
class TextMessage:
    tenant_id: int
    phone: str
    text: str


class Sender(Protocol):
    def send(self, message: TextMessage) -> None:
        """Deliver ``message`` or raise :class:`DeliveryFailed`."""


@dataclass
class LogSender:
    """Writes messages to the ``regulars.sms`` log (and to standard error when the log has
    no handler, so that a person running the demo sees the codes)."""

    def send(self, message: TextMessage) -> None:
        line = f"SMS to {message.phone} (tenant {message.tenant_id}): {message.text}"
        if log.hasHandlers() and log.getEffectiveLevel() <= logging.INFO:
            log.info(line)
        else:
            print(line, flush=True)


@dataclass
class HttpSender:
    """POSTs ``{"to", "text", "tenant_id"}`` to ``url``; any non-2xx answer is a failure."""

    url: str
    token: str | None = None
    timeout_seconds: float = 5.0

    def send(self, message: TextMessage) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.post(self.url, json={"to": message.phone, "text": message.text,
                                                  "tenant_id": message.tenant_id},
                                  headers=headers, timeout=self.timeout_seconds)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"the SMS provider could not be reached: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"the SMS provider answered {response.status_code}")


@dataclass
class MemorySender:
    """Keeps messages in a list (tests, and a demo's inbox)."""

    sent: list[TextMessage] = field(default_factory=list)

    def send(self, message: TextMessage) -> None:
        self.sent.append(message)


def sender_from(settings: Settings) -> Sender:
    if settings.sms_sender == "http":
        if not settings.sms_http_url:
            raise ValueError("REGULARS_SMS_HTTP_URL is required with REGULARS_SMS_SENDER=http")
        return HttpSender(url=settings.sms_http_url, token=settings.sms_http_token)
    return LogSender()
