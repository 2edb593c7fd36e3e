"""The program editor over HTTP: the form shows the rules, the preview speaks them and prices
an example, a bad value is refused next to its field, a save makes a new version."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.errors import InvalidInput
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.web.console.program import parse_percent
from tests.conftest import Shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in

FORM = {"earn_mode": "points", "level_window": "lifetime", "downgrade_policy": "window_end",
        "level-0-name": "Base", "level-0-code": "base", "level-0-threshold": "0",
        "level-0-rate": "3.5",
        "level-1-name": "Gold", "level-1-code": "", "level-1-threshold": "10000",
        "level-1-rate": "10",
        "point_value": "1", "redeem_share_max": "50", "redeem_min_balance_points": "0",
        "redeem_excluded_categories": "tobacco", "earn_excluded_categories": "",
        "expire_after_days": "180", "pending_days": "0", "rounding": "floor",
        "rounding_scope": "receipt", "welcome_bonus_points": "100", "otp_above_points": "",
        "note": "gold level"}


def owner(client: TestClient, rt: Runtime, shop: Shop, role: str = "owner") -> str:
    add_staff(rt, shop.tenant_id, role=role, email=f"{role}@example.com")
    sign_in(client, f"{role}@example.com")
    page = client.get("/console/program")
    assert page.status_code == 200
    return csrf_of(page.text)


def post(client: TestClient, path: str, csrf: str, **changes: Any) -> Any:
    return client.post(path, data={**FORM, **changes, "csrf": csrf}, follow_redirects=False)


def test_the_page_shows_the_current_rules_and_their_terms(client: TestClient, rt: Runtime,
                                                          shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="analyst", email="a@example.com")
    sign_in(client, "a@example.com")
    page = client.get("/console/program")
    assert page.status_code == 200
    assert 'id="f-level-0-rate" name="level-0-rate" value="3"' in page.text
    assert 'name="point_value" type="text" value="1.00"' in page.text
    assert "You earn 3\xa0% of each purchase back in points." in page.text
    assert "Save as a new version" not in page.text  # an analyst only looks


def test_preview_speaks_the_edited_rules_and_prices_an_example(client: TestClient,
                                                               rt: Runtime, shop: Shop) -> None:
    csrf = owner(client, rt, shop)
    preview = post(client, "/console/program/preview", csrf)
    assert preview.status_code == 200
    text = preview.text
    # ru_RU, RUB: sample prices scaled to roubles; terms formatted for the locale.
    assert "Base" in text and "Gold" in text
    assert "Points expire 180 days after they are earned" in text
    assert "Points can pay up to 50\xa0% of a bill." in text
    assert "Points cannot pay for: tobacco." in text
    assert "New members get 100 points as a welcome bonus." in text
    # Sample basket 350 + 690 + 2,400 roubles; Base 3.5 % of 3,440 = 120 points (floor);
    # Gold 10 % = 344; the tobacco line (2,400) cannot be paid with points: 50 % of 1,040.
    assert '<td class="num">120</td>' in text and '<td class="num">344</td>' in text
    assert "520 <span" in text
    assert programs.current(rt, shop.tenant_id).version == 1  # nothing saved


def test_a_bad_value_shows_its_error_in_the_preview_and_the_form(client: TestClient,
                                                                 rt: Runtime,
                                                                 shop: Shop) -> None:
    csrf = owner(client, rt, shop)
    preview = post(client, "/console/program/preview", csrf, **{"level-1-rate": "abc"})
    assert preview.status_code == 200
    assert 'data-field="level-1-rate"' in preview.text and "percentage" in preview.text
    nameless = post(client, "/console/program/preview", csrf, **{"level-1-name": ""})
    assert 'data-field="level-1-name"' in nameless.text
    bad_code = post(client, "/console/program/preview", csrf, **{"level-1-code": "a b"})
    assert 'data-field="level-1-code"' in bad_code.text
    order = post(client, "/console/program/preview", csrf, **{"level-1-threshold": "0"})
    assert 'data-field="levels"' in order.text and "strictly increase" in order.text
    saved = post(client, "/console/program", csrf, pending_days="200")
    assert saved.status_code == 422
    assert 'id="e-pending_days"' in saved.text
    assert "pending_days must be shorter than expire_after_days" in saved.text
    assert 'value="gold level"' in saved.text  # what was typed stays
    assert programs.current(rt, shop.tenant_id).version == 1


def test_save_makes_a_new_version_parsed_exactly(client: TestClient, rt: Runtime,
                                                 shop: Shop) -> None:
    csrf = owner(client, rt, shop, role="marketer")
    done = post(client, "/console/program", csrf)
    assert done.status_code == 303 and done.headers["location"] == "/console/program?saved=2"
    rules = programs.rules_of(programs.current(rt, shop.tenant_id).rules)
    assert [(lv["code"], lv["threshold_minor"], lv["rate_bp"]) for lv in rules["levels"]] == [
        ("base", 0, 350), ("gold", 1_000_000, 1000)]
    assert rules["redeem_share_max_bp"] == 5000 and rules["welcome_bonus_points"] == 100
    assert rules["expire_after_days"] == 180 and rules["otp_above_points"] is None
    assert rules["redeem_excluded_categories"] == ["tobacco"]
    page = client.get("/console/program?saved=2")
    assert "Saved as version 2." in page.text and "gold level" in page.text


def test_an_analyst_cannot_save(client: TestClient, rt: Runtime, shop: Shop) -> None:
    csrf = owner(client, rt, shop, role="analyst")
    assert post(client, "/console/program", csrf).status_code == 403
    assert programs.current(rt, shop.tenant_id).version == 1


def test_percentages_are_parsed_exactly_into_basis_points() -> None:
    assert [parse_percent(t, field="r") for t in ("3.5", "3,25", "0.01", "100", " 7 ")] == [
        350, 325, 1, 10_000, 700]
    for bad in ("100.01", "1e2", "-1", "3.555", "", "abc"):
        with pytest.raises(InvalidInput) as caught:
            parse_percent(bad, field="rate")
        assert caught.value.field == "rate"


def test_the_preview_tells_how_the_terms_read_in_each_language(client: TestClient,
                                                                rt: Runtime, shop: Shop) -> None:
    csrf = owner(client, rt, shop)
    text = post(client, "/console/program/preview", csrf).text
    for language in ("en", "ru", "uk", "bg"):
        assert f'data-language="{language}"' in text
    assert 'id="core-rule-warning"' not in text  # two levels read in a few seconds
    many = {f"level-{i}-{field}": value for i in range(2, 12) for field, value in (
        ("name", f"Very distinguished customer loyalty tier number {i}"), ("code", ""),
        ("threshold", str(10_000 * i)), ("rate", str(10 + i)))}
    crowded = post(client, "/console/program/preview", csrf, **many).text
    assert 'id="core-rule-warning"' in crowded
    assert "The core rule takes more than 15 seconds to read in: English" in crowded


def test_the_preview_warns_when_a_higher_level_earns_less(client: TestClient, rt: Runtime,
                                                          shop: Shop) -> None:
    csrf = owner(client, rt, shop)
    fine = post(client, "/console/program/preview", csrf)
    assert "level-warning" not in fine.text
    inverted = post(client, "/console/program/preview", csrf, **{"level-1-rate": "2"})
    assert inverted.status_code == 200
    assert "Gold earns 2\xa0%, less than Base (3.5\xa0%), a level below it" in inverted.text


CASHBACK = {"cashback_rate": "2.5", "cashback_basis": "earn_basis",
            "cashback_rounding": "half_up", "cashback_excluded_categories": "tobacco, alcohol"}


def test_the_cashback_settings_are_shown_edited_and_refused_beside_their_fields(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    csrf = owner(client, rt, shop)
    page = client.get("/console/program")
    assert 'id="f-cashback_rate"' in page.text and 'id="f-cashback_basis"' in page.text
    for wrong, field in (({"cashback_rate": "abc"}, "cashback_rate"),
                         ({"cashback_rate": "150"}, "cashback_rate"),
                         ({"cashback_basis": "profit"}, "cashback_basis"),
                         ({"cashback_rounding": "sideways"}, "cashback_rounding")):
        refused = post(client, "/console/program", csrf, **{**CASHBACK, **wrong})
        assert refused.status_code == 422
        assert f'id="e-{field}"' in refused.text, field
        assert 'value="tobacco, alcohol"' in refused.text  # what was typed stays
        preview = post(client, "/console/program/preview", csrf, **{**CASHBACK, **wrong})
        assert f'data-field="{field}"' in preview.text, field
    assert programs.current(rt, shop.tenant_id).version == 1
    assert post(client, "/console/program", csrf, **CASHBACK).status_code == 303
    rules = programs.rules_of(programs.current(rt, shop.tenant_id).rules)
    assert (rules["cashback_rate_bp"], rules["cashback_basis"], rules["cashback_rounding"]) \
        == (250, "earn_basis", "half_up")
    assert sorted(rules["cashback_excluded_categories"]) == ["alcohol", "tobacco"]
    shown = client.get("/console/program").text
    assert 'name="cashback_rate" type="text" value="2.5"' in shown
    assert '<option value="earn_basis" selected' in shown
    assert 'value="alcohol, tobacco"' in shown
    # A form posted without the cashback boxes changes none of the settings.
    assert post(client, "/console/program", csrf).status_code == 303
    kept = programs.rules_of(programs.current(rt, shop.tenant_id).rules)
    assert kept["cashback_rate_bp"] == 250 and kept["cashback_rounding"] == "half_up"
