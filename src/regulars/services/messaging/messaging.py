"""Messages to members, through a sender per channel (``sms``, ``email``, ``webhook``, and
any a plug-in registers with :func:`register_channel`, see :mod:`.plugins`).

Text messages go through a pluggable sender:

``log`` (the default) writes each message to the server's log, which is what a demo or a
development machine needs; ``http`` posts it as JSON to an SMS provider's endpoint, set with
``REGULARS_SMS_HTTP_URL`` (and ``REGULARS_SMS_HTTP_TOKEN``, sent as a bearer token). Tests pass
a sender of their own that keeps what it was given.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

import httpx

from regulars.config import Settings
from regulars.db.engine import Database
from regulars.db.messaging import events as event_store
from regulars.domain.messaging.addresses import masked_phone
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
    template: str = ""
    """The message's template (its event: ``otp``, ``welcome``…), for a log line that names
    what was sent without its text."""


class Sender(Protocol):
    def send(self, message: TextMessage) -> None:
        """Deliver ``message`` or raise :class:`DeliveryFailed`."""


@dataclass
class LogSender:
    """Writes one line per message to the ``regulars.sms`` log (to standard output when the
    log has no handler): the channel, the number as its last four digits, the template and
    the text's length. The text itself (one-time codes, first names) is personal data and
    stays out of logs; only ``show_text``, which ``regulars demo`` sets for its made-up
    people, prints it on the demo's terminal, never through the log."""

    show_text: bool = False

    def send(self, message: TextMessage) -> None:
        line = (f"sms to {masked_phone(message.phone)} (tenant {message.tenant_id}): "
                f"template {message.template or '-'}, {len(message.text)} characters")
        if log.hasHandlers() and log.getEffectiveLevel() <= logging.INFO:
            log.info(line)
        else:
            print(line, flush=True)
        if self.show_text:
            print(f"  demo text: {message.text}", flush=True)


@dataclass
class HttpSender:
    """POSTs ``{"to", "text", "tenant_id"}`` to ``url``; any non-2xx answer is a failure."""

    url: str
    token: str | None = None
    timeout_seconds: float = 5.0
    concurrency: int = 8
    """Messages of a batch in flight at once (over kept-alive connections)."""
    _client: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # One client for the sender's life: its connections are kept alive between messages,
        # and it is safe to share between the threads of a batch.
        limits = httpx.Limits(max_connections=self.concurrency,
                              max_keepalive_connections=self.concurrency)
        self._client = httpx.Client(timeout=self.timeout_seconds, limits=limits)

    def send(self, message: TextMessage) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._client.post(
                self.url, json={"to": message.phone, "text": message.text,
                                "tenant_id": message.tenant_id}, headers=headers)
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
    return LogSender(show_text=settings.sms_log_text)


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """A message from the outbox, on its way out through its channel's sender."""

    tenant_id: int
    channel: str
    recipient: str
    subject: str | None
    body: str
    key: str = ""
    event: str | None = None
    queued_at: datetime | None = None
    unsubscribe_url: str | None = None
    """The member's unsubscribe link (an e-mail carries it as ``List-Unsubscribe``, with
    one-click ``List-Unsubscribe-Post``, RFC 8058)."""

    @property
    def template(self) -> str:
        """What kind of message this is, for a log line: its event, else its key's kind
        (``otp`` of ``otp:42``); never its text or recipient."""
        return self.event or self.key.split(":", 1)[0]


class ChannelSender(Protocol):
    def deliver(self, message: OutgoingMessage) -> None:
        """Deliver ``message`` or raise :class:`DeliveryFailed`."""


@dataclass
class SmsChannel:
    """The ``sms`` channel: the text message sender (log, HTTP or a test's)."""

    sender: Sender

    @property
    def concurrency(self) -> int:
        return int(getattr(self.sender, "concurrency", 1))

    def deliver(self, message: OutgoingMessage) -> None:
        self.sender.send(TextMessage(tenant_id=message.tenant_id, phone=message.recipient,
                                     text=message.body, template=message.template))


