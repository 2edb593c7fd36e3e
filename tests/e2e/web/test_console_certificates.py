"""The console's gift certificates page: the report and liability, finding a certificate by
its code (a mistyped code is an error beside the field), and blocking it (owners only);
another tenant's certificate is not found."""

from __future__ import annotations

import pytest
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates
from regulars.services.stored_value.certificates import IssueOrder
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, signed_in


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def _issue(rt: Runtime, tenant_id: int) -> tuple[int, str]:
    series = certificates.create_series(rt, tenant_id, SeriesTerms(
        name="Winter cards", nominal_values_minor=(250_000,), valid_days=365), actor=audit.SYSTEM)
    done = certificates.issue(rt, tenant_id, IssueOrder(series_id=series.id, count=2,
                                                        amount_minor=250_000), actor=audit.SYSTEM)
    return done.certificate_ids[0], done.codes[0]


def test_find_block_and_report(client: TestClient, rt: Runtime, shop: Shop) -> None:
    certificate_id, code = _issue(rt, shop.tenant_id)
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/certificates")
    assert page.status_code == 200
    owed = format_currency(5000, "RUB", locale="en_GB")
    assert "Winter cards" in page.text and owed in page.text
    wrong = client.post("/console/certificates/lookup",
                        data={**form_of(page.text), "code": code[:-1] + "?"})
    assert wrong.status_code == 422 and 'id="code-error"' in wrong.text
    found = client.post("/console/certificates/lookup",
                        data={**form_of(page.text), "code": code.lower()})
    assert found.status_code == 200 and code[-4:] in found.text
    assert code not in found.text
    blocked = client.post(f"/console/certificates/{certificate_id}/block",
                          data={**form_of(found.text), "blocked": "yes"})
    assert blocked.status_code == 200 and 'id="found-status">blocked<' in blocked.text
    assert certificates.get_certificate(rt, shop.tenant_id, certificate_id).status == "blocked"


def test_an_analyst_cannot_block_and_another_tenant_is_not_found(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    other = make_shop(rt, "Other Café")
    foreign_id, _ = _issue(rt, other.tenant_id)
    certificate_id, _ = _issue(rt, shop.tenant_id)
    signed_in(client, rt, shop, "analyst")
    page = client.get(f"/console/certificates/{certificate_id}")
    assert page.status_code == 200 and "Block" not in page.text
    refused = client.post(f"/console/certificates/{certificate_id}/block",
                          data={**form_of(page.text), "blocked": "yes"})
    assert refused.status_code == 403
    assert client.get(f"/console/certificates/{foreign_id}").status_code == 404
