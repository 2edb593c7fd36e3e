"""Layouts a new business trips on: a wide table in the longest language (Bulgarian) scrolls
inside its own box instead of the console page, and an amount on a phone-sized till's receipt
stays on one line ("£12.50", never "£12.5" over "0") while its label wraps."""

from __future__ import annotations

from typing import Any

from tests.e2e.browser import flows, terminal_flows
from tests.e2e.browser.conftest import LiveServer

PHONE = "+44 7911 123456"
# Each amount cell of the page whose text runs over more than one line.
BROKEN_AMOUNTS = """() => [...document.querySelectorAll('main td.num')].filter(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return tops.size > 1;
}).map(cell => cell.innerText)"""


def test_wide_tables_scroll_in_their_box_and_amounts_stay_whole(live_server: LiveServer,
                                                                browser: Any) -> None:
    url = live_server.url
    desk = browser.new_context(viewport={"width": 1280, "height": 860},
                               locale="en-GB").new_page()
    phone = browser.new_context(viewport={"width": 375, "height": 812}, locale="en-GB",
                                has_touch=True).new_page()
    try:
        business = flows.setup_business(desk, url)
        desk.goto(url + "/console/language?lang=bg&back=/console")
        for path in ("/console/program", "/console/analytics/groups"):
            desk.goto(url + path)
            assert desk.evaluate("document.documentElement.scrollWidth"
                                 " <= document.documentElement.clientWidth"), path
        phone.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        terminal_flows.pair_and_sign_in(phone, url, business["till_key"], business["cashier"],
                                        business["pin"])
        terminal_flows.register_member(phone, url, PHONE, "Mary")
        terminal_flows.sell(phone, url, PHONE, "12.50", 0)
        assert phone.evaluate(BROKEN_AMOUNTS) == []
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        desk.context.close()
        phone.context.close()