@dataclass
class SmtpChannel:
    """The ``email`` channel: plain-text mail through an SMTP server."""

    host: str
    port: int
    sender_address: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0
    sessions: int = 4
    """SMTP sessions a batch is shared among (each sends its part one mail after another)."""

    def _mail(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender_address
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or ""
        if message.unsubscribe_url:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(message.body)
        return mail

    def _open(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds)
        try:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def deliver(self, message: OutgoingMessage) -> None:
        [error] = self._session([message])
        if error is not None:
            raise DeliveryFailed(error)

    def deliver_many(self, messages: Sequence[OutgoingMessage]) -> list[str | None]:
        """Send a batch over up to :attr:`sessions` SMTP sessions at once; per message, None
        when the server took it or why not."""
        parts = max(1, min(self.sessions, len(messages)))
        slices = [list(messages[i::parts]) for i in range(parts)]
        with ThreadPoolExecutor(max_workers=parts) as pool:
            answers = list(pool.map(self._session, slices))
        found: list[str | None] = [None] * len(messages)
        for i, answer in enumerate(answers):
            found[i::parts] = answer
        return found

    def _session(self, messages: Sequence[OutgoingMessage]) -> list[str | None]:
        """One SMTP session for ``messages`` (opened again after a dropped connection)."""
        found: list[str | None] = []
        smtp: smtplib.SMTP | None = None
        for message in messages:
            try:
                smtp = smtp or self._open()
                smtp.send_message(self._mail(message))
                found.append(None)
            except (OSError, smtplib.SMTPException) as exc:
                found.append(f"the SMTP server refused or could not be reached: "
                             f"{type(exc).__name__}")
                if not isinstance(exc, smtplib.SMTPRecipientsRefused) and smtp is not None:
                    smtp.close()
                    smtp = None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        return found


@dataclass
class WebhookChannel:
    """The ``webhook`` channel: the message becomes a ``message.requested`` event, which the
    webhooks job delivers to the tenant's endpoints (signed, retried for up to three days),
    so the business's own system sends it. ``recipient`` is ``member:<id>``."""

    db: Database

    def deliver(self, message: OutgoingMessage) -> None:
        [error] = self.deliver_many([message])
        if error is not None:
            raise DeliveryFailed(error)

    def deliver_many(self, messages: Sequence[OutgoingMessage]) -> list[str | None]:
        """Record a batch's events in one transaction."""
        found: list[str | None] = []
        with self.db.write() as conn:
            for message in messages:
                if message.queued_at is None:
                    found.append("a webhook message needs the time it was queued")
                    continue
                member = message.recipient.removeprefix("member:")
                event_store.record(conn, message.tenant_id, [{
                    "key": f"message:{message.key}"[:200], "type": "message.requested",
                    "data": {"member_id": int(member) if member.isdigit() else None,
                             "event": message.event, "subject": message.subject,
                             "body": message.body}}], message.queued_at)
                found.append(None)
        return found


def attempt(sender: ChannelSender, message: OutgoingMessage) -> str | None:
    """Deliver one message; None when it went, else why not (never raises: a sender's own
    bug must not lose the message)."""
    try:
        sender.deliver(message)
    except RegularsError as exc:
        return exc.detail
    except Exception as exc:
        log.exception("a message through the %s sender failed", message.channel)
        return type(exc).__name__
    return None


def deliver_each(sender: ChannelSender, messages: Sequence[OutgoingMessage]
                 ) -> list[str | None]:
    """Deliver a batch through one channel: with the sender's own ``deliver_many`` when it
    has one (an SMTP session, one transaction), else ``concurrency`` at once (a sender that
    declares it, e.g. over HTTP keep-alive) or one after another. Per message, None when it
    went, else why not."""
    many = getattr(sender, "deliver_many", None)
    if many is not None:
        try:
            return list(many(messages))
        except Exception as exc:  # the whole batch is tried again later
            log.exception("a batch through the %s sender failed", messages[0].channel)
            why = exc.detail if isinstance(exc, RegularsError) else type(exc).__name__
            return [why] * len(messages)
    workers = min(int(getattr(sender, "concurrency", 1)), len(messages))
    if workers <= 1:
        return [attempt(sender, m) for m in messages]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda m: attempt(sender, m), messages))


ChannelFactory = Callable[[Settings, Database], ChannelSender]
BUILT_IN_CHANNELS = ("sms", "email", "webhook")
"""The channels Regulars has itself; a plug-in adds others (:data:`PLUGINS`)."""
PLUGINS: dict[str, ChannelFactory] = {}
"""Channels added by plug-ins, by name: a factory of the channel's sender."""


def register_channel(name: str, factory: ChannelFactory) -> None:
    """Add a channel (a plug-in's sender): messages queued to ``name`` go through the sender
    ``factory`` builds. The built-in channels cannot be replaced."""
    if name in BUILT_IN_CHANNELS or not name.isidentifier() or len(name) > 10:
        raise ValueError(f"a channel may not be named {name!r}")
    PLUGINS[name] = factory


def channels_from(settings: Settings, sms: Sender, db: Database | None = None
                  ) -> dict[str, ChannelSender]:
    """The built-in channels' senders the settings configure (``email`` only with an SMTP
    host, ``webhook`` with a database); the plug-ins' are built once, by the runtime."""
    found: dict[str, ChannelSender] = {"sms": SmsChannel(sms)}
    if settings.smtp_host:
        found["email"] = SmtpChannel(host=settings.smtp_host, port=settings.smtp_port,
                                     sender_address=settings.smtp_from,
                                     username=settings.smtp_username,
                                     password=settings.smtp_password,
                                     starttls=settings.smtp_starttls)
    if db is not None:
        found["webhook"] = WebhookChannel(db)
    return found
