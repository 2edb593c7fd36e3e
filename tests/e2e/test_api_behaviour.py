"""The program's behaviour through the HTTP API: levels and progress, program versions, input
validation (and nothing half-written after a refusal), holds, redemption limits, excluded
categories, the discount earn mode, explanations in the tenant's language, merges, consent and
offline tills."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.db.schema import metadata
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop, make_shop

PHONE = "+7 800 775-01-11"
OTHER_PHONE = "+7 916 123-45-67"
LEVELS = [
    {"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 100},
    {"code": "silver", "name": "Silver", "threshold_minor": 100_000, "rate_bp": 300},
    {"code": "gold", "name": "Gold", "threshold_minor": 1_000_000, "rate_bp": 1000},
]


# Helpers ----------------------------------------------------------------------------------------

def line(price_minor: int, *, category: str = "goods", quantity: int = 1,
         sku: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"sku": sku or f"{category}-{price_minor}", "category": category,
            "quantity": quantity, "unit_price_minor": price_minor, **extra}


def rules(client: TestClient, shop: Shop) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/v1/admin/program", headers=shop.owner).json()["rules"]
    return body


def set_program(client: TestClient, shop: Shop, **changes: Any) -> int:
    """Save the current rules with ``changes`` as the next version; return its number."""
    response = client.put("/v1/admin/program", headers=shop.owner,
                          json={**rules(client, shop), **changes})
    assert response.status_code == 200, response.text
    version: int = response.json()["version"]
    return version


def register(client: TestClient, shop: Shop, phone: str = PHONE, **extra: Any) -> int:
    response = client.post("/v1/pos/members", headers=shop.till(), json={"phone": phone,
                                                                          **extra})
    assert response.status_code == 201, response.text
    member_id: int = response.json()["id"]
    return member_id


def adjust(client: TestClient, shop: Shop, member_id: int, points: int) -> None:
    response = client.post(f"/v1/admin/members/{member_id}/adjust",
                           headers={**shop.owner, "Idempotency-Key": f"adj-{member_id}-{points}"},
                           json={"points": points, "reason": "opening balance"})
    assert response.status_code == 200, response.text


def post_commit(client: TestClient, shop: Shop, receipt: str, lines: list[dict[str, Any]], *,
                member: dict[str, Any] | None = None, key: str | None = None,
                **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"receipt_id": receipt, "lines": lines, **extra}
    if member is not None:
        body["member"] = member
    return client.post("/v1/pos/commit", json=body,
                       headers={**shop.till(), "Idempotency-Key": key or f"k-{receipt}"})


def commit(client: TestClient, shop: Shop, receipt: str, lines: list[dict[str, Any]], *,
           member: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    response = post_commit(client, shop, receipt, lines, member=member, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def quote(client: TestClient, shop: Shop, lines: list[dict[str, Any]], *,
          member: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"lines": lines, **extra}
    if member is not None:
        body["member"] = member
    response = client.post("/v1/pos/quote", headers=shop.till(), json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def lookup(client: TestClient, shop: Shop, **ref: Any) -> dict[str, Any]:
    response = client.post("/v1/pos/members/lookup", headers=shop.till(), json=ref)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["code"] for e in answer["explanations"]]


def ledger_is_clean(client: TestClient, shop: Shop) -> None:
    check = client.get("/v1/admin/ledger/check", headers=shop.owner).json()
    assert check == {"ok": True, "problems": []}


def row_counts(rt: Runtime) -> dict[str, int]:
    with rt.db.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables}


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code, body
    assert body["detail"]
    return body


# Levels -----------------------------------------------------------------------------------------

def test_levels_take_effect_on_the_receipt_after_the_one_that_reaches_them(
        client: TestClient, shop: Shop, clock: FakeClock) -> None:
    assert set_program(client, shop, levels=LEVELS) == 2
    member_id = register(client, shop)
    me = {"id": member_id}

    first = commit(client, shop, "R-1", [line(99_999)], member=me)  # 999.99 in all
    assert (first["rate_bp"], first["member"]["level"]) == (100, "base")
    assert first["points_earned"] == 9  # 1 % of 999.99 = 9.9999, rounded down
    clock.advance(seconds=30)
    status = lookup(client, shop, id=member_id)["level"]
    assert status == {"code": "base", "name": "Base", "rate_bp": 100, "window": "lifetime",
                      "window_spend_minor": 99_999, "next_code": "silver",
                      "next_name": "Silver", "to_next_minor": 1}
    priced = quote(client, shop, [line(10_000)], member=me)
    assert priced["rate_bp"] == 100 and "level_reached" in codes(priced)
    reached = next(e["text"] for e in priced["explanations"] if e["code"] == "level_reached")
    assert "Silver" in reached and "уровень" in reached  # the basket reaches it, in Russian

    crossing = commit(client, shop, "R-2", [line(10_000)], member=me)  # 1,099.99 in all
    assert (crossing["rate_bp"], crossing["points_earned"]) == (100, 1)  # still Base here
    clock.advance(seconds=30)
    status = lookup(client, shop, id=member_id)["level"]
    assert (status["code"], status["rate_bp"]) == ("silver", 300)
    assert (status["next_code"], status["to_next_minor"]) == ("gold", 1_000_000 - 109_999)
    priced = quote(client, shop, [line(10_000)], member=me)
    assert (priced["rate_bp"], priced["member"]["level"], priced["points_earned"]) == \
        (300, "silver", 3)

    to_gold = commit(client, shop, "R-3", [line(890_001)], member=me)  # 10,000.00 in all
    assert (to_gold["rate_bp"], to_gold["points_earned"]) == (300, 267)  # 3 % of 8,900.01
    clock.advance(seconds=30)
    status = lookup(client, shop, id=member_id)["level"]
    assert status["code"] == "gold" and status["rate_bp"] == 1000
    assert status["next_code"] is None and status["to_next_minor"] is None
    assert status["window_spend_minor"] == 1_000_000
    at_gold = commit(client, shop, "R-4", [line(10_000)], member=me)
    assert (at_gold["rate_bp"], at_gold["points_earned"]) == (1000, 10)  # 10 % of 100.00
    assert "level_top" in codes(at_gold)
    ledger_is_clean(client, shop)


def test_never_downgrade_keeps_the_level_reached_by_the_last_receipt(
        client: TestClient, shop: Shop, clock: FakeClock) -> None:
    set_program(client, shop, levels=LEVELS, level_window="rolling_12_months",
                downgrade_policy="never")
    member_id = register(client, shop)
    commit(client, shop, "R-1", [line(100_000)], member={"id": member_id})
    clock.advance(days=400)  # the receipt has left the rolling window
    assert lookup(client, shop, id=member_id)["level"]["code"] == "silver"


# Program versions -------------------------------------------------------------------------------

def test_entries_and_receipts_record_the_program_version_that_produced_them(
        client: TestClient, shop: Shop) -> None:
    member_id = register(client, shop)
    first = commit(client, shop, "R-1", [line(100_000)], member={"id": member_id})
    assert first["program_version"] == 1 and first["points_earned"] == 30

    assert set_program(client, shop, levels=[{**LEVELS[0], "rate_bp": 500}]) == 2
    current = client.get("/v1/admin/program", headers=shop.owner).json()
    assert current["version"] == 2 and current["rules"]["levels"][0]["rate_bp"] == 500
    versions = client.get("/v1/admin/program/versions", headers=shop.owner).json()
    assert [v["version"] for v in versions] == [1, 2]

    second = commit(client, shop, "R-2", [line(100_000)], member={"id": member_id})
    assert second["program_version"] == 2 and second["points_earned"] == 50
    history = client.get(f"/v1/admin/members/{member_id}/history", headers=shop.owner).json()
    assert [(e["code"], e["points"], e["program_version"]) for e in history] == \
        [("earn", 50, 2), ("earn", 30, 1)]

    # A refund of the first receipt follows the version that receipt was sold under.
    refund = client.post(f"/v1/pos/receipts/{first['receipt']['id']}/refund", json={},
                         headers={**shop.till(), "Idempotency-Key": "refund-1"})
    assert refund.status_code == 200, refund.text
    assert refund.json()["refund"]["points_reversed"] == 30
    history = client.get(f"/v1/admin/members/{member_id}/history", headers=shop.owner).json()
    assert (history[0]["code"], history[0]["points"], history[0]["program_version"]) == \
        ("refund_earn", -30, 1)
    receipt = client.get(f"/v1/admin/receipts/{first['receipt']['id']}",
                         headers=shop.owner).json()
    assert receipt["program_version"] == 1
    ledger_is_clean(client, shop)


# Bad input --------------------------------------------------------------------------------------

GOOD_LINE = line(1000)
BAD_COMMITS: list[tuple[str, dict[str, Any], str]] = [
    ("negative price", {"lines": [line(-1)]}, "lines.0.unit_price_minor"),
    ("discount above line amount", {"lines": [line(1000, discount_minor=1001)]}, "lines.0"),
    ("quantity 0", {"lines": [line(1000, quantity=0)]}, "lines.0.quantity"),
    ("quantity and quantity_milli",
     {"lines": [line(1000, quantity_milli=1000)]}, "lines.0"),
    ("no quantity", {"lines": [{"sku": "x", "unit_price_minor": 1000}]}, "lines.0"),
    ("fractional quantity", {"lines": [line(1000, quantity=1.5)]}, "lines.0.quantity"),
    ("unknown field", {"lines": [GOOD_LINE], "colour": "red"}, "colour"),
    ("unknown line field", {"lines": [line(1000, colour="red")]}, "lines.0.colour"),
    ("string for an int", {"lines": [{**GOOD_LINE, "unit_price_minor": "1000"}]},
     "lines.0.unit_price_minor"),
    ("string points", {"lines": [GOOD_LINE], "points_to_spend": "5"}, "points_to_spend"),
    ("negative points", {"lines": [GOOD_LINE], "points_to_spend": -1}, "points_to_spend"),
    ("no lines", {"lines": []}, "lines"),
    ("two member identifiers", {"lines": [GOOD_LINE], "member": {"id": 1, "phone": PHONE}},
     "member"),
    ("future timestamp", {"lines": [GOOD_LINE], "occurred_at": "2030-01-01T00:00:00+00:00"},
     "occurred_at"),
    ("timestamp without offset", {"lines": [GOOD_LINE], "occurred_at": "2026-03-02T09:00:00"},
     "occurred_at"),
    ("timestamp older than 30 days",
     {"lines": [GOOD_LINE], "occurred_at": "2026-01-01T00:00:00+00:00"}, "occurred_at"),
]


@pytest.mark.parametrize(("body", "field"), [pytest.param(b, f, id=n) for n, b, f in BAD_COMMITS])
def test_bad_commit_is_422_naming_the_field_and_writes_nothing(
        client: TestClient, shop: Shop, rt: Runtime, body: dict[str, Any], field: str) -> None:
    member_id = register(client, shop)
    body = {"member": {"id": member_id}, **body}
    before = row_counts(rt)
    response = client.post("/v1/pos/commit", json={"receipt_id": "R-1", **body},
                           headers={**shop.till(), "Idempotency-Key": "bad-1"})
    answer = error(response, 422, "invalid_input")
    assert answer["field"] == field, answer
    assert row_counts(rt) == before
    # The key was not spent on the refusal: the corrected request goes through with it.
    fixed = post_commit(client, shop, "R-1", [GOOD_LINE], member={"id": member_id},
                        key="bad-1")
    assert fixed.status_code == 200, fixed.text
    assert len(client.get("/v1/admin/receipts", headers=shop.owner).json()) == 1


def test_bad_phone_and_other_registration_errors_write_nothing(
        client: TestClient, shop: Shop, rt: Runtime) -> None:
    before = row_counts(rt)
    for body, field, code in (
            ({"phone": "12345"}, "phone", "invalid_phone"),
            ({"phone": "+7 800 775-01-11-99"}, "phone", "invalid_phone"),
            ({"phone": "call me"}, "phone", "invalid_phone"),
            ({"phone": PHONE, "card": "x"}, "card", "invalid_input"),
            ({"phone": PHONE, "consent": "maybe"}, "consent", "invalid_input"),
            ({"phone": PHONE, "birthday": "31.12.1990"}, "birthday", "invalid_input"),
            ({"phone": PHONE, "nickname": "Bob"}, "nickname", "invalid_input"),
            ({"phone": 78007750111}, "phone", "invalid_input"),
            ({}, "phone", "invalid_input")):
        for path, headers in (("/v1/pos/members", shop.till()),
                              ("/v1/admin/members", shop.owner)):
            answer = error(client.post(path, headers=headers, json=body), 422, code)
            assert answer["field"] == field, (path, body, answer)
    lookup_bad = client.post("/v1/pos/quote", headers=shop.till(), json={
        "member": {"phone": "12"}, "lines": [GOOD_LINE]})
    assert error(lookup_bad, 422, "invalid_phone")["field"] == "member.phone"
    assert row_counts(rt) == before
    assert client.get("/v1/admin/members", headers=shop.owner).json() == []


def test_commit_without_idempotency_key_is_refused(client: TestClient, shop: Shop,
                                                   rt: Runtime) -> None:
    before = row_counts(rt)
    for headers in (shop.till(), {**shop.till(), "Idempotency-Key": ""},
                    {**shop.till(), "Idempotency-Key": "k" * 201}):
        response = client.post("/v1/pos/commit", headers=headers,
                               json={"receipt_id": "R-1", "lines": [GOOD_LINE]})
        assert error(response, 422, "invalid_input")["field"] == "Idempotency-Key"
    assert row_counts(rt) == before


BAD_PROGRAMS: list[tuple[str, dict[str, Any], str]] = [
    ("equal thresholds", {"levels": [LEVELS[0], {**LEVELS[1], "threshold_minor": 0}]},
     "levels"),
    ("falling thresholds", {"levels": [LEVELS[0], LEVELS[2], LEVELS[1]]}, "levels"),
    ("first level above 0", {"levels": [LEVELS[1]]}, "levels"),
    ("no levels", {"levels": []}, "levels"),
    ("duplicate codes", {"levels": [LEVELS[0], {**LEVELS[1], "code": "base"}]}, "levels"),
    ("rate above 100 %", {"levels": [{**LEVELS[0], "rate_bp": 10_001}]}, "levels.0"),
    ("negative threshold", {"levels": [LEVELS[0], {**LEVELS[1], "threshold_minor": -5}]},
     "levels"),
    ("unknown field", {"redeem_share_max_pb": 5000}, "redeem_share_max_pb"),
    ("unknown level field", {"levels": [{**LEVELS[0], "colour": "red"}]}, "levels.0.colour"),
    ("string for an int", {"redeem_share_max_bp": "3000"}, "redeem_share_max_bp"),
    ("share above 100 %", {"redeem_share_max_bp": 10_001}, "redeem_share_max_bp"),
    ("unknown mode", {"earn_mode": "cashback"}, "earn_mode"),
    ("pending longer than expiry", {"pending_days": 400}, "pending_days"),
    ("zero point value", {"point_value_minor": 0}, "point_value_minor"),
]


@pytest.mark.parametrize(("changes", "field"),
                         [pytest.param(c, f, id=n) for n, c, f in BAD_PROGRAMS])
def test_bad_program_is_422_naming_the_field_and_saves_no_version(
        client: TestClient, shop: Shop, changes: dict[str, Any], field: str) -> None:
    response = client.put("/v1/admin/program", headers=shop.owner,
                          json={**rules(client, shop), **changes})
    answer = error(response, 422, "invalid_input")
    assert answer["field"] == field or answer["field"].startswith(field + "."), answer
    assert not answer["detail"].startswith("program:"), answer
    versions = client.get("/v1/admin/program/versions", headers=shop.owner).json()
    assert [v["version"] for v in versions] == [1]


# Holds ------------------------------------------------------------------------------------------

def test_hold_reserves_commit_captures_release_frees(client: TestClient, shop: Shop) -> None:
    member_id = register(client, shop)
    adjust(client, shop, member_id, 1000)
    me, basket = {"id": member_id}, [line(100_000)]  # at most 300 points on 1,000.00

    held = quote(client, shop, basket, member=me, points_to_spend=200, hold=True)
    assert held["hold"]["points"] == 200
    view = lookup(client, shop, id=member_id)
    assert (view["balance_points"], view["held_points"], view["spendable_points"]) == \
        (1000, 200, 800)
    assert "hold" not in quote(client, shop, basket, member=me, points_to_spend=200)

    sold = commit(client, shop, "R-1", basket, member=me, points_to_spend=200,
                  hold_id=held["hold"]["id"])
    assert sold["points_spent"] == 200 and sold["paid_minor"] == 80_000
    view = lookup(client, shop, id=member_id)
    assert view["held_points"] == 0
    assert view["balance_points"] == view["spendable_points"] == 800 + sold["points_earned"]

    again = quote(client, shop, basket, member=me, points_to_spend=100, hold=True)
    assert lookup(client, shop, id=member_id)["spendable_points"] == view["balance_points"] - 100
    released = client.post(f"/v1/pos/holds/{again['hold']['id']}/release", headers=shop.till())
    assert released.status_code == 204
    view = lookup(client, shop, id=member_id)
    assert view["held_points"] == 0 and view["spendable_points"] == view["balance_points"]
    unknown = client.post("/v1/pos/holds/999999/release", headers=shop.till())
    assert error(unknown, 404, "not_found")
    ledger_is_clean(client, shop)


def test_expired_hold_frees_its_points(client: TestClient, shop: Shop,
                                       clock: FakeClock) -> None:
    member_id = register(client, shop)
    adjust(client, shop, member_id, 300)
    me, basket = {"id": member_id}, [line(100_000)]  # at most 300 points on 1,000.00
    old = quote(client, shop, basket, member=me, points_to_spend=300, hold=True)
    assert lookup(client, shop, id=member_id)["spendable_points"] == 0

    clock.advance(seconds=rules(client, shop)["hold_ttl_seconds"] + 1)
    view = lookup(client, shop, id=member_id)
    assert (view["held_points"], view["spendable_points"]) == (0, 300)
    assert quote(client, shop, basket, member=me)["max_spendable_points"] == 300
    # The points may be held again; the expired hold then reserves nothing any more.
    new = quote(client, shop, basket, member=me, points_to_spend=300, hold=True)
    refused = post_commit(client, shop, "R-1", basket, member=me, points_to_spend=300,
                          hold_id=old["hold"]["id"])
    assert error(refused, 409, "redemption_refused")["field"] == "points_to_spend"
    sold = commit(client, shop, "R-2", basket, member=me, points_to_spend=300,
                  hold_id=new["hold"]["id"])
    assert sold["points_spent"] == 300
    ledger_is_clean(client, shop)


def test_commit_after_hold_expiry_spends_free_points(client: TestClient, shop: Shop,
                                                     clock: FakeClock) -> None:
    """An expired hold_id is not captured; the commit spends points that are free anyway."""
    member_id = register(client, shop)
    adjust(client, shop, member_id, 1000)
    me, basket = {"id": member_id}, [line(100_000)]
    held = quote(client, shop, basket, member=me, points_to_spend=100, hold=True)
    clock.advance(seconds=rules(client, shop)["hold_ttl_seconds"] + 1)
    sold = commit(client, shop, "R-1", basket, member=me, points_to_spend=100,
                  hold_id=held["hold"]["id"])
    assert sold["points_spent"] == 100
    assert lookup(client, shop, id=member_id)["balance_points"] == 900 + sold["points_earned"]
    ledger_is_clean(client, shop)


# Redemption -------------------------------------------------------------------------------------

def test_spending_is_capped_by_balance_and_share(client: TestClient, shop: Shop,
                                                 rt: Runtime) -> None:
    member_id = register(client, shop)
    me = {"id": member_id}
    adjust(client, shop, member_id, 10_000)
    basket = [line(60_000), line(40_000, category="food")]  # 1,000.00

    priced = quote(client, shop, basket, member=me)
    assert priced["max_spendable_points"] == 300  # 30 % of 1,000.00, 1 point = 1.00
    before = row_counts(rt)
    too_much = post_commit(client, shop, "R-1", basket, member=me, points_to_spend=301)
    assert error(too_much, 409, "redemption_refused")["field"] == "points_to_spend"
    assert error(client.post("/v1/pos/quote", headers=shop.till(), json={
        "member": me, "lines": basket, "points_to_spend": 301}), 409, "redemption_refused")
    assert row_counts(rt) == before

    sold = commit(client, shop, "R-1", basket, member=me, points_to_spend=300)
    assert (sold["points_spent"], sold["points_discount_minor"], sold["paid_minor"]) == \
        (300, 30_000, 70_000)
    assert sum(ln["points_spent"] for ln in sold["lines"]) == 300
    assert sold["points_earned"] == 21  # 3 % of the 700.00 paid in money

    poor = register(client, shop, OTHER_PHONE)
    adjust(client, shop, poor, 50)
    assert quote(client, shop, basket, member={"id": poor})["max_spendable_points"] == 50
    refused = post_commit(client, shop, "R-2", basket, member={"id": poor},
                          points_to_spend=51)
    assert error(refused, 409, "redemption_refused")
    anonymous = post_commit(client, shop, "R-3", basket, points_to_spend=1)
    assert error(anonymous, 422, "invalid_input")["field"] == "points_to_spend"
    ledger_is_clean(client, shop)


def test_excluded_categories_neither_earn_nor_take_points(client: TestClient,
                                                          shop: Shop) -> None:
    set_program(client, shop, redeem_excluded_categories=["tobacco"],
                earn_excluded_categories=["tobacco", "gift_cards"])
    member_id = register(client, shop)
    adjust(client, shop, member_id, 10_000)
    me = {"id": member_id}
    basket = [line(100_000), line(50_000, category="tobacco"),
              line(20_000, category="gift_cards")]

    priced = quote(client, shop, basket, member=me)
    assert priced["max_spendable_points"] == 360  # 30 % of the 1,200.00 payable by points
    assert priced["points_earned"] == 30  # 3 % of the 1,000.00 that earns
    assert [ln["points_earned"] for ln in priced["lines"]] == [30, 0, 0]
    excluded = next(e["text"] for e in priced["explanations"] if e["code"] == "earn_excluded")
    assert "gift_cards" in excluded and "tobacco" in excluded

    sold = commit(client, shop, "R-1", basket, member=me, points_to_spend=360)
    spent = [ln["points_spent"] for ln in sold["lines"]]
    assert spent[1] == 0 and sum(spent) == 360
    assert [ln["points_earned"] for ln in sold["lines"]][1:] == [0, 0]
    ledger_is_clean(client, shop)


def test_discount_mode_takes_the_rate_off_each_line(client: TestClient, shop: Shop) -> None:
    set_program(client, shop, earn_mode="discount", earn_excluded_categories=["tobacco"],
                levels=[{**LEVELS[0], "rate_bp": 500}], rounding_scope="line")
    member_id = register(client, shop)
    basket = [line(1999), line(2550, quantity=2, category="food"),
              line(10_000, category="tobacco")]
    priced = quote(client, shop, basket, member={"id": member_id})
    assert [ln["program_discount_minor"] for ln in priced["lines"]] == [99, 255, 0]
    assert priced["points_earned"] == 0
    assert priced["discount_minor"] == 354
    assert priced["paid_minor"] == 1999 + 5100 + 10_000 - 354
    assert "program_discount" in codes(priced)

    sold = commit(client, shop, "R-1", basket, member={"id": member_id})
    receipt = client.get(f"/v1/admin/receipts/{sold['receipt']['id']}",
                         headers=shop.owner).json()
    assert [ln["discount_minor"] for ln in receipt["lines"]] == [99, 255, 0]
    assert lookup(client, shop, id=member_id)["balance_points"] == 0
    anonymous = quote(client, shop, basket)
    assert anonymous["discount_minor"] == 0  # the discount is a member's benefit


# Words ------------------------------------------------------------------------------------------

def test_the_quote_says_nothing_about_spending_until_the_member_has_points(
        client: TestClient, shop: Shop) -> None:
    member_id = register(client, shop)
    first = quote(client, shop, [line(100_000)], member={"id": member_id})
    assert first["max_spendable_points"] == 0
    assert "spend_limit" not in [e["code"] for e in first["explanations"]]
    commit(client, shop, "R-1", [line(100_000)], member={"id": member_id})
    adjust(client, shop, member_id, 50)
    later = quote(client, shop, [line(100_000)], member={"id": member_id})
    [limit] = [e for e in later["explanations"] if e["code"] == "spend_limit"]
    assert limit["params"]["max_points"] == later["max_spendable_points"] > 0


def test_history_speaks_the_tenant_language(client: TestClient, shop: Shop,
                                            rt: Runtime) -> None:
    member_id = register(client, shop)
    commit(client, shop, "R-1", [line(100_000)], member={"id": member_id})
    adjust(client, shop, member_id, 5)
    history = client.get(f"/v1/pos/members/{member_id}/history", headers=shop.till()).json()
    texts = [t for entry in history for t in entry["explanations"]]
    assert "Ручная корректировка на 5 баллов: opening balance." in texts
    assert any(t.startswith("Уровень Base: 3") and "1\xa0000,00\xa0₽" in t for t in texts)

    english = make_shop(rt, "Corner Shop", region="GB", currency="GBP", locale="en_GB",
                        timezone="Europe/London")
    other = register(client, english, "+44 20 7946 0018")
    commit(client, english, "R-1", [line(100_000)], member={"id": other})
    history = client.get(f"/v1/admin/members/{other}/history", headers=english.owner).json()
    # No points to spend yet: nothing is said about spending them.
    assert not any("can be spent" in t for t in history[0]["explanations"])
    assert any("£1,000.00 paid = 30 points" in t for t in history[0]["explanations"])


# Merge ------------------------------------------------------------------------------------------

def test_merge_moves_points_lots_cards_and_phone(client: TestClient, shop: Shop,
                                                  clock: FakeClock) -> None:
    source = register(client, shop, PHONE, card="CARD-0001")
    commit(client, shop, "R-1", [line(100_000)], member={"id": source})  # 30 points
    clock.advance(days=10)
    adjust(client, shop, source, 70)
    target = register(client, shop, OTHER_PHONE)
    adjust(client, shop, target, 5)
    source_lots = client.get(f"/v1/admin/members/{source}/lots", headers=shop.owner).json()
    target_lots = client.get(f"/v1/admin/members/{target}/lots", headers=shop.owner).json()
    assert len(source_lots) == 2

    merged = client.post("/v1/admin/members/merge", json={"source_id": source,
                                                          "target_id": target},
                         headers={**shop.owner, "Idempotency-Key": "merge-1"})
    assert merged.status_code == 200, merged.text
    view = merged.json()
    assert view["id"] == target and view["balance_points"] == 105
    assert view["cards"] == ["CARD0001"] and view["phone"] == "+79161234567"
    lots = client.get(f"/v1/admin/members/{target}/lots", headers=shop.owner).json()
    moved = sorted((lot["points"], lot["expires_at"]) for lot in lots)
    assert moved == sorted((lot["points"], lot["expires_at"])
                           for lot in source_lots + target_lots)

    for ref in ({"phone": PHONE}, {"card": "CARD0001"}, {"id": source},
                {"phone": OTHER_PHONE}):
        assert lookup(client, shop, **ref)["id"] == target, ref
    receipts = client.get("/v1/admin/receipts", params={"member_id": target},
                          headers=shop.owner).json()
    assert [r["receipt_no"] for r in receipts] == ["R-1"]
    history = client.get(f"/v1/admin/members/{target}/history", headers=shop.owner).json()
    assert history[0]["code"] == "merge" and history[0]["points"] == 100
    assert client.get(f"/v1/admin/members/{source}/lots", headers=shop.owner).json() == []
    again = client.post("/v1/admin/members/merge", json={"source_id": source,
                                                         "target_id": target},
                        headers={**shop.owner, "Idempotency-Key": "merge-2"})
    assert error(again, 409, "conflict")
    ledger_is_clean(client, shop)


def test_adjust_and_merge_replay_the_first_answer_byte_for_byte(client: TestClient,
                                                                   shop: Shop) -> None:
    created = client.post("/v1/admin/members", headers=shop.owner, json={
        "phone": PHONE, "birthday": "1990-12-31", "first_name": "Ann", "card": "CARD-0042"})
    assert created.status_code == 201, created.text
    source = register(client, shop, OTHER_PHONE)
    target = created.json()["id"]
    calls = [(f"/v1/admin/members/{target}/adjust", {"points": 25, "reason": "goodwill"},
              "adj-bytes"),
             ("/v1/admin/members/merge", {"source_id": source, "target_id": target},
              "merge-bytes")]
    for path, body, key in calls:
        first = client.post(path, json=body, headers={**shop.owner, "Idempotency-Key": key})
        again = client.post(path, json=body, headers={**shop.owner, "Idempotency-Key": key})
        assert first.status_code == again.status_code == 200, first.text
        assert again.content == first.content
        view = first.json()
        assert view["birthday"] == "1990-12-31" and view["cards"] == ["CARD0042"]
        assert view["phone"] == created.json()["phone"] and view["balance_points"] == 25


def test_profile_dates_are_iso_8601(client: TestClient, shop: Shop) -> None:
    created = client.post("/v1/admin/members", headers=shop.owner,
                          json={"phone": PHONE, "birthday": "1990-12-31", "first_name": "Ann"})
    assert created.status_code == 201, created.text
    assert created.json()["birthday"] == "1990-12-31"
    patched = client.patch(f"/v1/admin/members/{created.json()['id']}", headers=shop.owner,
                           json={"birthday": "1991-01-01"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["birthday"] == "1991-01-01"
    for bad in ("01.01.1991", 662688000, "1991-01-01T00:00:00"):
        refused = client.patch(f"/v1/admin/members/{created.json()['id']}",
                               headers=shop.owner, json={"birthday": bad})
        assert error(refused, 422, "invalid_input")["field"] == "birthday", bad


# Consent ----------------------------------------------------------------------------------------

def test_consent_none_earns_nothing(client: TestClient, shop: Shop) -> None:
    member_id = register(client, shop, consent="none")
    sold = commit(client, shop, "R-1", [line(100_000)], member={"id": member_id})
    assert sold["points_earned"] == 0 and "no_earn_consent" in codes(sold)
    assert lookup(client, shop, id=member_id)["balance_points"] == 0
    history = client.get(f"/v1/admin/members/{member_id}/history", headers=shop.owner).json()
    assert history == []
    patched = client.patch(f"/v1/admin/members/{member_id}", headers=shop.owner,
                           json={"consent": "full"})
    assert patched.status_code == 200 and patched.json()["consent"] == "full"
    assert commit(client, shop, "R-2", [line(100_000)],
                  member={"id": member_id})["points_earned"] == 30


# Offline tills ----------------------------------------------------------------------------------

def test_offline_commit_is_accepted_once(client: TestClient, shop: Shop,
                                         clock: FakeClock) -> None:
    member_id = register(client, shop)
    occurred = (clock.now - timedelta(hours=3)).isoformat()
    basket = [line(100_000)]
    first = post_commit(client, shop, "OFF-1", basket, member={"id": member_id},
                        occurred_at=occurred, key="offline-a")
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    receipt = first.json()["receipt"]
    assert receipt["occurred_at"] == occurred
    assert receipt["recorded_at"] == clock.now.isoformat()
    lots = client.get(f"/v1/admin/members/{member_id}/lots", headers=shop.owner).json()
    assert lots[0]["available_at"] == occurred  # points date from the sale, not the upload

    clock.advance(minutes=5)
    same = post_commit(client, shop, "OFF-1", basket, member={"id": member_id},
                       occurred_at=occurred, key="offline-b")
    assert same.status_code == 200, same.text
    assert same.headers["Idempotent-Replayed"] == "true"
    assert same.json() == first.json()
    other = post_commit(client, shop, "OFF-1", [line(100_001)], member={"id": member_id},
                        occurred_at=occurred, key="offline-c")
    assert error(other, 409, "receipt_conflict")["field"] == "receipt_id"
    replay_of_a = post_commit(client, shop, "OFF-1", basket, member={"id": member_id},
                              occurred_at=occurred, key="offline-a")
    assert replay_of_a.json() == first.json()

    assert len(client.get("/v1/admin/receipts", headers=shop.owner).json()) == 1
    assert lookup(client, shop, id=member_id)["balance_points"] == 30
    ledger_is_clean(client, shop)
