"""A channel plug-in as a package outside Regulars would write one: the ``push`` channel
POSTs each message as JSON to the address in ``PUSH_CHANNEL_URL``, its own setting, and
raises :class:`DeliveryFailed` when the answer is not 2xx, so the outbox tries it again."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from regulars.config import Settings
from regulars.db.engine import Database
from regulars.services.messaging.messaging import DeliveryFailed, OutgoingMessage


@dataclass
class PushChannel:
    url: str

    def deliver(self, message: OutgoingMessage) -> None:
        try:
            answer = httpx.post(
                self.url,
                timeout=5,
                json={
                    "tenant_id": message.tenant_id,
                    "to": message.recipient,
                    "title": message.subject,
                    "text": message.body,
                    "key": message.key,
                },
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"the push service could not be reached: {exc}") from exc
        if not answer.is_success:
            raise DeliveryFailed(f"the push service answered {answer.status_code}")


def channel(settings: Settings, db: Database) -> PushChannel:  # noqa: ARG001 - the interface
    """The factory Regulars calls once per runtime; without its address it refuses to start."""
    url = os.environ.get("PUSH_CHANNEL_URL")
    if not url:
        raise RuntimeError("PUSH_CHANNEL_URL is not set")
    return PushChannel(url)


NOT_A_FACTORY = "a plug-in target that cannot be called"
