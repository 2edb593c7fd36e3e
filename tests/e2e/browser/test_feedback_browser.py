"""Messages, feedback and questions in a real browser: the marketer words a message template
(an unknown placeholder refused beside the field, a preview with the sample member) and
schedules a campaign; edits the FAQ (added, moved up) and answers a comment on the feedback
page. At phone width a member rates a visit from their history and reads the FAQ, and the
signed link of the points message opens a rating page; no page scrolls sideways."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.domain.promotions.segments import HasBirthday
from regulars.services.audit import audit
from regulars.services.feedback import faq, ratings
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.promotions import segments
from regulars.services.promotions.segments import Draft as SegmentDraft
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.browser.customer_flows import PHONE_VIEWPORT, member_sign_in
from tests.e2e.web.support import add_staff
from tests.integration.support import Pos, line

PHONE = "+79161234567"


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]


def test_the_marketer_words_messages_runs_a_campaign_edits_the_faq_and_answers_feedback(
        live_server: LiveServer, page: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="marketer", email="mia@example.com")
    segments.create(rt, shop.tenant_id, SegmentDraft(name="Birthdays", rules=(HasBirthday(),)))
    member, _ = member_registration.register(rt, shop.tenant_id, Registration(phone=PHONE))
    receipt_id = Pos(rt, shop).commit(member.id, (line("tea", 10_000),),
                                      receipt="R-1")["receipt"]["id"]
    ratings.rate_own(rt, shop.tenant_id, member.id, receipt_id, rating=2,
                     comment="The tea was cold")
    page.goto(url + "/console/login")
    page.fill("#f-email", "mia@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")

    page.locator("#menu-marketing summary").click()
    page.get_by_role("link", name="Message templates").click()
    page.locator("#event-balance a[href$='/balance/en']").click()
    page.fill("#f-body", "Left: {balanse}")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#e-body")).to_contain_text("{balanse}")
    page.fill("#f-body", "{change}, now {balance}.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text("+10.00, now 25.00.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#saved")).to_be_visible()

    page.goto(url + "/console/campaigns")
    page.fill("#f-name", "Spring")
    page.fill("#f-body", "{first_name}, spring {unknown}")
    page.get_by_role("button", name="Schedule the campaign").click()
    expect(page.locator("#e-body")).to_contain_text("{unknown}")
    page.fill("#f-body", "{first_name}, spring! {unsubscribe_url}")
    page.get_by_role("button", name="Schedule the campaign").click()
    expect(page.locator("#campaigns")).to_contain_text("Spring")

    page.locator("#menu-marketing summary").click()
    page.get_by_role("link", name="Questions and answers").click()
    page.select_option("#f-language", "en")
    page.click("#add-entry")
    expect(page.locator("#e-question")).to_be_visible()
    for question in ("Do points expire?", "How do I reach Gold?"):
        page.select_option("#f-language", "en")
        page.fill("#f-question", question)
        page.fill("#f-answer", "See the terms.")
        page.click("#add-entry")
        expect(page.locator("#done")).to_contain_text("The entry was added.")
    second = faq.list_entries(rt, shop.tenant_id)[1]
    page.locator(f"#faq-{second.id} summary").click()
    page.click(f"#up-{second.id}")
    expect(page.locator("#faq-en summary").first).to_contain_text("How do I reach Gold?")

    page.locator("#menu-customers summary").click()
    page.get_by_role("link", name="Feedback").click()
    expect(page.locator("#ratings-count")).to_have_text("1")
    comment = page.locator("#feedback-comments article").first
    expect(comment).to_contain_text("The tea was cold")
    comment.locator("textarea").fill("Sorry! The next one is on us.")
    comment.get_by_role("button", name="Mark as answered").click()
    expect(page.locator("#done")).to_contain_text("Marked as answered.")
    expect(page.locator("#feedback-comments")).not_to_contain_text("The tea was cold")


def test_a_member_rates_a_visit_and_reads_the_faq_at_phone_width(
        live_server: LiveServer, browser: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    member, _ = member_registration.register(rt, shop.tenant_id, Registration(phone=PHONE))
    pos = Pos(rt, shop)
    first = pos.commit(member.id, (line("tea", 10_000),), receipt="R-1")["receipt"]["id"]
    second = pos.commit(member.id, (line("cake", 20_000),), receipt="R-2")["receipt"]["id"]
    faq.add(rt, shop.tenant_id, language="en", question="Do points expire?",
            answer="A year after you earn them.\n" + "Ask at the till. " * 20,
            actor=audit.SYSTEM)
    with rt.db.write() as conn:
        link = ratings.link_for(conn, rt, shop.tenant_id, second, rt.now())
    phone = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB",
                                has_touch=True).new_page()
    try:
        phone.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        member_sign_in(phone, url, shop.tenant_id, PHONE, live_server)
        phone.goto(f"{url}/c/{shop.tenant_id}/history")
        phone.locator(f"a.rate-link[href*='/receipts/{first}']").click()
        _no_sideways_scroll(phone)
        phone.click("#send-rating")
        expect(phone.locator("#e-rating")).to_be_visible()  # no stars chosen
        phone.locator("#star-4 + span").click()
        phone.fill("#f-comment", "Good tea, slow queue")
        phone.click("#send-rating")
        expect(phone.locator("#rating-saved")).to_be_visible()
        expect(phone.locator("#star-4")).to_be_checked()
        _no_sideways_scroll(phone)

        phone.click("#faq-link")
        phone.locator("#faq summary").first.click()
        expect(phone.locator("#faq .answer").first).to_contain_text("A year after")
        _no_sideways_scroll(phone)

        phone.goto(url + "/c/" + link.split("/c/", 1)[1])
        phone.locator("#star-5 + span").click()
        phone.click("#send-rating")
        expect(phone.locator("#rating-saved")).to_be_visible()
        _no_sideways_scroll(phone)
    finally:
        phone.context.close()
    assert ratings.of_receipt(rt, shop.tenant_id, member.id, first).rating == 4
    assert ratings.of_receipt(rt, shop.tenant_id, member.id, second).rating == 5
