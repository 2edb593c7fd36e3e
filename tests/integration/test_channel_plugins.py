"""Channel plug-ins: a real plug-in module (tests/plugins/push_channel.py), named by the
``channel_plugins`` setting or installed with an entry point (the installed ones scanned once
per process), gets the messages queued to its channel through the outbox and the ``messages``
job, failures retried; a business chooses it in its message settings (API and console), and
an unknown channel is refused naming the field; one that cannot be loaded or started stops
the runtime at once, naming it. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.api.app import create_app
from regulars.errors import InvalidInput
from regulars.services.audit import audit
from regulars.services.jobs import scheduler
from regulars.services.messaging import outbox, plugins, templates
from regulars.services.messaging.messaging import PLUGINS
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in
from tests.integration.support import Pos
from tests.plugins.push_channel import PushChannel

PUSH = "push=tests.plugins.push_channel:channel"


class PushService:
    """The push service the plug-in posts to: keeps each body, answers ``answers`` in turn
    (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[int] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                service.received.append(
                    json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                )
                self.send_response(service.answers.pop(0) if service.answers else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/push"


@pytest.fixture
def push(monkeypatch: pytest.MonkeyPatch) -> Iterator[PushService]:
    found = PushService()
    threading.Thread(target=found.server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PUSH_CHANNEL_URL", found.url)
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(autouse=True)
def _unregistered() -> Iterator[None]:
    plugins.installed.cache_clear()
    yield
    PLUGINS.pop("push", None)  # the registry is the process's
    plugins.installed.cache_clear()  # and so is what was found installed


def plugged(rt: Runtime, clock: FakeClock, plugins: str = PUSH) -> Runtime:
    """A runtime over the same database that loads ``plugins`` (as a server would start)."""
    return Runtime(
        db=rt.db, clock=clock, settings=rt.settings.model_copy(update={"channel_plugins": plugins})
    )


def queue_push(rt: Runtime, shop: Shop, key: str) -> None:
    with rt.db.write() as conn:
        outbox.queue(
            conn,
            shop.tenant_id,
            key=key,
            channel="push",
            recipient="device:42",
            subject="Points",
            body="You have 120 points.",
            now=rt.now(),
        )


def send_due(rt: Runtime) -> str:
    run = scheduler.run_one(rt, scheduler.BY_NAME["messages"], force=True)
    assert run is not None and run.outcome == "ok", run
    return run.detail


def test_a_plugin_named_in_the_settings_gets_queued_messages_from_the_messages_job(
    rt: Runtime, shop: Shop, clock: FakeClock, push: PushService
) -> None:
    with pytest.raises(InvalidInput, match="unknown channel 'push'"):
        queue_push(rt, shop, "before")  # nothing loaded it yet
    runtime = plugged(rt, clock)
    queue_push(runtime, shop, "points-1")
    queue_push(runtime, shop, "points-1")  # once per key
    assert send_due(runtime) == "sent 1, 0 to retry, 0 given up"
    assert push.received == [
        {
            "tenant_id": shop.tenant_id,
            "to": "device:42",
            "title": "Points",
            "text": "You have 120 points.",
            "key": "points-1",
        }
    ]
    [line] = outbox.delivery_log(runtime, shop.tenant_id)
    assert (line.channel, line.status, line.attempts) == ("push", "sent", 1)


def test_a_plugin_s_delivery_failure_is_retried_by_the_outbox(
    rt: Runtime, shop: Shop, clock: FakeClock, push: PushService
) -> None:
    runtime = plugged(rt, clock)
    queue_push(runtime, shop, "points-1")
    push.answers = [503]
    assert send_due(runtime) == "sent 0, 1 to retry, 0 given up"
    [line] = outbox.delivery_log(runtime, shop.tenant_id)
    assert (line.status, line.last_error) == ("queued", "the push service answered 503")
    clock.advance(minutes=5)
    assert send_due(runtime) == "sent 1, 0 to retry, 0 given up"
    assert len(push.received) == 2


def test_a_business_chooses_a_plugin_channel_and_its_members_messages_go_through_it(
    rt: Runtime, shop: Shop, clock: FakeClock, push: PushService
) -> None:
    runtime = plugged(rt, clock)
    with TestClient(create_app(runtime)) as client:
        for unknown in ("pager", "Push", "sms "):
            refused = client.patch("/v1/admin/message-settings", headers=shop.owner,
                                   json={"channel": unknown})
            assert refused.status_code == 422, unknown
            assert refused.json()["field"] == "channel"
        chosen = client.patch("/v1/admin/message-settings", headers=shop.owner,
                              json={"channel": "push"})
        assert chosen.status_code == 200 and chosen.json()["channel"] == "push"
        tested = client.post("/v1/admin/message-templates/welcome/en/test", headers=shop.owner,
                             json={"channel": "push", "recipient": "device:7"})
        assert tested.json()["status"] == "sent"
    member_id = Pos(runtime, shop).register(1)["id"]
    assert send_due(runtime) == "sent 1, 0 to retry, 0 given up"
    test, welcome = push.received
    assert (test["to"], test["key"][:5]) == ("device:7", "test:")
    assert (welcome["to"], welcome["key"]) == (f"member:{member_id}",
                                               f"member:{member_id}:welcome")
    assert welcome["text"].startswith("Добро пожаловать в Corner Café")  # the tenant is ru_RU
    # A server without the plug-in refuses it, as any unknown channel.
    templates.update_settings(rt, shop.tenant_id, {"channel": "sms"}, actor=audit.SYSTEM)
    with pytest.raises(InvalidInput, match="channel must be one of sms, email, webhook$"):
        templates.update_settings(rt, shop.tenant_id, {"channel": "push"}, actor=audit.SYSTEM)


def test_the_console_offers_the_loaded_plugin_channels(
    rt: Runtime, shop: Shop, clock: FakeClock, push: PushService  # noqa: ARG001 - started
) -> None:
    add_staff(rt, shop.tenant_id, role="marketer", email="marketer@example.com")
    page = "/console/messages/settings"
    form = {"quiet_from_minute": "", "quiet_until_minute": "", "cap_messages": "4",
            "cap_period_days": "7", "expiring_days": "7", "winback_days": "60"}
    with TestClient(create_app(rt)) as plain:
        sign_in(plain, "marketer@example.com")
        assert 'value="push"' not in plain.get(page).text
    with TestClient(create_app(plugged(rt, clock))) as client:
        sign_in(client, "marketer@example.com")
        shown = client.get(page).text
        assert '<option value="push">Plug-in: push</option>' in shown
        bad = client.post(page, data={**form, "channel": "pager", "csrf": csrf_of(shown)})
        assert bad.status_code == 422 and "choose one of the channels offered" in bad.text
        saved = client.post(page, data={**form, "channel": "push", "csrf": csrf_of(shown)},
                            follow_redirects=False)
        assert saved.status_code == 303
    assert templates.get_settings(rt, shop.tenant_id).channel == "push"
    PLUGINS.pop("push")  # a server without it still shows the choice, and keeps it
    with TestClient(create_app(Runtime(db=rt.db, clock=clock, settings=rt.settings))) as later:
        sign_in(later, "marketer@example.com")
        shown = later.get(page).text
        assert '<option value="push" selected>Plug-in: push (not loaded)</option>' in shown
        kept = later.post(page, data={**form, "channel": "push", "cap_messages": "3",
                                      "csrf": csrf_of(shown)}, follow_redirects=False)
        assert kept.status_code == 303
    assert templates.get_settings(rt, shop.tenant_id).cap_messages == 3


def test_the_console_test_send_offers_every_loaded_channel_and_refuses_another_beside_it(
    rt: Runtime, shop: Shop, clock: FakeClock, push: PushService
) -> None:
    add_staff(rt, shop.tenant_id, role="marketer", email="marketer@example.com")
    page = "/console/messages/welcome/en"
    with TestClient(create_app(plugged(rt, clock))) as client:
        sign_in(client, "marketer@example.com")
        shown = client.get(page).text
        form = shown.split('id="test-form"')[1].split("</form>")[0]
        for option in ('<option value="sms" selected>Text message (SMS)</option>',
                       '<option value="email">E-mail</option>',
                       '<option value="webhook">Webhook to your own system</option>',
                       '<option value="push">Plug-in: push</option>'):
            assert option in form
        refused = client.post(f"{page}/test", data={"channel": "pager", "recipient": "device:7",
                                                    "csrf": csrf_of(shown)})
        assert refused.status_code == 422
        assert 'id="e-channel"' in refused.text and 'id="e-recipient"' not in refused.text
        assert "channel must be one of sms, email, webhook, push" in refused.text
        assert 'value="device:7"' in refused.text
        sent = client.post(f"{page}/test", data={"channel": "push", "recipient": "device:7",
                                                 "csrf": csrf_of(shown)},
                           follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"].endswith("?sent=sent")
    [test] = push.received
    assert (test["to"], test["key"][:5]) == ("device:7", "test:")
    with TestClient(create_app(rt)) as plain:  # a server without the plug-in
        sign_in(plain, "marketer@example.com")
        shown = plain.get(page).text
        assert 'value="push"' not in shown
        refused = plain.post(f"{page}/test", data={"channel": "push", "recipient": "device:7",
                                                   "csrf": csrf_of(shown)})
        assert refused.status_code == 422 and 'id="e-channel"' in refused.text


def test_the_installed_plugins_are_looked_for_once_per_process(
    rt: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, push: PushService  # noqa: ARG001
) -> None:
    plugins.installed.cache_clear()  # ``rt`` looked already
    scans: list[str] = []
    real = plugins.entry_points

    def counted(*, group: str) -> Any:
        scans.append(group)
        return real(group=group)

    monkeypatch.setattr(plugins, "entry_points", counted)
    first, second = plugged(rt, clock, plugins=""), plugged(rt, clock)
    assert scans == ["regulars.channels"]
    assert "push" in second.channel_names() and first.plugins == {}


@pytest.mark.usefixtures("push")
def test_an_installed_plugin_is_found_by_its_entry_point(
    rt: Runtime, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "regulars_push-1.0.dist-info"
    installed.mkdir()
    (installed / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: regulars-push\nVersion: 1.0\n"
    )
    (installed / "entry_points.txt").write_text(
        "[regulars.channels]\npush = tests.plugins.push_channel:channel\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.installed.cache_clear()  # installed after this process looked
    runtime = plugged(rt, clock, plugins="")
    assert isinstance(runtime.channel("push"), PushChannel)


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        (
            "push=tests.plugins.missing:channel",
            "the channel plug-in 'push' (tests.plugins.missing:channel) could not be loaded: "
            "ModuleNotFoundError",
        ),
        ("push=tests.plugins.push_channel:NOT_A_FACTORY", "is not callable"),
        ("sms=tests.plugins.push_channel:channel", "a channel may not be named 'sms'"),
        ("push", "'push' is not name=module:callable"),
    ],
)
def test_a_plugin_that_cannot_be_loaded_stops_the_runtime_naming_it(
    rt: Runtime, clock: FakeClock, plugins: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)) as refused:
        plugged(rt, clock, plugins=plugins)
    assert refused.value.field == "channel_plugins"


def test_a_plugin_that_cannot_start_stops_the_runtime_naming_it(
    rt: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUSH_CHANNEL_URL", raising=False)
    with pytest.raises(
        InvalidInput,
        match="the channel plug-in 'push' could not be started: "
        "RuntimeError: PUSH_CHANNEL_URL is not set",
    ):
        plugged(rt, clock)
