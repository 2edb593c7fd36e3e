"""Messages to members over HTTP: the tenant's wording refused with an unknown placeholder
(422 naming it), previewed with a sample member, test-sent through a real SMTP server
(aiosmtpd, started here); a member with an e-mail address welcomed by e-mail; an unsubscribe
link confirmed on the customer app (a GET only asks) or POSTed in one click (RFC 8058); the
webhook channel hands a message to the tenant's systems as a ``message.requested`` event."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from regulars.services.messaging import outbox
from regulars.services.runtime import Runtime
from tests.conftest import Shop

T = "/v1/admin/message-templates"


class Inbox:
    def __init__(self) -> None:
        self.mails: list[Any] = []
        self.received = threading.Event()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        self.received.set()
        return "250 OK"


@pytest.fixture
def inbox(rt: Runtime) -> Iterator[Inbox]:
    found = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(found, hostname="127.0.0.1", port=port)
    controller.start()
    rt.settings = rt.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                                 "smtp_from": "club@example.com",
                                                 "public_url": "https://club.example.com"})
    try:
        yield found
    finally:
        controller.stop()


def test_an_unknown_placeholder_is_refused_naming_it(client: TestClient, shop: Shop) -> None:
    refused = client.put(f"{T}/welcome/en", headers=shop.owner,
                         json={"subject": "Hi", "body": "Hi {frist_name}"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "body" and "{frist_name}" in refused.json()["detail"]
    assert client.put(f"{T}/welcome/xx", headers=shop.owner,
                      json={"body": "Hi"}).status_code == 404
    listed = client.get(T, headers=shop.owner).json()
    assert len(listed) == 10 * 4 and not any(t["custom"] for t in listed)


def test_preview_and_test_send_by_e_mail(client: TestClient, shop: Shop,
                                         inbox: Inbox) -> None:
    saved = client.put(f"{T}/points_earned/en", headers=shop.owner, json={
        "subject": "+{points} at {program}", "body": "{first_name}: {balance_points} in all"})
    assert saved.status_code == 200 and saved.json()["custom"] is True
    shown = client.post(f"{T}/points_earned/en/preview", headers=shop.owner, json={})
    assert shown.json() == {"subject": "+120 at Corner Café", "body": "Anna: 1250 in all"}
    sent = client.post(f"{T}/points_earned/en/test", headers=shop.owner,
                       json={"channel": "email", "recipient": "owner@example.com"})
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert inbox.received.wait(10)
    [mail] = inbox.mails
    assert (mail["To"], mail["Subject"]) == ("owner@example.com", "+120 at Corner Café")
    assert mail.get_content().strip() == "Anna: 1250 in all"


def test_the_links_of_a_preview_and_a_test_send_lead_to_the_public_address(
        client: TestClient, shop: Shop, inbox: Inbox) -> None:
    pages = f"https://club.example.com/c/{shop.tenant_id}"
    shown = client.post(f"{T}/birthday/en/preview", headers=shop.owner, json={}).json()
    assert shown["body"].endswith(f"Unsubscribe: {pages}/unsubscribe/…"), shown
    rated = client.post(f"{T}/points_earned/en/preview", headers=shop.owner, json={}).json()
    assert rated["body"].endswith(f"Rate your visit: {pages}/rate/…"), rated
    sent = client.post(f"{T}/birthday/en/test", headers=shop.owner,
                       json={"channel": "email", "recipient": "owner@example.com"})
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert inbox.received.wait(10)
    [mail] = inbox.mails
    assert f"{pages}/unsubscribe/" in mail.get_content()
    assert "https://example.com" not in mail.get_content()


def test_a_test_send_to_an_address_that_is_none_is_refused_naming_it(
        client: TestClient, shop: Shop) -> None:
    for channel, recipient in (("email", "not-an-address"), ("email", "a b@example.com"),
                               ("sms", "12345"), ("sms", "owner@example.com")):
        refused = client.post(f"{T}/welcome/en/test", headers=shop.owner,
                              json={"channel": channel, "recipient": recipient})
        assert refused.status_code == 422, (channel, recipient)
        assert refused.json()["field"] == "recipient"
    assert client.get("/v1/admin/messages", headers=shop.owner).json() == []
    sent = client.post(f"{T}/welcome/en/test", headers=shop.owner,
                       json={"channel": "sms", "recipient": "8 916 000-00-09"})
    assert sent.status_code == 200 and sent.json()["status"] == "sent"


def test_a_member_is_welcomed_by_e_mail_and_unsubscribes_in_one_click(
        client: TestClient, shop: Shop, rt: Runtime, inbox: Inbox) -> None:
    assert client.patch("/v1/admin/message-settings", headers=shop.owner,
                        json={"channel": "email"}).json()["channel"] == "email"
    client.put(f"{T}/welcome/ru", headers=shop.owner,
               json={"subject": "Привет", "body": "Привет, {first_name}! {unsubscribe_url}"})
    member = client.post("/v1/admin/members", headers=shop.owner, json={
        "phone": "+7 916 000-00-01", "email": "anna@example.com", "first_name": "Anna"})
    assert member.status_code == 201, member.text
    assert outbox.send_due(rt).sent == 1
    assert inbox.received.wait(10)
    [mail] = inbox.mails
    assert mail["To"] == "anna@example.com"
    link = mail.get_content().strip().rsplit(" ", 1)[1]
    assert link.startswith(f"https://club.example.com/c/{shop.tenant_id}/unsubscribe/")
    # A mail client may unsubscribe in one click (RFC 8058): the link is in the headers.
    assert mail["List-Unsubscribe"] == f"<{link}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.removeprefix("https://club.example.com")
    shown = f"/v1/admin/members/{member.json()['id']}"
    # Opening the link (a person, or a mail scanner) only asks.
    page = client.get(path)
    assert page.status_code == 200 and "Corner Café" in page.text
    assert f'method="post" action="{path}"' in page.text
    assert client.get(shown, headers=shop.owner).json()["consent"] == "full"
    done = client.post(path)  # the page's button: no session, the signed link suffices
    assert done.status_code == 200 and 'id="unsubscribed"' in done.text
    assert client.get(shown, headers=shop.owner).json()["consent"] == "earn_only"
    bad = f"/c/{shop.tenant_id}/unsubscribe/{shop.tenant_id}.1.00ab"
    assert client.get(bad).status_code == 404 and client.post(bad).status_code == 404


def test_an_e_mail_client_unsubscribes_in_one_click(client: TestClient, shop: Shop,
                                                    rt: Runtime, inbox: Inbox) -> None:
    client.patch("/v1/admin/message-settings", headers=shop.owner, json={"channel": "email"})
    member = client.post("/v1/admin/members", headers=shop.owner, json={
        "phone": "+7 916 000-00-03", "email": "vera@example.com", "first_name": "Vera"})
    assert outbox.send_due(rt).sent == 1 and inbox.received.wait(10)
    [mail] = inbox.mails
    link = mail["List-Unsubscribe"].strip("<>")
    token = link.rsplit("/", 1)[1]
    # The token names its tenant: under another tenant's address it is no link at all.
    assert client.post(f"/c/{shop.tenant_id + 1}/unsubscribe/{token}").status_code == 404
    # What RFC 8058 has the mail provider send: a POST, no cookies, this one field.
    done = client.post(link.removeprefix("https://club.example.com"),
                       data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    shown = client.get(f"/v1/admin/members/{member.json()['id']}", headers=shop.owner)
    assert shown.json()["consent"] == "earn_only"


def test_the_webhook_channel_hands_the_message_to_the_tenants_systems(
        client: TestClient, shop: Shop, rt: Runtime) -> None:
    client.patch("/v1/admin/message-settings", headers=shop.owner, json={"channel": "webhook"})
    member = client.post("/v1/admin/members", headers=shop.owner,
                         json={"phone": "+7 916 000-00-02", "first_name": "Boris"}).json()
    assert outbox.send_due(rt).sent == 1
    found = client.get("/v1/admin/events", headers=shop.owner,
                       params={"type": "message.requested"}).json()["events"]
    [event] = found
    assert event["data"]["member_id"] == member["id"]
    assert event["data"]["event"] == "welcome"
    assert event["data"]["body"].startswith("Добро пожаловать в Corner Café, Boris")


def test_wording_settings_and_campaign_changes_are_on_the_audit_trail(
        client: TestClient, shop: Shop) -> None:
    assert client.put(f"{T}/welcome/en", headers=shop.owner,
                      json={"subject": "Hi", "body": "Hi {first_name}"}).status_code == 200
    assert client.delete(f"{T}/welcome/en", headers=shop.owner).status_code == 200
    assert client.patch("/v1/admin/message-settings", headers=shop.owner,
                        json={"cap_messages": 2}).status_code == 200
    segment = client.post("/v1/admin/segments", headers=shop.owner, json={
        "name": "All", "rules": [{"kind": "consent", "values": ["full"]}]})
    assert segment.status_code == 201, segment.text
    made = client.post("/v1/admin/campaigns", headers=shop.owner, json={
        "name": "Spring", "segment_id": segment.json()["id"],
        "texts": {"en": {"subject": "Spring", "body": "{first_name}, spring!"}}})
    assert made.status_code == 201, made.text
    campaign_id = made.json()["id"]
    assert client.post(f"/v1/admin/campaigns/{campaign_id}/cancel",
                       headers=shop.owner).status_code == 200
    trail = client.get("/v1/admin/audit", headers=shop.owner).json()
    mine = [(e["action"], e["subject"]) for e in reversed(trail)
            if e["action"].startswith(("template", "settings.messages", "campaign"))]
    assert mine == [("template.save", "template welcome en"),
                    ("template.reset", "template welcome en"),
                    ("settings.messages", "message settings"),
                    ("campaign.create", f"campaign {campaign_id}"),
                    ("campaign.cancel", f"campaign {campaign_id}")]
    # the shop's store, till and key were added by the system before the test's changes
    assert all(e["actor"].startswith("key ") for e in trail
               if not e["action"].startswith(("store.", "till.")))
    settings = next(e for e in trail if e["action"] == "settings.messages")
    assert '"cap_messages":2' in settings["detail"] and '"was":{"cap_messages":4}' \
        in settings["detail"]
