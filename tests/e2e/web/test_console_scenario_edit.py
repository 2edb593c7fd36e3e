"""A saved scenario's settings (name, period, assumptions) and draft program edited in the
console: errors beside their fields with the typed values kept and nothing saved, the rest
of the scenario (its draft promotions) kept, an analyst and another business refused."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from regulars.domain.analytics.payback import Assumptions
from regulars.services.analytics import scenarios
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in
from tests.e2e.web.test_console_scenarios import form_values, owner, save

SETTINGS = {
    "name": "Renamed",
    "first_day": "2026-02-01",
    "last_day": "2026-02-28",
    "average_check_change": "-2.5",
    "visit_frequency_change": "4",
    "retention_change": "1",
    "gross_margin": "35",
    "launch_cost": "250.50",
}
OFFER = {
    "name": "Ten off",
    "mode": "simple",
    "effect": "percent_discount",
    "rate": "10",
    "stacking": "stackable",
    "priority": "0",
}


def _post(client: TestClient, url: str, csrf: str, **values: Any) -> Any:
    return client.post(url, data={**values, "csrf": csrf}, follow_redirects=False)


def _made(client: TestClient, rt: Runtime, shop: Shop) -> tuple[str, int, str]:
    csrf = owner(client, rt, shop)
    page_url = save(client, csrf).headers["location"]
    assert _post(client, f"{page_url}/promotions/new", csrf, **OFFER).status_code == 303
    return page_url, int(page_url.rsplit("/", 1)[1]), csrf


def test_the_settings_are_edited_with_the_apis_checks_and_the_drafts_stay(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    page_url, scenario_id, csrf = _made(client, rt, shop)
    before = scenarios.get(rt, shop.tenant_id, scenario_id)
    form = client.get(f"{page_url}/settings")
    assert form.status_code == 200
    assert 'value="Five percent"' in form.text and 'value="-1"' in form.text  # as saved
    assert 'value="1000.00"' in form.text

    for field, value in (
        ("name", " "),
        ("name", "x" * 101),
        ("first_day", "soon"),
        ("last_day", "2025-12-31"),
        ("average_check_change", "51"),
        ("gross_margin", "101"),
        ("launch_cost", "-1"),
    ):
        refused = _post(client, f"{page_url}/settings", csrf, **{**SETTINGS, field: value})
        assert refused.status_code == 422, (field, value)
        assert f'id="e-{field}"' in refused.text, (field, value)
        assert 'value="Renamed"' in refused.text or field == "name"
    assert scenarios.get(rt, shop.tenant_id, scenario_id).updated_at == before.updated_at

    assert _post(client, f"{page_url}/settings", csrf, **SETTINGS).status_code == 303
    after = scenarios.get(rt, shop.tenant_id, scenario_id)
    assert (after.name, after.first_day.isoformat(), after.last_day.isoformat()) == (
        "Renamed",
        "2026-02-01",
        "2026-02-28",
    )
    assert after.assumptions == Assumptions(
        average_check_change_bp=-250,
        visit_frequency_change_bp=400,
        retention_change_bp=100,
        gross_margin_bp=3500,
        launch_cost_minor=25_050,
    )
    assert after.promotion_ids == before.promotion_ids and after.program == before.program
    assert "Renamed" in client.get(page_url).text


def test_the_draft_program_is_edited_with_the_program_pages_form(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    page_url, scenario_id, csrf = _made(client, rt, shop)
    before = scenarios.get(rt, shop.tenant_id, scenario_id)
    form = client.get(f"{page_url}/program")
    assert form.status_code == 200
    # The program page's own fields, showing the scenario's draft (5 %, 365 days).
    for name in (
        "earn_mode",
        "point_value",
        "redeem_share_max",
        "cashback_rate",
        "pending_days",
        "rounding",
        "welcome_bonus_points",
        "level-0-rate",
    ):
        assert f'id="f-{name}"' in form.text, name
    values = form_values(form.text, "program-form")
    assert values["level-0-rate"] == "5" and values["expire_after_days"] == "365"

    changed = {
        **values,
        "level-0-rate": "7.5",
        "redeem_share_max": "30",
        "level-1-name": "Gold",
        "level-1-threshold": "1000",
        "level-1-rate": "10",
        "pending_days": "abc",
    }
    refused = _post(client, f"{page_url}/program", csrf, **changed)
    assert refused.status_code == 422 and 'id="e-pending_days"' in refused.text
    assert 'value="Gold"' in refused.text  # the added level is kept
    refused = _post(
        client,
        f"{page_url}/program",
        csrf,
        **{**changed, "pending_days": "0", "level-1-threshold": "0"},
    )
    assert refused.status_code == 422 and 'id="e-levels"' in refused.text  # not increasing
    assert scenarios.get(rt, shop.tenant_id, scenario_id).updated_at == before.updated_at

    saved = _post(client, f"{page_url}/program", csrf, **{**changed, "pending_days": "2"})
    assert saved.status_code == 303, saved.text
    program = scenarios.get(rt, shop.tenant_id, scenario_id).program
    assert program is not None
    assert [(lv.name, lv.rate_bp) for lv in program.levels] == [("Base", 750), ("Gold", 1000)]
    assert (program.redeem_share_max_bp, program.pending_days) == (3000, 2)
    after = scenarios.get(rt, shop.tenant_id, scenario_id)
    assert after.promotion_ids == before.promotion_ids and after.name == before.name
    assert "Gold" in client.get(page_url).text

    assert _post(client, f"{page_url}/program", csrf, use_current="1").status_code == 303
    assert scenarios.get(rt, shop.tenant_id, scenario_id).program is None
    assert 'id="no-draft-program"' in client.get(page_url).text


def test_an_analyst_and_another_business_cannot_edit(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    page_url, scenario_id, _ = _made(client, rt, shop)
    before = scenarios.get(rt, shop.tenant_id, scenario_id)
    client.cookies.clear()
    add_staff(rt, shop.tenant_id, role="analyst", email="analyst@example.com")
    sign_in(client, "analyst@example.com")
    page = client.get(page_url)
    assert page.status_code == 200 and 'id="edit-draft-program"' not in page.text
    mine = csrf_of(page.text)
    for path in ("/settings", "/program"):
        assert client.get(page_url + path).status_code == 403
        assert _post(client, page_url + path, mine, **SETTINGS).status_code == 403
    other = make_shop(rt, "Other Shop")
    client.cookies.clear()
    add_staff(rt, other.tenant_id, role="owner", email="other@example.com")
    sign_in(client, "other@example.com")
    theirs = csrf_of(client.get("/console/scenarios").text)
    for path in ("/settings", "/program"):
        assert client.get(page_url + path).status_code == 404
        assert _post(client, page_url + path, theirs, **SETTINGS).status_code == 404
    assert scenarios.get(rt, shop.tenant_id, scenario_id) == before
