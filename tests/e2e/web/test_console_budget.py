"""The console's loyalty budget page: the split in money and percent, every problem shown,
the values kept, the change audited, and this month's burn per bucket."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.promotions import budgets
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, signed_in


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
