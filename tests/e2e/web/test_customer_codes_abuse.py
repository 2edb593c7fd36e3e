"""One-time codes on the customer page as an attacker would try them: a burst of numbers
from one client is refused with 429, and a failing SMS provider answers a member exactly as it
answers any other number (no 502, no internal error)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from regulars.services.messaging.messaging import DeliveryFailed, TextMessage
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.customer_support import ask_code
from tests.integration.support import Pos, phone


class DownProvider:
    def send(self, message: TextMessage) -> None:  # noqa: ARG002 - it never delivers
        raise DeliveryFailed("the SMS provider could not be reached: sms-gw.internal:8443")


def test_a_burst_of_forty_numbers_is_refused_with_429(client: TestClient, rt: Runtime,
                                                      shop: Shop) -> None:
    rt.sender = DownProvider()
    statuses = [ask_code(client, shop.tenant_id, phone(500 + n)).status_code
                for n in range(40)]
    assert statuses.count(200) == rt.settings.otp_per_client_per_hour
    assert statuses.count(429) == 40 - rt.settings.otp_per_client_per_hour


def test_a_failing_provider_answers_members_and_strangers_alike(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    rt.sender = DownProvider()
    Pos(rt, shop).register(1)
    member = ask_code(client, shop.tenant_id, phone(1))
    stranger = ask_code(client, shop.tenant_id, phone(2))
    assert member.status_code == stranger.status_code == 200
    assert "internal" not in member.text and "provider" not in member.text

    def shown(html: str, number: str) -> str:
        html = re.sub(r'name="csrf" value="[^"]*"', "", html)
        return html.replace(number, "NUMBER")

    assert shown(member.text, phone(1)) == shown(stranger.text, phone(2))
