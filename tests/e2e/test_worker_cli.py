"""``regulars worker`` and the ``log`` sender: a server or worker refuses to start with the
sender that writes codes and phone numbers to the log unless told it may."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from regulars.cli.main import main


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
