"""``regulars worker`` and the ``log`` sender: a server or worker refuses to start with the
sender, which delivers no message, unless told it may; a server runs the
scheduled jobs itself unless ``REGULARS_SCHEDULER=false`` leaves them to workers."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from regulars.api.app import create_app
from regulars.cli.main import main
from regulars.services.jobs import scheduler
from regulars.services.runtime import open_runtime


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["regulars", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    out = capsys.readouterr()
    return code if isinstance(code, int) else 0, out.out, out.err


@pytest.mark.parametrize("command", [("serve", "--port", "8105"), ("worker", "--once")])
def test_the_log_sender_is_refused_unless_allowed(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        command: tuple[str, ...]) -> None:
    monkeypatch.setenv("REGULARS_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("REGULARS_SMS_SENDER", "log")
    monkeypatch.delenv("REGULARS_SMS_LOG_ALLOWED", raising=False)
    code, _, err = run(monkeypatch, capsys, *command)
    assert code == 2
    assert "REGULARS_SMS_LOG_ALLOWED" in err and "Traceback" not in err


def test_a_worker_runs_the_due_jobs_once(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    monkeypatch.setenv("REGULARS_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("REGULARS_SMS_LOG_ALLOWED", "true")
    code, out, _ = run(monkeypatch, capsys, "worker", "--once")
    assert code == 0
    for name in ("expiry", "rewards", "messages", "webhooks"):
        assert f"{name}: ok" in out
    assert run(monkeypatch, capsys, "worker", "--once")[:2] == (0, "")  # nothing due yet


@pytest.mark.parametrize("command", [("serve", "--port", "8112"), ("worker", "--once")])
def test_a_channel_plugin_that_cannot_be_loaded_stops_the_start_naming_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        command: tuple[str, ...]) -> None:
    monkeypatch.setenv("REGULARS_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("REGULARS_SMS_LOG_ALLOWED", "true")
    monkeypatch.setenv("REGULARS_CHANNEL_PLUGINS", "push=tests.plugins.missing:channel")
    code, out, err = run(monkeypatch, capsys, *command)
    assert code == 2 and "Traceback" not in err
    assert "channel_plugins: the channel plug-in 'push' (tests.plugins.missing:channel) could " \
           "not be loaded: ModuleNotFoundError" in " ".join(err.split())
    assert "Regulars" not in out  # neither the server nor the worker started


@pytest.mark.parametrize("enabled", [True, False])
def test_a_server_runs_the_jobs_unless_its_scheduler_is_turned_off(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, enabled: bool) -> None:
    monkeypatch.setenv("REGULARS_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("REGULARS_SMS_LOG_ALLOWED", "true")
    monkeypatch.setenv("REGULARS_SCHEDULER", "true" if enabled else "false")
    monkeypatch.setenv("REGULARS_SCHEDULER_POLL_SECONDS", "0.1")
    open_runtime(migrate=True).close()  # as ``serve`` does before it starts the server
    with TestClient(create_app()) as client:  # a server process's app: no runtime given
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while enabled and time.monotonic() < deadline and not all(
                s.runs for s in scheduler.states(runtime)):
            time.sleep(0.2)
        time.sleep(0 if enabled else 1)  # long enough for ten ticks had it been on
        ran = {s.name: s.last_outcome for s in scheduler.states(runtime) if s.runs}
    if enabled:
        assert {ran[name] for name in ("expiry", "messages", "webhooks")} == {"ok"}
    else:
        assert ran == {}
