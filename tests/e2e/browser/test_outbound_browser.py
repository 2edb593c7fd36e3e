"""The console's Jobs and Webhooks pages in a real browser: an owner sees each job's last run,
outcome and next run, asks for a run now and sees its outcome change once the scheduler has
run it, and reads every job's title in Russian too, while a marketer gets no such button; an
owner subscribes a real receiver (a server thread that checks every signature), reads the
delivery log with each event's type, sends a delivery again and rotates the secret, the
receiver verifying each delivery."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from regulars.services.jobs import scheduler
from regulars.services.messaging import webhooks
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.test_webhooks_api import Receiver
from tests.e2e.web.support import add_staff
from tests.integration.support import Pos


def sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/console/login")
    page.fill("#f-email", email)
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/console/login"))


def owner_signed_in(live_server: LiveServer, page: Any) -> Shop:
    """A shop whose owner is signed in on ``page``."""
    shop = make_shop(live_server.runtime)
    add_staff(live_server.runtime, shop.tenant_id, role="owner", email="owner@example.com")
    sign_in(page, live_server.url, "owner@example.com")
    return shop


def reload_until(page: Any, selector: str, text: str, *, seconds: float = 20) -> None:
    """Reload until ``selector`` reads ``text`` (the page does not refresh itself)."""
    deadline = time.monotonic() + seconds
    while page.locator(selector).inner_text().strip() != text:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
        page.reload()
    expect(page.locator(selector)).to_have_text(text)


def _broken(_rt: Runtime) -> str:
    raise RuntimeError("the points store was away")


def test_an_owner_runs_a_job_now_and_sees_its_outcome_change_a_marketer_cannot(
    live_server: LiveServer, page: Any, browser: Any
) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = owner_signed_in(live_server, page)
    add_staff(rt, shop.tenant_id, role="marketer", email="mia@example.com")
    scheduler.run_due(rt)  # every job has run once; the expiry's last run then failed
    expiry = scheduler.BY_NAME["expiry"]
    assert scheduler.run_one(rt, dataclasses.replace(expiry, run=_broken), force=True)
    with_scheduler = scheduler.Scheduler(rt, poll_seconds=0.2)
    with_scheduler.start()
    try:
        page.goto(url + "/console/jobs")
        row = page.locator("#job-expiry")
        expect(row).to_contain_text("Points expiry")
        expect(row.locator(".job-outcome")).to_have_text("failed")
        expect(row).not_to_contain_text("never")  # a last run and a next run are shown
        expect(row).not_to_contain_text("as soon as possible")
        screenshot(page, "console-jobs")
        row.get_by_role("button", name="Run now").click()
        expect(page.locator(".notice.ok")).to_contain_text("scheduler's next tick")
        reload_until(page, "#job-expiry .job-outcome", "ok")
        expect(page.locator("#job-expiry")).not_to_contain_text("as soon as possible")
        page.locator("footer.langs").get_by_role("link", name="Русский").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("#job-expiry .job-outcome")).to_have_text("успешно")
        for name, title in (
            ("notices", "Напоминания о сгорании баллов и возврат клиентов"),
            ("campaigns", "Рассылки"),
        ):  # every job's title in Russian
            expect(page.locator(f"#job-{name}")).to_contain_text(title)
    finally:
        with_scheduler.stop()
    [state] = [s for s in scheduler.states(rt) if s.name == "expiry"]
    assert (state.last_outcome, state.requested) == ("ok", False)

    other = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    try:
        marketer = other.new_page()
        sign_in(marketer, url, "mia@example.com")
        answer = marketer.goto(url + "/console/jobs")
        assert answer is not None and answer.status == 403
        expect(marketer.get_by_role("button", name="Run now")).to_have_count(0)
    finally:
        other.close()


@pytest.fixture
def receiver(live_server: LiveServer) -> Iterator[Receiver]:
    """A webhook receiver on this machine (allowed for the test's server)."""
    rt = live_server.runtime
    rt.settings = rt.settings.model_copy(update={"webhook_private_addresses_allowed": True})
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_an_owner_subscribes_a_receiver_reads_the_log_sends_again_and_rotates_the_secret(
    live_server: LiveServer, page: Any, receiver: Receiver
) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = owner_signed_in(live_server, page)
    page.goto(url + "/console/webhooks")
    page.fill("#f-url", "ftp://nowhere")
    page.click("#webhook-form button[type=submit]")
    expect(page.locator("#e-url")).to_contain_text("https://")
    page.fill("#f-url", receiver.url)
    page.click("#webhook-form button[type=submit]")
    expect(page.locator("#secret-box")).to_contain_text("will not be shown again")
    first = page.locator("#secret-value").inner_text().strip()
    assert first.startswith("whsec_")
    receiver.secrets = [first]

    pos = Pos(rt, shop)
    pos.register(1)  # member.created
    assert webhooks.run(rt).delivered == 1
    assert [r["verified_by"] for r in receiver.received] == [[first]]
    page.goto(url + "/console/webhooks")
    expect(page.locator("#endpoints")).not_to_contain_text(first)
    page.get_by_role("link", name=receiver.url).click()
    delivery = page.locator("#deliveries tbody tr").first
    expect(delivery).to_contain_text("member.created")
    expect(delivery).to_contain_text("evt_")
    expect(delivery).to_contain_text("delivered")
    screenshot(page, "console-webhook")

    delivery.get_by_role("button", name="Send again").click()
    expect(page.locator(".notice.ok")).to_contain_text("sent again at the next run")
    assert webhooks.run(rt).delivered == 1
    assert len(receiver.ids()) == 2 and len(set(receiver.ids())) == 1  # the same webhook-id
    page.reload()
    expect(page.locator("#deliveries tbody tr").first).to_contain_text("delivered")

    page.get_by_role("button", name="Rotate the secret").click()
    expect(page.locator("#secret-box")).to_contain_text("also signs for 24 hours")
    second = page.locator("#secret-value").inner_text().strip()
    assert second.startswith("whsec_") and second != first
    receiver.secrets = [first, second]
    pos.register(2)
    assert webhooks.run(rt).delivered == 1
    assert receiver.received[-1]["verified_by"] == [first, second]  # both sign a while
    page.goto(page.url.split("?")[0].removesuffix("/rotate"))
    expect(page.locator("#deliveries tbody tr")).to_have_count(2)
    expect(page.locator("#secret-box")).to_have_count(0)
