"""Steps at the cashier terminal, for browser tests that chain the console, the till and the
customer page. Each step starts from wherever the page is and leaves it on a known page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect


def pair_and_sign_in(page: Any, url: str, till_key: str, cashier_name: str, pin: str) -> None:
    """Pair the browser with the till (if it is not yet) and sign the cashier in with the
    on-screen keypad. Ends on the page that finds the member."""
    page.goto(url + "/terminal")
    if page.url.endswith("/terminal/pair"):
        page.fill("#f-key", till_key)
        page.click("button[type=submit]")
    page.get_by_role("link", name=cashier_name, exact=True).click()
    for digit in pin:
        page.click(f".keypad button[data-key='{digit}']")
    page.click(".keypad button[type=submit]")
    expect(page.locator("#find-form")).to_be_visible()


def find_member(page: Any, url: str, phone: str) -> None:
    """Find the member by phone; ends on the sale page with their card."""
    page.goto(url + "/terminal")
    page.fill("#f-q", phone)
    page.click("#find-form button[type=submit]")
    expect(page.locator("#member-card")).to_be_visible()


def register_member(page: Any, url: str, phone: str, first_name: str) -> None:
    """Look the phone up, and register it on the spot when nobody has it (with consent).
    Ends on the sale page, the welcome bonus shown."""
    page.goto(url + "/terminal")
    page.fill("#f-q", phone)
    page.click("#find-form button[type=submit]")
    expect(page.locator("#register-form")).to_be_visible()
    page.fill("#f-first_name", first_name)
    page.check("#f-agree")
    page.click("#register-form button[type=submit]")
    expect(page.locator("#registered")).to_be_visible()


def enter_sale(page: Any, amount: str, spend_points: int) -> bool:
    """On the sale page: type the bill and the points to spend, wait for the quote; True when
    the spend needs a one-time code."""
    page.fill("#f-price-0", amount)
    expect(page.locator("#quote-body")).to_be_attached()
    if spend_points:
        page.fill("#f-points_to_spend", str(spend_points))
    quote = page.locator(f"#quote-body[data-points='{spend_points}']")
    expect(quote).to_be_attached()
    return bool(quote.get_attribute("data-otp") == "1")


def sell(page: Any, url: str, phone: str, amount: str, spend_points: int, *,
         code: Callable[[], str] | None = None,
         before_commit: Callable[[], None] | None = None) -> str:
    """Sell ``amount`` to the member with ``phone``, spending ``spend_points``; when the
    spend needs a one-time code, send it and type what ``code()`` reads. Returns the receipt
    number, on the receipt page."""
    find_member(page, url, phone)
    if enter_sale(page, amount, spend_points):
        assert code is not None, "this spend needs a one-time code"
        expect(page.locator("#otp-box")).to_be_visible()
        page.click("#send-code")
        expect(page.locator("#otp-sent")).to_be_visible()
        page.fill("#f-otp_code", code())
    if before_commit is not None:
        before_commit()
    page.click("#commit")
    expect(page.locator("#done")).to_be_visible()
    return str(page.locator("#receipt-no").inner_text()).strip()


def refund(page: Any, url: str, receipt_no: str) -> None:
    """Refund a receipt of today whole; ends on the receipt with its refund."""
    page.goto(url + "/terminal/receipts")
    page.get_by_role("link", name=receipt_no, exact=True).click()
    page.fill("#f-reason", "returned by the customer")
    page.click("#refund")
    page.click("#confirm-refund")
    expect(page.locator("#refunds")).to_be_visible()
