"""The simulator's console pages: save a scenario from the form (its draft program with the
program page's own fields, prefilled from the current program; errors beside the fields,
values kept, nothing saved), run it (the run card polls while it runs), read the figures
beside the current program, compare two scenarios, export the figures."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from regulars.domain.promotions.segments import ConsentIn
from regulars.services.analytics import scenarios
from regulars.services.analytics.scenarios import ScenarioDraft
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.promotions import segments
from regulars.services.runtime import Runtime
from regulars.web.console.charts import HEIGHT, TOP
from tests.conftest import Shop, make_shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in

FORM = {"name": "Five percent", "first_day": "2026-01-01", "last_day": "2026-03-31",
        "level-0-rate": "5", "expire_after_days": "365", "average_check_change": "2",
        "visit_frequency_change": "-1", "retention_change": "0", "gross_margin": "40",
        "launch_cost": "1000"}


def owner(client: TestClient, rt: Runtime, shop: Shop) -> str:
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    sign_in(client, "owner@example.com")
    page = client.get("/console/scenarios")
    assert page.status_code == 200
    return csrf_of(page.text)


def form_values(page: str, form_id: str) -> dict[str, str]:
    """The text inputs' and the selects' values of the form ``form_id`` on ``page``."""
    form = page.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    found = dict(re.findall(
        r'<input id="f-([\w-]+)" name="[\w-]+" (?:type="text" )?value="([^"]*)"', form))
    for name, options in re.findall(
            r'<select id="f-(\w+)" name="\w+"\s*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        found[name] = chosen.group(1) if chosen else ""
    return found


def save(client: TestClient, csrf: str, **changes: Any) -> Any:
    """Save a new scenario from the page's form as it comes (the current program's fields),
    with :data:`FORM` and ``changes`` typed over it."""
    shown = form_values(client.get("/console/scenarios").text, "scenario-form")
    return client.post("/console/scenarios", data={**shown, **FORM, **changes, "csrf": csrf},
                       follow_redirects=False)


def _cells(page: str, marker: str) -> list[str]:
    """The cells of the first table row whose tag holds ``marker``."""
    row = re.search(r"<tr [^>]*" + re.escape(marker) + r"[^>]*>(.*?)</tr>", page, re.S)
    assert row is not None, marker
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def bars(page: str, chart_id: str) -> list[tuple[str, float, str]]:
    """The bars of the chart ``chart_id`` on ``page``: (class, height, title) each."""
    figure = re.search(rf'<figure class="card chart" id="{chart_id}">(.*?)</figure>', page,
                       re.S)
    assert figure is not None, chart_id
    return [(css, float(height), title) for css, height, title in re.findall(
        r'<rect class="([^"]+)" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)">'
        r"<title>([^<]*)</title></rect>", figure.group(1))]


def heights(*values: int) -> list[float]:
    """The bars' heights for ``values`` on a chart whose top is the largest of them."""
    return [round(v * (HEIGHT - TOP) / max(values), 2) for v in values]


