"""Channel plug-ins: a real plug-in module (tests/plugins/push_channel.py), named by the
``channel_plugins`` setting or installed with an entry point, gets the messages queued to its
channel through the outbox and the ``messages`` job, failures retried; one that cannot be
loaded or started stops the runtime at once, naming it. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from regulars.errors import InvalidInput
from regulars.services.jobs import scheduler
from regulars.services.messaging import outbox
from regulars.services.messaging.messaging import PLUGINS
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
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
    yield
    PLUGINS.pop("push", None)  # the registry is the process's


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
