"""Text messages through the HTTP sender: what an SMS provider receives, and failures."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from regulars.config import Settings
from regulars.services.messaging.messaging import (
    DeliveryFailed,
    HttpSender,
    LogSender,
    MemorySender,
    OutgoingMessage,
    SmsChannel,
    TextMessage,
    sender_from,
)


class _Provider(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        length = int(self.headers["Content-Length"])
        type(self).received.append({"body": json.loads(self.rfile.read(length)),
                                    "auth": self.headers.get("Authorization")})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[tuple[str, type[_Provider]]]:
    handler = type("Provider", (_Provider,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/sms", handler
    finally:
        server.shutdown()
        server.server_close()


MESSAGE = TextMessage(tenant_id=7, phone="+447911123456", text="Bean & Leaf: your code is 123456.")


def test_the_provider_gets_the_number_the_text_and_the_token(
        provider: tuple[str, type[_Provider]]) -> None:
    url, handler = provider
    sender = sender_from(Settings(sms_sender="http", sms_http_url=url, sms_http_token="s3cret"))
    assert isinstance(sender, HttpSender)
    sender.send(MESSAGE)
    assert handler.received == [{"body": {"to": "+447911123456", "tenant_id": 7,
                                          "text": "Bean & Leaf: your code is 123456."},
                                 "auth": "Bearer s3cret"}]


def test_a_refusal_or_no_answer_is_a_delivery_failure(
        provider: tuple[str, type[_Provider]]) -> None:
    url, handler = provider
    handler.status = 503
    with pytest.raises(DeliveryFailed, match="503"):
        HttpSender(url=url).send(MESSAGE)
    with pytest.raises(DeliveryFailed, match="could not be reached"):
        HttpSender(url="http://127.0.0.1:9/nothing", timeout_seconds=1).send(MESSAGE)


def test_the_log_sender_is_the_default_and_http_needs_a_url(
        capsys: pytest.CaptureFixture[str]) -> None:
    sender = sender_from(Settings())
    assert isinstance(sender, LogSender)
    sender.send(MESSAGE)
    assert "\u2022\u2022\u20223456" in capsys.readouterr().out
    with pytest.raises(ValueError, match="REGULARS_SMS_HTTP_URL"):
        sender_from(Settings(sms_sender="http"))


def test_the_log_sender_names_the_template_and_length_never_the_text_or_the_number(
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    sent = replace(MESSAGE, template="otp")
    LogSender().send(sent)
    printed = capsys.readouterr()
    assert "\u2022\u2022\u20223456" in printed.out and "template otp" in printed.out
    assert f"{len(MESSAGE.text)} characters" in printed.out
    with caplog.at_level(logging.INFO, logger="regulars.sms"):
        LogSender().send(sent)
    logged = caplog.text + "".join(capsys.readouterr())
    assert "\u2022\u2022\u20223456" in caplog.text and "template otp" in caplog.text
    for shown in (printed.out + printed.err, logged):
        assert "7911123456" not in shown and "07911" not in shown
        assert "123456" not in shown and "Bean & Leaf" not in shown


def test_only_the_demo_s_setting_prints_the_text_and_never_through_the_log(
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="regulars.sms"):
        sender_from(Settings(sms_log_text=True)).send(MESSAGE)
    assert "123456" in capsys.readouterr().out and "123456" not in caplog.text


def test_a_one_time_code_is_named_by_its_kind_in_the_log_line() -> None:
    sender = MemorySender()
    SmsChannel(sender=sender).deliver(OutgoingMessage(
        tenant_id=7, channel="sms", recipient="+447911123456", subject=None,
        body="Bean & Leaf: your code is 123456.", key="otp:42"))
    assert sender.sent[0].template == "otp"