def test_a_scenario_is_saved_run_and_shown_beside_the_current_program(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member = client.post("/v1/pos/members", headers=shop.till(),
                         json={"phone": "+7 916 000-00-02"}).json()
    client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c1"},
                json={"receipt_id": "c1", "member": {"id": member["id"]}, "lines": [
                    {"sku": "tea", "name": "Tea", "quantity": 1, "unit_price_minor": 10000}]})
    everyone = segments.create(rt, shop.tenant_id, segments.Draft(
        name="Everyone", rules=(ConsentIn(values=frozenset({"full", "earn_only"})),)))
    csrf = owner(client, rt, shop)
    saved = save(client, csrf)
    assert saved.status_code == 303, saved.text
    page_url = saved.headers["location"]
    assert "Not run yet." in client.get(page_url).text
    assert client.post(f"{page_url}/run", data={"csrf": csrf},
                       follow_redirects=False).status_code == 303
    page = client.get(page_url).text
    assert 'id="scenario-figures"' in page and 'id="sensitivity"' in page
    # A day-old business: the redemptions are the stated default, and the page says why.
    model = page.split('id="redemption-model">', 1)[1].split("</p>", 1)[0]
    assert "Redemptions by the default assumption, not the business" in model
    assert "Redemptions by the business" not in model
    assert "50\xa0% of points issued are redeemed" in model
    assert "too short to fit: receipts over 0 days, fewer than the 90 a fit needs" in model
    assert 'data-figure="points_issued"><td>Points issued</td><td class="num">5</td>' \
           '<td class="num">3</td>' in page
    assert f'<tr data-segment="{everyone.id}"><td>Everyone</td><td class="num">1</td>' in page
    assert 'data-figure="cashback_minor"><td>Cashback</td>' in page
    # What its reward cost counts, unlike the reports'.
    assert 'id="reward-cost-hint">Reward cost here is a forecast' in page
    # Per store and per level too: the store by its name, the member's level under each program.
    store = _cells(page, f'data-store="{shop.store_id}"')
    assert (store[0], store[1], store[4], store[5]) == ("Main street", "1", "5", "3")
    level = _cells(page, 'data-level="')
    assert (level[5], level[6]) == ("5", "3")
    # The figures drawn beside the table, from the same numbers: draft 5 points, current 3.
    draft, current = map(int, re.findall(
        r'data-figure="points_issued"><td>Points issued</td><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td>', page)[0])
    assert (draft, current) == (5, 3)
    tall, short = heights(draft, current)
    title = f"Draft {draft}, current program {current}"
    assert bars(page, "chart-points_issued") == [("bar", tall, title),
                                                 ("bar alt", short, title)]
    assert 'id="chart-discount_minor"' in page and 'id="chart-reward_cost_share_bp"' in page
    assert bars(page, "chart-levels") == [
        ("bar", 138.0, "Base: Draft 1, Current program 1"),
        ("bar alt", 138.0, "Base: Draft 1, Current program 1")]
    card = client.get(f"{page_url}/run").text
    assert "hx-trigger" not in card  # done: no more polling
    exported = client.get(f"{page_url}/export?format=csv")
    assert exported.status_code == 200 and "total,,points_issued,5,3" in exported.text
    assert "total,,cashback_minor,0,0" in exported.text
    xlsx = client.get(f"{page_url}/export?format=xlsx")
    assert xlsx.content[:2] == b"PK"

    other = save(client, csrf, name="Ten percent", **{"level-0-rate": "10"})
    a, b = page_url.rsplit("/", 1)[1], other.headers["location"].rsplit("/", 1)[1]
    compared = client.get(f"/console/scenarios/compare?a={a}&b={b}")
    assert compared.status_code == 200 and "Ten percent" in compared.text
    assert 'id="reward-cost-hint">Reward cost here is a forecast' in compared.text
    assert 'data-figure="cashback_minor"><td>Cashback</td>' in compared.text
    # The scenario never run first: the current program still shows, from the other's run.
    row = re.search(r'data-figure="points_issued">(.*?)</tr>',
                    client.get(f"/console/scenarios/compare?a={b}&b={a}").text, re.S)
    assert row is not None
    assert re.findall(r'<td class="num">(.*?)</td>', row.group(1)) == ["—", "5", "3"]
    assert client.post(f"{other.headers['location']}/run", data={"csrf": csrf},
                       follow_redirects=False).status_code == 303
    compared = client.get(f"/console/scenarios/compare?a={a}&b={b}")
    # Each draft beside the current program its run saw: 5 and 10 points against 3.
    five = "Five percent: Draft 5, current program 3"
    ten = "Ten percent: Draft 10, current program 3"
    assert bars(compared.text, "chart-points_issued") == [
        (css, h, title) for css, h, title in zip(
            ["bar", "bar alt"] * 2, heights(5, 3, 10, 3), [five, five, ten, ten], strict=True)]
    assert bars(compared.text, "chart-levels") == [
        ("bar", 138.0, "Base: Five percent 1, Ten percent 1"),
        ("bar alt", 138.0, "Base: Five percent 1, Ten percent 1")]


def test_bad_values_are_shown_beside_their_fields_and_kept(client: TestClient, rt: Runtime,
                                                            shop: Shop) -> None:
    csrf = owner(client, rt, shop)
    for field, value in (("average_check_change", "70"), ("first_day", "yesterday"),
                         ("name", ""), ("point_value", "-1"), ("pending_days", "soon"),
                         ("earn_mode", "both"), ("redeem_share_max", "101")):
        refused = save(client, csrf, **{field: value})
        assert refused.status_code == 422, field
        assert f'id="e-{field}" role="alert"' in refused.text, field
        assert re.search(rf'<(input|select) id="f-{field}" name="{field}"[^>]*?'
                         rf'(aria-invalid="true"[^>]*)?>', refused.text), field
    # A level of the draft: the error beside its row's input, the added row kept.
    gold = {"level-1-name": "Gold", "level-1-code": "", "level-1-threshold": "1000"}
    kept = save(client, csrf, name="Kept name", **gold, **{"level-1-rate": "lots"}).text
    assert 'id="e-level-1-rate"' in kept
    assert 'value="Kept name"' in kept and 'value="Gold"' in kept and 'value="lots"' in kept
    not_rising = save(client, csrf, **{**gold, "level-1-rate": "8", "level-1-threshold": "0"})
    assert not_rising.status_code == 422 and 'id="e-levels"' in not_rising.text
    assert "No scenarios yet." in client.get("/console/scenarios").text
    assert scenarios.list_all(rt, shop.tenant_id) == []


