"""Webhooks and the events API over HTTP: a real receiver (a server thread) verifies every
Standard Webhooks signature, sees each event at least once, gets it again until it answers
2xx, and loses nothing when the worker is killed mid-send."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.domain.messaging.webhooks import verify
from regulars.services.messaging import webhooks
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, line

BASKET = [{"sku": "coffee", "name": "Coffee", "quantity": 2, "unit_price_minor": 25000}]


class Receiver:
    """An HTTP endpoint that checks each delivery's signature against the secrets it was
    given and answers the statuses queued in ``answers`` (then 200); on ``address`` (any
    free port of 127.0.0.1 unless given), over TLS with ``tls``."""

    def __init__(self, address: tuple[str, int] = ("127.0.0.1", 0),
                 tls: ssl.SSLContext | None = None) -> None:
        self.secrets: list[str] = []
        self.received: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.hang: threading.Event | None = None
        self.got_one = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                msg_id = self.headers["webhook-id"]
                stamp = int(self.headers["webhook-timestamp"])
                header = self.headers["webhook-signature"]
                receiver.received.append({
                    "id": msg_id, "body": json.loads(body), "signatures": header.split(),
                    "host": self.headers["host"],
                    "verified_by": [s for s in receiver.secrets if verify(
                        s, msg_id=msg_id, timestamp=stamp, body=body, header=header)]})
                receiver.got_one.set()
                if receiver.hang is not None:
                    receiver.hang.wait(60)
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(address, Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def serve(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.hang is not None:
            self.hang.set()
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        return [r["id"] for r in self.received]


@pytest.fixture
def receiver(rt: Runtime) -> Iterator[Receiver]:
    rt.settings = rt.settings.model_copy(update={"webhook_private_addresses_allowed": True})
    found = Receiver()
    found.serve()
    yield found
    found.stop()


def subscribe(client: TestClient, shop: Shop, receiver: Receiver,
              types: list[str] | None = None, url: str | None = None) -> dict[str, Any]:
    made = client.post("/v1/admin/webhooks", headers=shop.owner,
                       json={"url": url or receiver.url, "event_types": types or ["*"]})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    assert body["secret"].startswith("whsec_")
    receiver.secrets.append(body["secret"])
    return body


def sell(client: TestClient, shop: Shop, receipt: str, phone: str = "+79161234567"
         ) -> dict[str, Any]:
    member = client.post("/v1/pos/members", headers=shop.till(), json={"phone": phone})
    assert member.status_code in (200, 201), member.text
    done = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": receipt},
                       json={"receipt_id": receipt, "member": {"phone": phone},
                             "lines": BASKET})
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


def all_events(client: TestClient, shop: Shop) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = client.get("/v1/admin/events", headers=shop.owner,
                          params={"limit": 2, **({"after": after} if after else {})})
        assert page.status_code == 200, page.text
        found += page.json()["events"]
        after = page.json()["next_cursor"]
        if after is None:
            return found


def test_every_event_reaches_the_receiver_signed_with_the_same_body_as_the_events_api(
        client: TestClient, shop: Shop, rt: Runtime, receiver: Receiver) -> None:
    endpoint = subscribe(client, shop, receiver)
    sold = sell(client, shop, "R-1")
    refund = client.post(f"/v1/pos/receipts/{sold['receipt']['id']}/refund",
                         headers={**shop.till(), "Idempotency-Key": "refund-R-1"}, json={})
    assert refund.status_code == 200, refund.text
    report = webhooks.run(rt)
    assert report.delivered == len(receiver.received) == 4
    assert all(r["verified_by"] == receiver.secrets for r in receiver.received)
    pulled = all_events(client, shop)
    assert [e["type"] for e in pulled] == ["member.created", "receipt.committed",
                                           "points.earned", "receipt.refunded"]
    assert [r["body"] for r in receiver.received] == pulled
    assert receiver.ids() == [e["id"] for e in pulled]
    assert pulled[1]["data"]["receipt_id"] == sold["receipt"]["id"]
    assert "+7916" not in json.dumps(pulled)  # no phone number in an event
    log = client.get(f"/v1/admin/webhooks/{endpoint['endpoint']['id']}/deliveries",
                     headers=shop.owner).json()
    assert [d["status"] for d in log] == ["delivered"] * 4
    assert [(d["event_type"], d["event_id"]) for d in reversed(log)] == [
        (e["type"], e["id"]) for e in pulled]
    assert webhooks.run(rt).delivered == 0  # delivered once


def test_a_retried_commit_queues_its_events_once(client: TestClient, shop: Shop) -> None:
    sell(client, shop, "R-1")
    sell(client, shop, "R-1")  # the till sends it again (same key): a replay
    types = [e["type"] for e in all_events(client, shop)]
    assert types.count("receipt.committed") == 1 and types.count("member.created") == 1


def test_a_delivery_is_retried_with_the_same_id_until_acknowledged(
        client: TestClient, shop: Shop, rt: Runtime, clock: FakeClock,
        receiver: Receiver) -> None:
    endpoint = subscribe(client, shop, receiver, ["receipt.committed"])
    sell(client, shop, "R-1")
    receiver.answers = [500, 503]
    assert webhooks.run(rt).retrying == 1
    assert webhooks.run(rt).delivered == 0  # not due before its backoff
    clock.advance(seconds=31)
    assert webhooks.run(rt).retrying == 1
    clock.advance(seconds=61)
    assert webhooks.run(rt).delivered == 1
    assert len(set(receiver.ids())) == 1 and len(receiver.ids()) == 3
    [delivery] = client.get(f"/v1/admin/webhooks/{endpoint['endpoint']['id']}/deliveries",
                            headers=shop.owner).json()
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)
    again = client.post(f"/v1/admin/webhooks/{endpoint['endpoint']['id']}/deliveries/"
                        f"{delivery['id']}/redeliver", headers=shop.owner)
    assert again.status_code == 202
    assert webhooks.run(rt).delivered == 1
    assert len(receiver.ids()) == 4 and len(set(receiver.ids())) == 1


def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(
        client: TestClient, shop: Shop, rt: Runtime, clock: FakeClock,
        receiver: Receiver) -> None:
    endpoint = subscribe(client, shop, receiver, ["receipt.committed"])
    old = receiver.secrets[0]
    rotated = client.post(f"/v1/admin/webhooks/{endpoint['endpoint']['id']}/rotate-secret",
                          headers=shop.owner)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old
    receiver.secrets.append(new)
    sell(client, shop, "R-1")
    webhooks.run(rt)
    assert receiver.received[-1]["verified_by"] == [old, new]
    clock.advance(hours=25)
    sell(client, shop, "R-2", phone="+79161234568")
    webhooks.run(rt)
    assert receiver.received[-1]["verified_by"] == [new]
    listed = client.get("/v1/admin/webhooks", headers=shop.owner).text
    assert old not in listed and new not in listed  # shown once, never again


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest",
                                 "http://10.0.0.5/x", "http://[::1]/x", "ftp://example.com/x",
                                 "http://localhost/x"])
def test_loopback_link_local_and_private_addresses_are_refused(
        client: TestClient, shop: Shop, url: str) -> None:
    made = client.post("/v1/admin/webhooks", headers=shop.owner,
                       json={"url": url, "event_types": ["receipt.committed"]})
    assert made.status_code == 422, made.text
    assert made.json()["field"] == "url"


def test_unknown_event_types_and_cursors_are_refused_by_name(client: TestClient,
                                                             shop: Shop) -> None:
    made = client.post("/v1/admin/webhooks", headers=shop.owner,
                       json={"url": "https://example.com/x", "event_types": ["nope"]})
    assert made.status_code == 422 and made.json()["field"] == "event_types"
    bad = client.get("/v1/admin/events", headers=shop.owner, params={"after": "x1"})
    assert bad.status_code == 422 and bad.json()["field"] == "after"


def test_killing_the_worker_mid_send_loses_nothing(
        client: TestClient, shop: Shop, rt: Runtime, clock: FakeClock, receiver: Receiver,
        database_url: str) -> None:
    """A ``regulars worker`` process is killed (SIGKILL) while the receiver holds its POST:
    the delivery is sent again, with the same webhook-id, once the claim lapses."""
    clock.now = datetime.now(UTC)  # the worker process reads the real clock
    subscribe(client, shop, receiver, ["receipt.committed"])
    sell(client, shop, "R-1")
    receiver.hang = threading.Event()
    env = {**os.environ, "REGULARS_DATABASE_URL": database_url,
           "REGULARS_SMS_LOG_ALLOWED": "true", "REGULARS_WEBHOOK_PRIVATE_ADDRESSES_ALLOWED": "1"}
    worker = subprocess.Popen([sys.executable, "-m", "regulars.cli.main", "worker", "--once"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert receiver.got_one.wait(120)
    finally:
        worker.kill()
        worker.wait(30)
    receiver.hang.set()
    receiver.hang = None
    assert webhooks.run(rt).delivered == 0  # claimed by the dead worker, not yet lapsed
    clock.advance(minutes=3)
    assert webhooks.run(rt).delivered == 1
    assert len(receiver.ids()) == 2 and len(set(receiver.ids())) == 1
    assert all(r["verified_by"] == receiver.secrets for r in receiver.received)


def test_a_profile_change_is_an_event_naming_the_fields_not_their_values(
        client: TestClient, shop: Shop) -> None:
    member = client.post("/v1/pos/members", headers=shop.till(), json={"phone": "+79161234567"})
    changed = client.patch(f"/v1/admin/members/{member.json()['id']}", headers=shop.owner,
                           json={"first_name": "Anna", "email": "anna@example.com"})
    assert changed.status_code == 200, changed.text
    last = all_events(client, shop)[-1]
    assert last["type"] == "member.changed"
    assert last["data"] == {"member_id": member.json()["id"], "fields": ["email", "first_name"]}
    assert "anna" not in json.dumps(last).lower()
    again = client.patch(f"/v1/admin/members/{member.json()['id']}", headers=shop.owner,
                         json={"first_name": "Anna", "last_name": "Berg", "consent": "full"})
    assert again.status_code == 200, again.text
    last = all_events(client, shop)[-1]  # what was already so is not named as changed
    assert last["data"] == {"member_id": member.json()["id"], "fields": ["last_name"]}
    unchanged = client.patch(f"/v1/admin/members/{member.json()['id']}", headers=shop.owner,
                             json={"first_name": "Anna", "last_name": "Berg"})
    assert unchanged.status_code == 200 and unchanged.json()["last_name"] == "Berg"
    assert all_events(client, shop)[-1]["id"] == last["id"]  # nothing changed: no event


def test_points_spent_and_a_void_are_events_too(client: TestClient, shop: Shop,
                                                rt: Runtime) -> None:
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    earned = pos.commit(member_id, (line("tea", 100_000),), receipt="r1")["points_earned"]
    spent = pos.commit(member_id, (line("tea", 10_000),), receipt="r2", spend=earned // 2)
    assert spent["points_spent"] == earned // 2
    pos.void(spent["receipt"]["id"], key="void-r2")
    found = [(e["type"], e["data"].get("points")) for e in all_events(client, shop)
             if e["data"].get("receipt_id") == spent["receipt"]["id"]]
    assert found == [("receipt.committed", None), ("points.earned", spent["points_earned"]),
                     ("points.spent", earned // 2), ("receipt.voided", None)]


def test_a_coupon_redeemed_at_commit_is_delivered_once_with_its_series(
        client: TestClient, shop: Shop, rt: Runtime, receiver: Receiver) -> None:
    subscribe(client, shop, receiver, types=["coupon.redeemed"])
    series = client.post("/v1/admin/coupon-series", headers=shop.owner, json={
        "name": "Welcome back", "max_uses": 1,
        "effect": {"kind": "percent_discount", "rate_bp": 1000}}).json()
    [code] = client.post(f"/v1/admin/coupon-series/{series['id']}/codes", headers=shop.owner,
                         json={"count": 1}).json()["codes"]
    phone = "+79161234567"
    member = client.post("/v1/pos/members", headers=shop.till(), json={"phone": phone}).json()
    body = {"receipt_id": "C-1", "member": {"phone": phone}, "lines": BASKET, "coupons": [code]}
    sold = [client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c1"},
                        json=body) for _ in range(2)]  # the till sends it again: a replay
    assert [s.status_code for s in sold] == [200, 200], sold[0].text
    assert sold[0].json()["coupons"][0]["discount_minor"] == 5000
    assert webhooks.run(rt).delivered == 1 and webhooks.run(rt).delivered == 0
    [got] = receiver.received
    assert got["verified_by"] == receiver.secrets and got["body"]["type"] == "coupon.redeemed"
    receipt_id = sold[0].json()["receipt"]["id"]
    assert got["body"]["data"] == {
        "receipt_id": receipt_id, "receipt_number": "C-1", "store_id": shop.store_id,
        "terminal_id": shop.terminal_ids[0], "member_id": member["id"],
        "series_id": series["id"], "name": "Welcome back"}
    assert [e["id"] for e in all_events(client, shop) if e["type"] == "coupon.redeemed"] == [
        got["id"]]
