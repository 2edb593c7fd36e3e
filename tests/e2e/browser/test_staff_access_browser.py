"""A business made with ``regulars tenant create`` gets an owner who can sign in: the printed
link opens a set-password page, which shows every wrong field at once and then opens the
console of that business only; the owner invites a marketer and changes their role."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from typer.testing import CliRunner

from regulars.cli.main import app
from tests.e2e.browser.conftest import LiveServer

LINK = re.compile(r"https?://\S+/console/invite/[A-Za-z0-9_-]{40,}")


def _create(url: str, database_url: str, name: str, *extra: str) -> str:
    """Run ``regulars tenant create`` and return the owner's link it printed."""
    result = CliRunner().invoke(app, ["tenant", "create", "--name", name, "--currency", "EUR",
                                      "--public-url", url, "--database-url", database_url,
                                      *extra])
    assert result.exit_code == 0, result.output
    links = LINK.findall(result.stdout)
    assert len(links) == 1, result.stdout
    return str(links[0])


def test_each_business_made_by_the_cli_gets_an_owner_who_signs_in_to_it_alone(
        live_server: LiveServer, page: Any, browser: Any) -> None:
    url, database_url = live_server.url, live_server.runtime.settings.database_url
    north = _create(url, database_url, "North Café", "--owner-name", "Nora")
    south = _create(url, database_url, "South Café", "--owner-email", "sam@example.com")

    page.goto(north)
    expect(page.locator("#invite-who")).to_contain_text("North Café")
    page.fill("#f-email", "nora@example")
    page.fill("#f-password", "short")
    page.click("#invite-form button[type=submit]")
    expect(page.locator("#e-email")).to_contain_text("e-mail")
    expect(page.locator("#e-password")).to_contain_text("8")
    expect(page.locator("#f-email")).to_have_value("nora@example")
    page.fill("#f-email", "nora@example.com")
    page.fill("#f-password", "north long password")
    page.click("#invite-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console$"))
    page.goto(url + "/console/settings")
    expect(page.locator("#business")).to_contain_text("North Café")
    page.fill("#f-store_code", "north-1")
    page.fill("#f-store_name", "North Street")
    page.click("#store-form button[type=submit]")
    expect(page.locator("#stores")).to_contain_text("North Street")

    # Staff: a marketer invited without a password gets a link; the owner makes them analyst.
    page.fill("#f-staff_name", "Mia")
    page.fill("#f-staff_email", "mia@example.com")
    page.select_option("#f-staff_role", "marketer")
    page.click("#staff-form button[type=submit]")
    expect(page.locator("#secret-box")).to_contain_text("Mia")
    mia_link = page.locator("#secret-value").inner_text().strip()
    assert LINK.fullmatch(mia_link), mia_link
    page.click("#staff >> text=Manage >> nth=1")
    page.select_option("#f-role", "analyst")
    page.click("#role-form button[type=submit]")
    expect(page.locator(".notice.ok")).to_contain_text("role")
    expect(page.locator("h1 .tag")).to_have_text("analyst")

    # The link worked once.
    page.goto(north)
    expect(page.locator("h1")).to_contain_text("no longer works")

    # The second business's owner, in another browser, sees only their own business.
    other = browser.new_context(locale="en-GB").new_page()
    try:
        other.goto(south)
        expect(other.locator("#f-email")).to_have_value("sam@example.com")
        other.fill("#f-password", "south long password")
        other.click("#invite-form button[type=submit]")
        expect(other).to_have_url(re.compile(r"/console$"))
        other.goto(url + "/console/settings")
        expect(other.locator("#business")).to_contain_text("South Café")
        expect(other.locator("body")).not_to_contain_text("North")
        expect(other.locator("body")).not_to_contain_text("Mia")
    finally:
        other.context.close()
