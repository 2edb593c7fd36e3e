"""A scenario's draft promotions in the console: added with the promotion builder (read as a
real promotion's form is), listed in plain words, refused beside the field, edited (keeping
what the form does not show), removed; the run replays them, and figures from before a change
say they are of the earlier draft."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from regulars.domain.promotions.budgets import Limits
from regulars.domain.promotions.effects import Cashback
from regulars.domain.promotions.promotions import BonusPoints, PercentDiscount
from regulars.domain.promotions.segments import ConsentIn
from regulars.services.analytics import scenarios
from regulars.services.analytics.scenarios import ScenarioDraft
from regulars.services.audit import audit
from regulars.services.promotions import segments
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in
from tests.e2e.web.test_console_scenarios import owner, save

TEN_OFF = {
    "name": "10 % off baskets over 100",
    "mode": "builder",
    "c_total": "100",
    "effect": "percent_discount",
    "rate": "10",
    "stacking": "stackable",
    "priority": "0",
}


def _scenario(client: TestClient, rt: Runtime, shop: Shop) -> tuple[str, str]:
    """A saved scenario's page and the owner's CSRF token."""
    csrf = owner(client, rt, shop)
    saved = save(client, csrf, **{"level-0-rate": "3"})
    assert saved.status_code == 303, saved.text
    return saved.headers["location"], csrf


def _post(client: TestClient, url: str, csrf: str, **values: Any) -> Any:
    return client.post(url, data={**values, "csrf": csrf}, follow_redirects=False)


def _row(page: str, draft_id: str) -> list[str]:
    row = re.search(rf'<tr data-draft="{draft_id}">(.*?)</tr>', page, re.S)
    assert row is not None, draft_id
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


def _discounts(page: str) -> tuple[str, str]:
    found = re.search(
        r'data-figure="discount_minor"><td>[^<]*</td><td class="num">([^<]*)</td>'
        r'<td class="num">([^<]*)</td>',
        page,
    )
    assert found is not None
    return found.group(1), found.group(2)


def test_a_draft_promotion_is_added_listed_edited_run_and_removed(
    client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock
) -> None:
    member = client.post(
        "/v1/pos/members", headers=shop.till(), json={"phone": "+7 916 000-00-02"}
    ).json()
    client.post(
        "/v1/pos/commit",
        headers={**shop.till(), "Idempotency-Key": "c1"},
        json={
            "receipt_id": "c1",
            "member": {"id": member["id"]},
            "lines": [{"sku": "tea", "name": "Tea", "quantity": 1, "unit_price_minor": 15000}],
        },
    )
    page_url, csrf = _scenario(client, rt, shop)
    scenario_id = int(page_url.rsplit("/", 1)[1])
    page = client.get(page_url).text
    assert 'id="no-draft-promotions"' in page and 'id="add-draft-promotion"' in page

    form = client.get(f"{page_url}/promotions/new")
    assert form.status_code == 200
    # What a replay cannot hold is said, not offered.
    assert 'id="draft-limits"' in form.text
    for absent in (
        'id="f-c_visits"',
        'name="c_first"',
        'id="f-control_share"',
        'id="f-budget"',
        'value="gift_with_purchase"',
        'value="issue_coupon"',
    ):
        assert absent not in form.text, absent
    assert 'name="segment_id"' in form.text and 'value="percent_discount"' in form.text
    assert 'value="cashback"' in form.text  # a replay counts it in the reward cost

    refused = _post(client, f"{page_url}/promotions/new", csrf, **{**TEN_OFF, "rate": "abc"})
    assert refused.status_code == 422
    assert 'id="e-rate"' in refused.text and 'value="abc"' in refused.text
    assert 'class="field invalid"' in refused.text.split('id="f-rate"')[0][-300:]
    assert scenarios.get(rt, shop.tenant_id, scenario_id).promotions == ()

    added = _post(client, f"{page_url}/promotions/new", csrf, **TEN_OFF)
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"{page_url}#draft-promotions"
    saved = scenarios.get(rt, shop.tenant_id, scenario_id)
    [draft], [did] = saved.promotions, saved.promotion_ids
    assert draft.condition == "basket.total_minor >= 10000" and draft.segment_id is None
    page = client.get(page_url).text
    name, offer, condition, where, who, _ = _row(page, did)
    assert name == "10 % off baskets over 100"
    # The promotions page's words for the offer (a deliberate change from "percent off 10").
    assert offer == "10\u00a0% off" and "Basket total at least" in condition
    assert "100" in condition and where.startswith("from the start") and who == "Everyone"

    edit = client.get(f"{page_url}/promotions/{did}/edit")
    assert edit.status_code == 200 and 'value="10.00"' in edit.text
    assert 'value="100.00"' in edit.text
    assert (
        _post(
            client, f"{page_url}/promotions/{did}/edit", csrf, **{**TEN_OFF, "rate": "20"}
        ).status_code
        == 303
    )
    assert scenarios.get(rt, shop.tenant_id, scenario_id).promotions[0].effects[0].rate_bp == 2000  # type: ignore[union-attr]

    assert _post(client, f"{page_url}/run", csrf).status_code == 303
    page = client.get(page_url).text
    draft_discount, current_discount = _discounts(page)
    assert re.sub(r"\D", "", draft_discount) == "3000"  # 20 % of 150.00
    assert re.sub(r"\D", "", current_discount) == "000"
    assert 'id="stale-run"' not in page

    # A change after the run: its figures stay, said to be of the earlier draft.
    clock.advance(minutes=1)
    assert _post(client, f"{page_url}/promotions/{did}/remove", csrf).status_code == 303
    page = client.get(page_url).text
    assert 'id="stale-run"' in page and 'id="no-draft-promotions"' in page
    assert "(the scenario changed since)" in client.get("/console/scenarios").text
    assert scenarios.get(rt, shop.tenant_id, scenario_id).promotions == ()
    clock.advance(minutes=1)
    _post(client, f"{page_url}/run", csrf)
    page = client.get(page_url).text
    assert 'id="stale-run"' not in page and re.sub(r"\D", "", _discounts(page)[0]) == "000"
    assert "(the scenario changed since)" not in client.get("/console/scenarios").text


def test_what_a_replay_cannot_count_is_refused_beside_its_field(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    page_url, csrf = _scenario(client, rt, shop)
    url = f"{page_url}/promotions/new"
    visits = _post(
        client, url, csrf, **{**TEN_OFF, "mode": "expert", "condition": "member.visits >= 3"}
    )
    assert visits.status_code == 422 and 'id="e-condition"' in visits.text
    assert "member.visits" in visits.text.split('id="e-condition"')[1][:200]
    gift = _post(client, url, csrf, **{**TEN_OFF, "effect": "gift_with_purchase"})
    assert gift.status_code == 422 and 'id="e-effect"' in gift.text
    missing = _post(client, url, csrf, **{**TEN_OFF, "name": "", "c_total": "-1"})
    assert missing.status_code == 422
    assert 'id="e-name"' in missing.text and 'id="e-c_total"' in missing.text
    # The preview step shows the condition and saves nothing.
    preview = _post(client, url, csrf, **TEN_OFF, step="preview")
    assert preview.status_code == 200 and "basket.total_minor &gt;= 10000" in preview.text
    level = _post(client, url, csrf, **{**TEN_OFF, "c_level": "base"})
    assert level.status_code == 303
    scenario_id = int(page_url.rsplit("/", 1)[1])
    [draft] = scenarios.get(rt, shop.tenant_id, scenario_id).promotions
    assert "member.level" in draft.condition
    assert client.get(f"{page_url}/promotions/0/edit").status_code == 404
    assert _post(client, f"{page_url}/promotions/0/remove", csrf).status_code == 404
    # Cashback is money given away: a replay counts it, so a draft may give it.
    back = _post(client, url, csrf, **{**TEN_OFF, "effect": "cashback", "rate": "5"})
    assert back.status_code == 303, back.text
    saved = scenarios.get(rt, shop.tenant_id, scenario_id)
    assert saved.promotions[1].effects == (Cashback(rate_bp=500),)
    offer = _row(client.get(page_url).text, str(saved.promotion_ids[1]))[1]
    assert offer == ("5\u00a0% back into the wallet · Cashback is a share of: what is paid on "
                     "these lines · Rounding of cashback: down")


def test_an_analyst_reads_the_drafts_but_changes_none(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    page_url, csrf = _scenario(client, rt, shop)
    _post(client, f"{page_url}/promotions/new", csrf, **TEN_OFF)
    client.cookies.clear()
    add_staff(rt, shop.tenant_id, role="analyst", email="analyst@example.com")
    sign_in(client, "analyst@example.com")
    page = client.get(page_url)
    assert page.status_code == 200 and "10 % off baskets over 100" in page.text
    assert 'id="add-draft-promotion"' not in page.text and "/remove" not in page.text
    mine = csrf_of(page.text)
    assert client.get(f"{page_url}/promotions/new").status_code == 403
    [did] = scenarios.get(rt, shop.tenant_id, int(page_url.rsplit("/", 1)[1])).promotion_ids
    assert _post(client, f"{page_url}/promotions/{did}/remove", mine).status_code == 403
    assert len(scenarios.get(rt, shop.tenant_id, int(page_url.rsplit("/", 1)[1])).promotions) == 1


def test_editing_a_draft_keeps_what_the_form_does_not_show(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    everyone = segments.create(
        rt,
        shop.tenant_id,
        segments.Draft(name="Everyone", rules=(ConsentIn(values=frozenset({"full"})),)),
    )
    made = scenarios.create(
        rt,
        shop.tenant_id,
        ScenarioDraft(
            name="From the API",
            program=None,
            first_day=date(2026, 1, 1),
            last_day=date(2026, 3, 31),
            promotions=(
                Draft(
                    name="Capped",
                    effects=(PercentDiscount(rate_bp=500), BonusPoints(points=7)),
                    limits=Limits(budget_minor=90_000, uses_per_day=2),
                    segment_id=everyone.id,
                    control_share_bp=1000,
                ),
            ),
        ),
        actor=audit.SYSTEM,
    )
    csrf = owner(client, rt, shop)
    url = f"/console/scenarios/{made.id}/promotions/{made.promotion_ids[0]}/edit"
    form = client.get(url).text
    assert "This promotion also gives:" in form and "bonus points" in form
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    hidden.pop("csrf")
    changed = _post(
        client, url, csrf, **{**TEN_OFF, **hidden, "segment_id": str(everyone.id), "rate": "8"}
    )
    assert changed.status_code == 303, changed.text
    [kept] = scenarios.get(rt, shop.tenant_id, made.id).promotions
    assert kept.effects == (PercentDiscount(rate_bp=800), BonusPoints(points=7))
    assert (kept.limits.budget_minor, kept.limits.uses_per_day) == (90_000, 2)
    assert (kept.segment_id, kept.control_share_bp) == (everyone.id, 1000)
    shown = client.get(f"/console/scenarios/{made.id}").text
    assert "Everyone" in _row(shown, made.promotion_ids[0])[4]


def test_a_stale_page_cannot_edit_or_remove_another_draft_than_it_showed(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    """Drafts are addressed by id: once one is removed (by someone else, say), its edit and
    remove answer 404, even though another draft now stands where it stood."""
    page_url, csrf = _scenario(client, rt, shop)
    scenario_id = int(page_url.rsplit("/", 1)[1])
    for name in ("First", "Second"):
        assert _post(client, f"{page_url}/promotions/new", csrf, **{**TEN_OFF, "name": name})
    first, second = scenarios.get(rt, shop.tenant_id, scenario_id).promotion_ids
    assert first != second
    assert _post(client, f"{page_url}/promotions/{first}/remove", csrf).status_code == 303
    stale_edit = _post(
        client, f"{page_url}/promotions/{first}/edit", csrf, **{**TEN_OFF, "name": "Stale"}
    )
    assert stale_edit.status_code == 404
    assert client.get(f"{page_url}/promotions/{first}/edit").status_code == 404
    assert _post(client, f"{page_url}/promotions/{first}/remove", csrf).status_code == 404
    kept = scenarios.get(rt, shop.tenant_id, scenario_id)
    assert kept.promotion_ids == (second,) and [p.name for p in kept.promotions] == ["Second"]
    # An edit keeps the draft's id.
    _post(client, f"{page_url}/promotions/{second}/edit", csrf, **{**TEN_OFF, "name": "Again"})
    again = scenarios.get(rt, shop.tenant_id, scenario_id)
    assert again.promotion_ids == (second,) and again.promotions[0].name == "Again"
