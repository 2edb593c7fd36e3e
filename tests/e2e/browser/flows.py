"""Steps through the console in a browser, reusable by longer end-to-end tests (console →
terminal → customer page): each takes a Playwright page and the server's address and returns
what the next steps need."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import screenshot

OWNER = {"business": "Bean & Leaf", "currency": "EUR", "locale": "en_GB",
         "timezone": "Europe/London", "phone_region": "GB", "owner_name": "Ann Owner",
         "email": "ann@example.com", "password": "long enough"}


def console_sign_in(page: Any, url: str, email: str, password: str = "correct horse") -> None:
    """Sign in to the console as a staff member added with :func:`add_staff`."""
    page.goto(url + "/console/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("button[type=submit]")


def first_run(page: Any, url: str, owner: dict[str, str] | None = None) -> dict[str, str]:
    """Set up the business from an empty server; the owner ends signed in on Settings."""
    owner = {**OWNER, **(owner or {})}
    page.goto(url + "/")
    expect(page).to_have_url(re.compile(r"/console/setup$"))
    for name, value in owner.items():
        page.fill(f"#f-{name}", value)
    screenshot(page, "console-setup")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console/settings$"))
    return owner


def add_store(page: Any, url: str, *, code: str = "centre", name: str = "Centre") -> None:
    page.goto(url + "/console/settings")
    page.fill("#f-store_code", code)
    page.fill("#f-store_name", name)
    page.click("#store-form button[type=submit]")
    expect(page.locator("#stores")).to_contain_text(name)


def add_till(page: Any, url: str, *, store: str = "Centre", code: str = "till-1",
             name: str = "Till 1") -> str:
    """Add a till and return its key, read from the box that shows it once."""
    page.goto(url + "/console/settings")
    page.select_option("#f-till_store", label=store)
    page.fill("#f-till_code", code)
    page.fill("#f-till_name", name)
    page.click("#till-form button[type=submit]")
    expect(page.locator("#secret-box")).to_contain_text("will not be shown again")
    key: str = page.locator("#secret-value").inner_text().strip()
    return key


def add_cashier(page: Any, url: str, *, name: str = "Ivan Cashier", pin: str = "2468",
                store: str = "Centre") -> None:
    page.goto(url + "/console/settings")
    page.fill("#f-staff_name", name)
    page.select_option("#f-staff_role", "cashier")
    page.select_option("#f-staff_store", label=store)
    page.fill("#f-staff_pin", pin)
    page.click("#staff-form button[type=submit]")
    expect(page.locator("#staff")).to_contain_text(name)


def setup_business(page: Any, url: str) -> dict[str, Any]:
    """First run, a store, a till and a cashier with a PIN: what a till needs to sell.
    Returns the owner's e-mail and password, the till key, the cashier's name and PIN."""
    owner = first_run(page, url)
    add_store(page, url)
    till_key = add_till(page, url)
    add_cashier(page, url)
    screenshot(page, "console-settings")
    return {"owner_email": owner["email"], "owner_password": owner["password"],
            "till_key": till_key, "store": "Centre", "cashier": "Ivan Cashier", "pin": "2468"}


def set_earn_rate(page: Any, url: str, rate_percent: str, *, note: str) -> None:
    """Change the base level's earn rate in the program editor and save a new version."""
    page.goto(url + "/console/program")
    page.fill("#f-level-0-rate", rate_percent)
    page.fill("#f-note", note)
    page.click("#program-form button[type=submit]")
    expect(page.locator(".notice.ok")).to_contain_text("Saved as version")
