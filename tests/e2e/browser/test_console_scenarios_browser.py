"""The simulator and the uplift pages in a browser: an owner saves a scenario from the form
(its draft program typed in the program page's own fields, a refusal beside its field), runs
it and reads its figures beside the current program (the run card polls until done), saves
a second one and compares the two; adds a draft promotion to a scenario with the
promotion builder and sees its discount in the run; the uplift page lists a targeted promotion's
report, and an experiment is started from its form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from regulars.domain.promotions.promotions import BonusPoints
from regulars.domain.promotions.segments import ConsentIn
from regulars.services.audit import audit
from regulars.services.promotions import promotions, segments
from regulars.services.promotions.promotions import Draft
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.web.support import add_staff
from tests.integration.support import Pos, line

# The first uplift report in a process imports numpy and scipy (kept out of the app's start),
# which takes seconds on a loaded machine: that navigation alone gets longer than the default.
FIRST_REPORT_MS = 60_000


def _sign_in(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")


def _save(page: Any, name: str, rate: str, first: str, last: str) -> None:
    page.fill("#f-name", name)
    page.fill("#f-first_day", first)
    page.fill("#f-last_day", last)
    page.fill("#f-level-0-rate", rate)
    page.fill("#f-average_check_change", "2")
    page.click("#scenario-form button[type=submit]")


def test_save_run_read_and_compare_scenarios(live_server: LiveServer, page: Any) -> None:
    rt = live_server.runtime
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    segments.create(rt, shop.tenant_id, segments.Draft(
        name="Everyone", rules=(ConsentIn(values=frozenset({"full", "earn_only"})),)))
    pos = Pos(rt, shop)
    for n in range(1, 4):
        member = pos.register(n)["id"]
        pos.commit(member, (line("tea", 10_000 * n),), receipt=f"r-{n}")
    pos.commit(None, (line("cake", 4_500),), receipt="r-anon")
    today = datetime.now(UTC).date()
    first, last = (today - timedelta(days=30)).isoformat(), (today + timedelta(days=1)).isoformat()

    _sign_in(page, live_server)
    page.locator("#menu-measure summary").click()
    page.get_by_role("link", name="Simulator").click()
    expect(page.locator("#scenarios")).to_contain_text("No scenarios yet.")
    _save(page, "Five percent", "5", first, last)
    expect(page.locator("#scenario-run")).to_contain_text("Not run yet.")
    page.click("#run-scenario")
    expect(page.locator("#scenario-figures")).to_be_visible()
    figures = page.locator("#scenario-figures tr[data-figure=points_issued]")
    expect(figures).to_contain_text("30")  # 5 % of 600.00 beside the current 3 %
    points = page.locator("#chart-points_issued svg[role=img]")
    expect(points).to_be_visible()  # the figure drawn beside the table, draft then current
    expect(points.locator("rect.bar")).to_have_count(2)
    expect(points.locator("rect.bar:not(.alt) title")).to_have_text("Draft 30, current program 18")
    draft_bar, current_bar = (points.locator(f"rect.{css}").bounding_box()
                              for css in ("bar:not(.alt)", "alt"))
    assert draft_bar and current_bar
    assert abs(current_bar["height"] / draft_bar["height"] - 18 / 30) < 0.01
    expect(page.locator("#chart-levels rect.bar")).to_have_count(2)
    expect(page.locator("#scenario-segments")).to_contain_text("Everyone")
    expect(page.locator("#sensitivity")).to_be_visible()
    screenshot(page, "console-scenario")

    page.goto(live_server.url + "/console/scenarios")
    _save(page, "Ten percent", "10", first, last)
    page.click("#run-scenario")
    expect(page.locator("#scenario-figures")).to_be_visible()
    page.goto(live_server.url + "/console/scenarios")
    expect(page.locator("#scenarios")).to_contain_text("done")
    page.select_option("#compare-a", label="Five percent")
    page.select_option("#compare-b", label="Ten percent")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("main")).to_contain_text("Five percent")
    expect(page.locator("main")).to_contain_text("Ten percent")
    expect(page.locator("#compare-charts #chart-points_issued rect.bar")).to_have_count(4)
    expect(page.locator("#chart-levels")).to_contain_text("Five percent")


def test_a_draft_promotion_added_from_the_page_gives_its_discount_in_the_run(
        live_server: LiveServer, page: Any) -> None:
    rt = live_server.runtime
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    pos = Pos(rt, shop)
    member = pos.register(1)["id"]
    pos.commit(member, (line("tea", 15_000),), receipt="r-big")  # over 100: 10 % off
    pos.commit(member, (line("tea", 5_000),), receipt="r-small")
    today = datetime.now(UTC).date()
    first, last = (today - timedelta(days=30)).isoformat(), (today + timedelta(days=1)).isoformat()

    _sign_in(page, live_server)
    page.goto(live_server.url + "/console/scenarios")
    expect(page.locator("#drafts-later")).to_be_visible()
    _save(page, "Ten off big baskets", "3", first, last)
    expect(page.locator("#no-draft-promotions")).to_be_visible()
    page.click("#add-draft-promotion")
    expect(page.locator("#draft-limits")).to_be_visible()
    page.fill("#f-name", "10 % off baskets over 100")
    page.fill("#f-c_total", "100")
    page.select_option("#f-effect", "percent_discount")
    page.fill("#f-rate", "ten")
    page.click("#promotion-form button[type=submit]:not([name])")
    expect(page.locator("#e-rate")).to_be_visible()  # refused beside its field, kept
    expect(page.locator("#f-c_total")).to_have_value("100")
    page.fill("#f-rate", "10")
    page.click("#promotion-form button[type=submit]:not([name])")
    row = page.locator("#draft-promotion-list tr[data-draft]").first
    expect(row).to_contain_text("10 % off baskets over 100")
    expect(row).to_contain_text("Basket total at least")
    page.click("#run-scenario")
    discounts = page.locator("#scenario-figures tr[data-figure=discount_minor] td.num")
    expect(discounts.first).to_contain_text("15")  # 10 % of 150.00; the small one gets none
    expect(discounts.nth(1)).to_contain_text("0")
    bars = page.locator("#chart-discount_minor rect.bar:not(.alt) title")
    expect(bars).to_contain_text("Draft")
    screenshot(page, "console-scenario-drafts")

    # The name, period and expectations, then the draft program with the program's own
    # form: a refusal beside its field, the typed values kept; the drafts stay.
    page.click("#edit-scenario-settings")
    page.fill("#f-name", "Ten off, margin 35")
    page.fill("#f-gross_margin", "135")
    page.click("#scenario-settings-form button[type=submit]")
    expect(page.locator("#e-gross_margin")).to_be_visible()
    expect(page.locator("#f-name")).to_have_value("Ten off, margin 35")
    page.fill("#f-gross_margin", "35")
    page.click("#scenario-settings-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Ten off, margin 35")
    expect(page.locator("#draft-promotion-list")).to_contain_text("10 % off baskets over 100")
    page.click("#edit-draft-program")
    expect(page.locator("#f-level-0-rate")).to_have_value("3")
    page.click("#add-level")  # the program page's script adds a row
    row = page.locator("#levels tbody tr").last
    row.locator("input[name$='-name']").fill("Gold")
    row.locator("input[name$='-threshold']").fill("1000")
    row.locator("input[name$='-rate']").fill("lots")
    page.click("#save-draft-program")
    expect(page.locator("#levels .error")).to_be_visible()
    expect(page.locator("#levels tbody tr").last.locator("input[name$='-name']")).to_have_value(
        "Gold")
    page.locator("#levels tbody tr").last.locator("input[name$='-rate']").fill("8")
    page.fill("#f-redeem_share_max", "25")
    page.click("#save-draft-program")
    expect(page.locator("#draft-program")).to_contain_text("Gold")
    expect(page.locator("#draft-promotion-list tr[data-draft]")).to_have_count(1)


def test_a_new_scenarios_draft_program_is_typed_in_the_program_pages_form(
        live_server: LiveServer, page: Any) -> None:
    rt = live_server.runtime
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    today = datetime.now(UTC).date()

    _sign_in(page, live_server)
    page.goto(live_server.url + "/console/scenarios")
    # The whole program, as the program page shows it, starting from the current one.
    expect(page.locator("#scenario-form #f-level-0-name")).to_have_value("Base")
    expect(page.locator("#scenario-form #f-earn_mode")).to_have_value("points")
    page.fill("#f-name", "Gold for the big spenders")
    page.fill("#f-first_day", (today - timedelta(days=30)).isoformat())
    page.fill("#f-last_day", today.isoformat())
    page.click("#add-level")  # the program page's script adds a row here too
    row = page.locator("#levels tbody tr").last
    row.locator("input[name$='-name']").fill("Gold")
    row.locator("input[name$='-threshold']").fill("1000")
    row.locator("input[name$='-rate']").fill("lots")
    page.fill("#f-redeem_share_max", "25")
    page.click("#scenario-form button[type=submit]")
    expect(page.locator("#levels .error")).to_be_visible()  # beside the input, nothing saved
    expect(page.locator("#scenarios")).to_contain_text("No scenarios yet.")
    expect(page.locator("#f-name")).to_have_value("Gold for the big spenders")
    expect(page.locator("#f-redeem_share_max")).to_have_value("25")
    last = page.locator("#levels tbody tr").last
    expect(last.locator("input[name$='-name']")).to_have_value("Gold")
    last.locator("input[name$='-rate']").fill("8")
    page.click("#scenario-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Gold for the big spenders")
    expect(page.locator("#draft-program")).to_contain_text("Gold")
    page.click("#edit-draft-program")
    expect(page.locator("#f-redeem_share_max")).to_have_value("25")
    expect(page.locator("#levels tbody tr")).to_have_count(2)


def test_uplift_report_and_an_experiment(live_server: LiveServer, page: Any) -> None:
    rt = live_server.runtime
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    everyone = segments.create(rt, shop.tenant_id, segments.Draft(
        name="Everyone", rules=(ConsentIn(values=frozenset({"full", "earn_only"})),)))
    promotions.create(rt, shop.tenant_id, Draft(
        name="Welcome back", effects=(BonusPoints(points=5),), segment_id=everyone.id,
        control_share_bp=1000), actor=audit.SYSTEM)
    promotions.create(rt, shop.tenant_id, Draft(name="Five", effects=(BonusPoints(points=5),)),
                      actor=audit.SYSTEM)
    promotions.create(rt, shop.tenant_id, Draft(name="Ten", effects=(BonusPoints(points=10),)),
                      actor=audit.SYSTEM)

    _sign_in(page, live_server)
    page.locator("#menu-measure summary").click()
    page.get_by_role("link", name="Uplift").click()
    expect(page.locator("main")).to_contain_text("Welcome back")
    page.get_by_role("link", name="Welcome back").click(timeout=FIRST_REPORT_MS)
    expect(page.locator("#too-small")).to_be_visible(timeout=FIRST_REPORT_MS)
    screenshot(page, "console-uplift")

    page.goto(live_server.url + "/console/uplift")
    page.click("#new-experiment")
    page.fill("#f-name", "Five or ten")
    page.fill("#f-variant_0", "five")
    page.select_option("#f-promotion_0", label="Five")
    page.fill("#f-variant_1", "ten")
    page.select_option("#f-promotion_1", label="Ten")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#variants")).to_contain_text("five")
    expect(page.locator("#experiment-verdict")).to_be_visible()
    page.goto(live_server.url + "/console/uplift")
    expect(page.locator("#experiments")).to_contain_text("Five or ten")
