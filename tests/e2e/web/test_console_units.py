"""Console pages give an offer, a coupon series, a segment's rules and an imported file's form
in the words an owner reads ("10 % off", "€2.50 off", "50 points", "spend at least €20.00"),
formatted as the rest of the console formats money and percentages, never in the units they
are stored in (basis points, cents) nor by a field's name."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.domain.promotions.effects import BonusPoints, FixedDiscount, PercentDiscount
from regulars.domain.promotions.segments import Compare, Spend, StoreShare
from regulars.services.audit import audit
from regulars.services.promotions import coupons, promotions, segments
from regulars.services.promotions.coupons import SeriesDraft
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import signed_in
from tests.e2e.web.test_console_imports import upload


@pytest.fixture
def cafe(rt: Runtime) -> Shop:
    return make_shop(rt, "Bean There", region="IE", currency="EUR", locale="en_IE",
                     timezone="Europe/Dublin")


def test_a_promotion_version_reads_as_its_offer(client: TestClient, rt: Runtime,
                                                cafe: Shop) -> None:
    signed_in(client, rt, cafe, "owner")
    made = promotions.create(rt, cafe.tenant_id, Draft(
        name="Coffee happy hour", condition="true",
        effects=(PercentDiscount(rate_bp=1000, categories=frozenset({"drinks"})),
                 BonusPoints(points=50))), actor=audit.SYSTEM)
    page = client.get(f"/console/promotions/{made.id}").text
    versions = page.split('id="versions"')[1]
    assert "<div>10\u00a0% off · categories: drinks</div>" in versions
    assert "<div>50 points</div>" in versions
    assert "rate" not in versions and "1000" not in versions


def test_a_coupon_series_reads_as_its_offer(client: TestClient, rt: Runtime,
                                            cafe: Shop) -> None:
    signed_in(client, rt, cafe, "owner")
    series = coupons.create_series(rt, cafe.tenant_id, SeriesDraft(
        name="Welcome back", effect=FixedDiscount(amount_minor=250)), actor=audit.SYSTEM)
    page = client.get(f"/console/coupons/{series.id}").text
    assert '<div class="sub" id="series-effect">€2.50 off</div>' in page
    assert "250" not in page.split('id="series-effect"')[1].split("</div>")[0]
    assert "€2.50 off" in client.get("/console/coupons").text


def test_a_segment_rule_reads_as_a_sentence(client: TestClient, rt: Runtime,
                                            cafe: Shop) -> None:
    signed_in(client, rt, cafe, "owner")
    made = segments.create(rt, cafe.tenant_id, segments.Draft(
        name="Big spenders", rules=(Spend(compare=Compare.GE, days=90, amount_minor=2000),
                                    StoreShare(store_id=cafe.store_id, days=30,
                                               min_percent=60))))
    page = client.get(f"/console/segments/{made.id}").text
    assert "spend at least €20.00 in the last 90 days" in page
    assert "at least 60\u00a0% of visits at store Main street in the last 30 days" in page
    assert "amount_minor" not in page and "compare" not in page


@pytest.mark.parametrize(("language", "said"), [
    ("en", "Read as text (values separated by a delimiter)"),
    ("ru", "текст (значения через разделитель)"),
    ("uk", "текст (значення через роздільник)"),
    ("bg", "текст (стойности с разделител)")])
def test_an_imported_file_is_read_as_a_named_form(client: TestClient, rt: Runtime,
                                                  shop: Shop, language: str, said: str) -> None:
    signed_in(client, rt, shop, "owner")
    client.get("/console/language", params={"lang": language, "back": "/console"})
    where = upload(client, b"phone,first_name\n+79161234567,Ann\n", kind="members")
    page = client.get(where).text
    assert said in page
    assert "TEXT" not in page
