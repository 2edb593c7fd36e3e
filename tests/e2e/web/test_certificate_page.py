"""A gift certificate's public page: its link (from the answer that issued it) shows the
balance and expiry, never the code; a PNG QR code of the address prints on the certificate;
an unknown token, another tenant's and a card not yet sold are not found."""

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


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def _issue(rt: Runtime, tenant_id: int, *, for_sale: bool = False) -> tuple[str, str]:
    series = certificates.create_series(rt, tenant_id, SeriesTerms(
        name="Gift card", nominal_values_minor=(250_000,), valid_days=365), actor=audit.SYSTEM)
    done = certificates.issue(rt, tenant_id, IssueOrder(
        series_id=series.id, count=1, amount_minor=250_000, for_sale=for_sale), actor=audit.SYSTEM)
    return done.codes[0], done.links[0]


def test_the_link_shows_the_balance_and_a_qr_code_but_never_the_code(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    code, link = _issue(rt, shop.tenant_id)
    page = client.get(link)
    assert page.status_code == 200, page.text
    amount = format_currency(2500, "RUB", locale="en_GB")
    assert f'id="certificate-balance">{amount}<' in page.text
    assert code not in page.text and code[-4:] in page.text
    png = client.get(f"{link}/qr.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_unknown_foreign_and_unsold_links_are_not_found(client: TestClient, rt: Runtime,
                                                        shop: Shop) -> None:
    _, link = _issue(rt, shop.tenant_id)
    other = make_shop(rt, "Other Café")
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/c/{other.tenant_id}/gift/{token}").status_code == 404
    assert client.get(f"/c/{shop.tenant_id}/gift/{'x' * 24}").status_code == 404
    _, pending = _issue(rt, shop.tenant_id, for_sale=True)
    assert client.get(pending).status_code == 404
    assert client.get(f"{pending}/qr.png").status_code == 404


@pytest.mark.parametrize(("language", "said"), [
    ("en", "this gift card is not active yet: it becomes active when it is sold"),
    ("ru", "эта подарочная карта ещё не активна: она станет активной после продажи"),
    ("uk", "ця подарункова картка ще не активна: вона стане активною після продажу"),
    ("bg", "тази карта за подарък още не е активна: ще стане активна, когато бъде продадена"),
])
def test_an_unsold_card_s_link_says_it_waits_for_its_sale_and_nothing_more(
        client: TestClient, rt: Runtime, shop: Shop, language: str, said: str) -> None:
    code, pending = _issue(rt, shop.tenant_id, for_sale=True)
    client.cookies.set("rg_lang", language)
    page = client.get(pending)
    assert page.status_code == 404
    assert f'id="error-detail">{said}<' in page.text
    assert "2500" not in page.text and "2 500" not in page.text and code[-4:] not in page.text


def test_a_link_not_found_or_malformed_is_explained_in_the_readers_language(
        client: TestClient, shop: Shop) -> None:
    client.cookies.set("rg_lang", "ru")
    unknown = client.get(f"/c/{shop.tenant_id}/gift/{'x' * 24}")
    assert unknown.status_code == 404
    assert 'id="error-detail">сертификат не найден<' in unknown.text
    short = client.get(f"/c/{shop.tenant_id}/gift/short")
    assert short.status_code == 422
    assert "такого адреса у страниц нет" in short.text
    assert "String should" not in short.text
