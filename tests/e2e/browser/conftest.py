"""Browser tests: Playwright driving Debian's Chromium (``/usr/bin/chromium``, installed by
``.ci/run``; never a downloaded browser) against a live server in a thread.

Without Chromium the tests skip, unless ``REGULARS_REQUIRE_BROWSER=1`` (set in CI) makes
that a failure. Screenshots go to ``docs/screenshots/``, which the README shows.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from regulars.api.app import create_app
from regulars.config import Settings
from regulars.db.engine import Database
from regulars.services.messaging.messaging import MemorySender
from regulars.services.runtime import Runtime

CHROMIUM = os.environ.get("REGULARS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update",
         "--disable-default-apps", "--disable-sync", "--no-first-run",
         "--metrics-recording-only", "--mute-audio"]


def _chromium_or_skip() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("REGULARS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"Chromium is required but {CHROMIUM} is missing "
                    "(apt-get install chromium)")
    pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")


class LiveServer:
    def __init__(self, runtime: Runtime, sender: MemorySender) -> None:
        self.runtime = runtime
        self.sender = sender
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        self._build_routes()

    def _build_routes(self) -> None:
        """Ask for a path no route has, so that the server builds every route's handling
        before the test's first request: FastAPI builds them on the first request that
        reaches them, inside ``warnings.catch_warnings()``, which is not thread-safe, and a
        page's requests answered at once by the server's threads could then see pydantic's
        ignored warning turned into this suite's error."""
        import urllib.error
        import urllib.request

        try:
            urllib.request.urlopen(self.url + "/no-such-page", timeout=20)  # noqa: S310
        except urllib.error.HTTPError as answered:
            assert answered.code == 404, answered.code

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def last_code(self) -> str:
        """The six digits of the newest text message the server sent."""
        import re

        found = re.search(r"\b(\d{6})\b", self.sender.sent[-1].text)
        assert found, self.sender.sent[-1].text
        return found.group(1)


@pytest.fixture
def live_server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh migrated SQLite database served on a free port, with the system clock and a
    sender that keeps the text messages."""
    target = tmp_path / "live.db"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    sender = MemorySender()
    runtime = Runtime(db=Database.from_url(url, pool_size=10),
                      settings=Settings(database_url=url), sender=sender)
    server = LiveServer(runtime, sender)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        runtime.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 860},  # type: ignore[attr-defined]
                                  locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page: object, name: str) -> Path:
    """Save the page to ``docs/screenshots/<name>.png`` (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
