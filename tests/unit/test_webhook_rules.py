"""The pure rules of outbound delivery: Standard Webhooks signatures, the addresses a webhook
may go to, and the backoff schedule."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from regulars.domain.messaging import webhooks
from regulars.domain.messaging.delivery import MESSAGES, WEBHOOKS, Backoff

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
BODY = b'{"type":"receipt.committed"}'


def test_a_signature_is_the_hmac_of_id_timestamp_and_body_under_the_decoded_secret() -> None:
    expected = base64.b64encode(hmac.new(b"0123456789abcdef0123456789abcdef",
                                         b"msg_1.1700000000." + BODY, hashlib.sha256).digest())
    assert webhooks.sign(SECRET, msg_id="msg_1", timestamp=1700000000, body=BODY) == \
        "v1," + expected.decode()


def test_during_a_rotation_either_secret_verifies_the_header() -> None:
    other = webhooks.new_secret()
    header = webhooks.signature_header([other, SECRET], msg_id="m", timestamp=5, body=BODY)
    assert len(header.split()) == 2
    assert webhooks.verify(SECRET, msg_id="m", timestamp=5, body=BODY, header=header)
    assert webhooks.verify(other, msg_id="m", timestamp=5, body=BODY, header=header)
    assert not webhooks.verify(SECRET, msg_id="m", timestamp=6, body=BODY, header=header)
    assert not webhooks.verify(webhooks.new_secret(), msg_id="m", timestamp=5, body=BODY,
                               header=header)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1",
                                     "169.254.169.254", "::1", "fe80::1", "fc00::5",
                                     "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1", "100.64.0.1"])
def test_loopback_link_local_and_private_addresses_are_not_public(address: str) -> None:
    assert not webhooks.is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"])
def test_internet_addresses_are_public(address: str) -> None:
    assert webhooks.is_public(address)


T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_the_wait_doubles_up_to_its_cap() -> None:
    rule = Backoff(base=timedelta(seconds=10), cap=timedelta(seconds=50),
                   give_up_after=timedelta(days=1))
    waits = [rule.retry_at(attempts=n, first_at=T0, now=T0) for n in range(1, 6)]
    assert [(w - T0).total_seconds() for w in waits if w] == [10, 20, 40, 50, 50]


def test_webhooks_are_tried_for_three_days_and_then_given_up() -> None:
    at, attempts = T0, 0
    while True:
        attempts += 1
        found = WEBHOOKS.retry_at(attempts=attempts, first_at=T0, now=at)
        if found is None:
            break
        at = found
    assert timedelta(days=2) < at - T0 <= timedelta(days=3)
    assert attempts > 10


def test_messages_give_up_after_a_day() -> None:
    assert MESSAGES.retry_at(attempts=3, first_at=T0, now=T0 + timedelta(hours=23, minutes=59,
                                                                         seconds=50)) is None
    with pytest.raises(ValueError):
        MESSAGES.retry_at(attempts=0, first_at=T0, now=T0)
