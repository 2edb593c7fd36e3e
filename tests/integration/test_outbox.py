"""The outbox: one-time codes and other messages are queued in their cause's transaction,
sent at once or by the ``messages`` job, retried with backoff, logged; e-mail goes through a
real SMTP server (aiosmtpd) started here. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from regulars.db.messaging.tables import otp_codes, outbox_messages
from regulars.errors import TooManyAttempts
from regulars.services.members import customer_page
from regulars.services.messaging import outbox
from regulars.services.messaging.messaging import DeliveryFailed, MemorySender, TextMessage
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, phone


@dataclass
class FlakySender:
    """An SMS provider that is down until ``up`` is set, then keeps what it was given."""

    up: bool = False
    sent: list[TextMessage] = field(default_factory=list)
    tried: int = 0

    def send(self, message: TextMessage) -> None:
        self.tried += 1
        if not self.up:
            raise DeliveryFailed("the SMS provider answered 503 (upstream gateway x.internal)")
        self.sent.append(message)


def messages(rt: Runtime) -> list[dict[str, Any]]:
    """The outbox's messages other than those from the member messages' events (a welcome)."""
    with rt.db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(outbox_messages).where(outbox_messages.c.event.is_(None))
            .order_by(outbox_messages.c.id))]


def register_welcomed(rt: Runtime, shop: Shop) -> None:
    """Register member 1 and send its welcome, so that only what a test does is left."""
    rt.sender = MemorySender()
    Pos(rt, shop).register(1)
    assert outbox.send_due(rt).sent == 1


def test_a_sign_in_code_is_queued_once_and_sent_at_once(rt: Runtime, shop: Shop) -> None:
    register_welcomed(rt, shop)
    rt.sender = sender = MemorySender()
    customer_page.request_code(rt, shop.tenant_id, phone(1))
    [sent] = sender.sent
    assert sent.phone == phone(1) and re.search(r"\b\d{6}\b", sent.text)
    [row] = messages(rt)
    assert (row["status"], row["attempts"], row["channel"]) == ("sent", 1, "sms")
    assert row["body"] == ""  # the code's text is not kept once sent
    assert outbox.send_due(rt).sent == 0  # nothing left for the job


def test_a_failing_provider_answers_members_as_it_answers_other_numbers(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    register_welcomed(rt, shop)
    rt.sender = sender = FlakySender()
    # Same answer for a member and a stranger; no internal error reaches either.
    assert customer_page.request_code(rt, shop.tenant_id, phone(1)) == phone(1)
    assert customer_page.request_code(rt, shop.tenant_id, phone(2)) == phone(2)
    [row] = messages(rt)  # a stranger gets no message, only a decoy code
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert "503" in row["last_error"]
    assert outbox.send_due(rt).sent == 0  # not due before its backoff
    clock.advance(seconds=31)
    sender.up = True
    report = outbox.send_due(rt)
    assert (report.sent, report.retrying) == (1, 0)
    assert [m.phone for m in sender.sent] == [phone(1)]
    assert [(m["status"], m["attempts"]) for m in messages(rt)] == [("sent", 2)]
    # The code, then the welcome before it.
    assert [line.status for line in outbox.delivery_log(rt, shop.tenant_id)] == ["sent"] * 2


def test_a_message_is_given_up_after_a_day_of_retries(rt: Runtime, shop: Shop,
                                                      clock: FakeClock) -> None:
    register_welcomed(rt, shop)
    rt.sender = sender = FlakySender()
    customer_page.request_code(rt, shop.tenant_id, phone(1))
    for _ in range(40):
        clock.advance(hours=1)
        outbox.send_due(rt)
    [row] = messages(rt)
    assert row["status"] == "failed"
    assert 5 < sender.tried < 40  # backoff: far fewer tries than hours


def test_one_message_per_cause_even_when_queued_twice(rt: Runtime, shop: Shop,
                                                      clock: FakeClock) -> None:
    for _ in range(2):
        with rt.db.write() as conn:
            outbox.queue(conn, shop.tenant_id, key="welcome:7", channel="sms",
                         recipient=phone(7), body="Welcome!", now=clock())
    assert len(messages(rt)) == 1


def test_a_burst_of_numbers_from_one_client_is_refused(rt: Runtime, shop: Shop) -> None:
    rt.sender = MemorySender()
    refused = 0
    for n in range(40):
        try:
            customer_page.request_code(rt, shop.tenant_id, phone(100 + n), client="203.0.113.9")
        except TooManyAttempts:
            refused += 1
    assert refused == 40 - rt.settings.otp_per_client_per_hour
    # Another client is not held back by the first one's burst.
    customer_page.request_code(rt, shop.tenant_id, phone(200), client="198.51.100.1")
    with rt.db.read() as conn:
        keys = set(conn.execute(select(otp_codes.c.client_key)).scalars())
    assert "203.0.113.9" not in keys  # only a digest of the address is kept


def test_the_tenant_cap_refuses_a_burst_from_many_clients(rt: Runtime, shop: Shop) -> None:
    rt.settings = rt.settings.model_copy(update={"otp_per_tenant_per_minute": 25})
    rt.sender = MemorySender()
    answers = []
    for n in range(40):
        try:
            customer_page.request_code(rt, shop.tenant_id, phone(100 + n), client=f"10.0.0.{n}")
            answers.append("sent")
        except TooManyAttempts as exc:
            answers.append(f"429 after {exc.retry_after_seconds}s")
    assert answers == ["sent"] * 25 + ["429 after 60s"] * 15


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[Any] = []
        self.received = threading.Event()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append(message_from_bytes(envelope.content))
        self.received.set()
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port (the controller's start-up check needs one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_e_mail_goes_through_a_real_smtp_server(rt: Runtime, shop: Shop, clock: FakeClock,
                                                smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    rt.settings = rt.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                                 "smtp_from": "shop@example.com"})
    with rt.db.write() as conn:
        outbox.queue(conn, shop.tenant_id, key="hello:1", channel="email",
                     recipient="anna@example.com", subject="Welcome", body="Hello, Anna!",
                     now=clock())
    assert outbox.send_due(rt).sent == 1
    assert inbox.received.wait(10)
    [mail] = inbox.mails
    assert (mail["To"], mail["From"], mail["Subject"]) == ("anna@example.com",
                                                           "shop@example.com", "Welcome")
    assert mail.get_payload().strip() == "Hello, Anna!"


def test_e_mail_without_a_server_is_retried_not_lost(rt: Runtime, shop: Shop,
                                                     clock: FakeClock) -> None:
    with rt.db.write() as conn:
        outbox.queue(conn, shop.tenant_id, key="hello:2", channel="email",
                     recipient="anna@example.com", body="Hello", now=clock())
    assert outbox.send_due(rt).retrying == 1
    [row] = messages(rt)
    assert row["status"] == "queued" and "not configured" in row["last_error"]


def test_a_batch_of_e_mails_goes_out_whole(rt: Runtime, shop: Shop, clock: FakeClock,
                                                 smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    rt.settings = rt.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                                 "smtp_from": "shop@example.com"})
    with rt.db.write() as conn:
        for n in range(9):
            outbox.queue(conn, shop.tenant_id, key=f"news:{n}", channel="email",
                         recipient=f"member{n}@example.com", subject="News", body=f"n{n}",
                         now=clock())
    assert outbox.send_due(rt).sent == 9
    assert sorted(m["To"] for m in inbox.mails) == sorted(
        f"member{n}@example.com" for n in range(9))
    assert {m.get_payload().strip() for m in inbox.mails} == {f"n{n}" for n in range(9)}


@dataclass
class TillWhileSending:
    """A provider that, while it holds a message, has a till register a member: a commit
    that has to wait for the provider (a send inside a transaction) shows as a stall."""

    pos: Pos
    stalled: list[str] = field(default_factory=list)
    sent: list[TextMessage] = field(default_factory=list)

    def send(self, message: TextMessage) -> None:
        n = 10 + len(self.sent)
        till = threading.Thread(target=self.pos.register, args=(n,))
        till.start()
        till.join(timeout=3)
        if till.is_alive():
            self.stalled.append(message.text)
        till.join()
        self.sent.append(message)


def test_a_till_commits_while_the_provider_holds_a_message(rt: Runtime, shop: Shop) -> None:
    rt.sender = provider = TillWhileSending(Pos(rt, shop))
    provider.pos.register(1)
    assert outbox.send_due(rt).sent == 1  # the welcome, by the messages job
    customer_page.request_code(rt, shop.tenant_id, phone(1))  # a sign-in code, at once
    assert len(provider.sent) == 2 and provider.stalled == []
