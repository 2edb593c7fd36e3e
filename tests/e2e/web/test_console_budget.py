"""The console's loyalty budget page: the split in money and percent, every problem shown,
the values kept, the change audited, and this month's burn per bucket."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.domain.rewards.catalog import RewardDraft
from regulars.services.audit import audit
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.members.members import MemberRef
from regulars.services.promotions import budgets
from regulars.services.rewards import catalog
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, signed_in
from tests.integration.support import Pos, line


def test_the_split_is_saved_in_money_and_percent(client: TestClient, rt: Runtime,
                                                 shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/budget")
    assert page.status_code == 200 and 'id="bucket-mass"' in page.text
    wrong = client.post("/console/budget", data={**form_of(page.text), "total": "-1",
                                                 "base": "50", "mass": "x", "targeted": "25"})
    assert wrong.status_code == 422
    assert 'id="e-total"' in wrong.text and 'id="e-mass"' in wrong.text
    assert 'value="x"' in wrong.text
    uneven = client.post("/console/budget", data={**form_of(page.text), "total": "1000",
                                                  "base": "50", "mass": "30",
                                                  "targeted": "30"})
    assert uneven.status_code == 422 and "add up to 100" in uneven.text
    assert budgets.get_split(rt, shop.tenant_id).total_minor is None
    done = client.post("/console/budget", data={**form_of(page.text), "total": "1000.50",
                                                "base": "40", "mass": "35.5",
                                                "targeted": "24.5"}, follow_redirects=False)
    assert done.status_code == 303
    split = budgets.get_split(rt, shop.tenant_id)
    assert (split.total_minor, split.base_bp, split.mass_bp, split.targeted_bp) == (
        100050, 4000, 3550, 2450)
    [entry] = audit.entries(rt, shop.tenant_id, Filters(action="budget.split"))
    assert entry.subject == "budget" and "100050" in entry.detail
    shown = client.get("/console/budget?saved=1")
    assert 'id="saved"' in shown.text and 'value="1000.50"' in shown.text


def test_an_analyst_sees_the_budget_but_cannot_change_it(client: TestClient, rt: Runtime,
                                                         shop: Shop) -> None:
    signed_in(client, rt, shop, "analyst")
    page = client.get("/console/budget")
    assert page.status_code == 200 and 'id="budget-form"' not in page.text
    refused = client.post("/console/budget", data={**form_of(page.text), "total": "1",
                                                   "base": "100", "mass": "0",
                                                   "targeted": "0"})
    assert refused.status_code == 403


def test_the_base_bucket_shows_the_catalogue_rewards_it_counts(client: TestClient, rt: Runtime,
                                                              shop: Shop) -> None:
    pos = Pos(rt, shop)
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    coffee = catalog.create(rt, shop.tenant_id, RewardDraft(
        kind="product", points_cost=200, sku="CAP-M", titles={"en": "Free coffee"},
        descriptions={}, cost_minor=90), actor=audit.SYSTEM).id
    signed_in(client, rt, shop, "analyst")
    assert 'id="catalog-rewards"' not in client.get("/console/budget").text
    sale = Sale(member=MemberRef(id=member), lines=(line("CAP-M", 350),), reward_id=coffee)
    checkout_commit.commit(rt, pos.till(), CommitRequest(sale=sale, receipt_id="R-1"),
                           key="key-R-1", payload={"receipt": "R-1", "reward_id": coffee})
    page = client.get("/console/budget")
    shown = page.text.split('id="catalog-rewards">', 1)[1].split("</div>", 1)[0]
    # A point is worth 1.00 (RUB's default): the reward's 200 points are worth 200.00 and the
    # base bucket counts 0.90 - 200.00 for it.
    assert shown == ("catalogue rewards: 1 redeemed, costing RUB0.90 for points worth "
                     "RUB200.00; counted here: -RUB199.10")