def test_the_new_scenario_form_takes_the_whole_draft_program_from_the_current_one(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    programs.save_edit(rt, shop.tenant_id, {"redeem_share_max_bp": 4000, "pending_days": 3},
                       note="", actor=audit.SYSTEM)
    csrf = owner(client, rt, shop)
    shown = form_values(client.get("/console/scenarios").text, "scenario-form")
    # The program page's own fields, each showing the current program.
    assert (shown["redeem_share_max"], shown["pending_days"], shown["level-0-name"],
            shown["level-0-rate"], shown["earn_mode"]) == ("40", "3", "Base", "3", "points")
    saved = save(client, csrf, redeem_share_max="25", cashback_rate="1.5",
                 welcome_bonus_points="50", **{"level-1-name": "Gold", "level-1-code": "",
                                               "level-1-threshold": "1000",
                                               "level-1-rate": "8"})
    assert saved.status_code == 303, saved.text
    draft = scenarios.get(rt, shop.tenant_id, int(saved.headers["location"].rsplit("/", 1)[1]))
    assert draft.program is not None
    assert [(lv.name, lv.code, lv.rate_bp) for lv in draft.program.levels] == [
        ("Base", "base", 500), ("Gold", "gold", 800)]
    assert (draft.program.redeem_share_max_bp, draft.program.pending_days,
            draft.program.cashback_rate_bp, draft.program.welcome_bonus_points,
            draft.program.expire_after_days) == (2500, 3, 150, 50, 365)
    # The program itself is as it was.
    current = programs.current(rt, shop.tenant_id).rules
    assert (len(current.levels), current.redeem_share_max_bp) == (1, 4000)


def test_a_refusal_reads_in_the_staff_members_language(client: TestClient, rt: Runtime,
                                                       shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="owner", email="ru@example.com", language="ru")
    sign_in(client, "ru@example.com")
    csrf = csrf_of(client.get("/console/scenarios").text)
    refused = save(client, csrf, pending_days="-1")
    assert refused.status_code == 422
    assert "введите целое число от 0 до" in refused.text, refused.text


def test_another_tenants_scenario_answers_404_and_is_not_run(client: TestClient, rt: Runtime,
                                                             shop: Shop) -> None:
    csrf = owner(client, rt, shop)
    theirs = save(client, csrf).headers["location"]
    other = make_shop(rt, "Other Shop")
    client.cookies.clear()
    add_staff(rt, other.tenant_id, role="owner", email="other@example.com")
    sign_in(client, "other@example.com")
    mine = csrf_of(client.get("/console/scenarios").text)
    for path in ("", "/run", "/export?format=csv"):
        assert client.get(theirs + path).status_code == 404, path
    assert client.get("/console/scenarios/compare?a=1&b=1").status_code == 404
    assert client.post(f"{theirs}/run", data={"csrf": mine}).status_code == 404
    assert scenarios.get(rt, shop.tenant_id, int(theirs.rsplit("/", 1)[1])).last_run is None


def test_a_draft_with_a_level_the_current_program_lacks_shows_it_with_no_members_now(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    rules = programs.rules_of(programs.current(rt, shop.tenant_id).rules)
    level = {**rules["levels"][0], "code": "club", "name": "Club"}
    saved = scenarios.create(rt, shop.tenant_id, ScenarioDraft(
        name="Club", program=programs.parse_rules({**rules, "levels": [level]}),
        first_day=date(2026, 1, 1), last_day=date(2026, 3, 31)), actor=audit.SYSTEM)
    csrf = owner(client, rt, shop)
    client.post(f"/console/scenarios/{saved.id}/run", data={"csrf": csrf})
    page = client.get(f"/console/scenarios/{saved.id}")
    assert page.status_code == 200
    assert _cells(page.text, 'data-level="club"')[:3] == ["Club", "0", "0"]
