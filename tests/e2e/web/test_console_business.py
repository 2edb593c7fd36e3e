"""Business settings: the owner changes the name, language, time zone, colours and logo in the
console; the customer page shows them through a generated stylesheet and the served logo."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, signed_in

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _form(client: TestClient, **fields: str) -> dict[str, str]:
    page = client.get("/console/settings/business")
    assert page.status_code == 200, page.text
    values = {"name": "Corner Café", "locale": "ru_RU", "timezone": "Europe/Moscow",
              "brand_colour": "", "header_colour": ""}
    return {**form_of(page.text), **values, **fields}


def test_every_problem_shows_beside_its_field_and_nothing_is_saved(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    data = _form(client, name="  ", locale="xx_YY", timezone="Mars/Olympus",
                 brand_colour="#12", header_colour="teal")
    refused = client.post("/console/settings/business", data=data,
                          files={"logo": ("logo.svg", b"<svg/>", "image/svg+xml")})
    assert refused.status_code == 422
    for name in ("name", "locale", "timezone", "brand_colour", "header_colour", "logo"):
        assert f'id="e-{name}"' in refused.text, name
    assert 'value="Mars/Olympus"' in refused.text  # what was typed stays
    assert tenants.get_tenant(rt, shop.tenant_id).name == "Corner Café"
    assert not audit.entries(rt, shop.tenant_id, Filters(action="settings.business"))


def test_the_owner_brands_the_customer_page(client: TestClient, rt: Runtime,
                                            shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    data = _form(client, name="Bean & Leaf", locale="bg_BG", timezone="Europe/Sofia",
                 brand_colour="#7C2D12", header_colour="#fef3c7")
    saved = client.post("/console/settings/business", data=data,
                        files={"logo": ("logo.png", PNG, "application/octet-stream")},
                        follow_redirects=False)
    assert saved.status_code == 303, saved.text
    tenant = tenants.get_tenant(rt, shop.tenant_id)
    assert (tenant.name, tenant.locale, tenant.timezone) == ("Bean & Leaf", "bg_BG",
                                                            "Europe/Sofia")
    assert [e.action for e in audit.entries(rt, shop.tenant_id, Filters(action="settings"))
            ] == ["settings.logo", "settings.business"]

    page = client.get(f"/c/{shop.tenant_id}/sign-in")
    assert "Bean &amp; Leaf" in page.text and '<html lang="bg">' in page.text
    css_url = page.text.split('<link rel="stylesheet" href="')[2].split('"')[0]
    assert css_url.startswith(f"/c/{shop.tenant_id}/brand.css?v=")
    css = client.get(css_url)
    assert css.headers["content-type"].startswith("text/css")
    assert "--brand: #7c2d12" in css.text and "--header: #fef3c7" in css.text
    assert "--header-ink: #1d2330" in css.text  # dark text on the light header
    assert "immutable" in css.headers["cache-control"]
    logo_url = page.text.split('id="brand-logo"')[0].rsplit('src="', 1)[1].split('"')[0]
    logo = client.get(logo_url)
    assert logo.status_code == 200 and logo.content == PNG
    assert logo.headers["content-type"] == "image/png"
    assert "content-security-policy" in logo.headers and 'style="' not in page.text

    removed = client.post("/console/settings/business",
                          data={**_form(client), "remove_logo": "1"}, follow_redirects=False)
    assert removed.status_code == 303
    assert client.get(f"/c/{shop.tenant_id}/logo").status_code == 404
    assert 'id="brand-logo"' not in client.get(f"/c/{shop.tenant_id}/sign-in").text


def test_only_owners_open_the_business_settings(client: TestClient, rt: Runtime,
                                                shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    assert client.get("/console/settings/business").status_code == 403


def test_a_business_without_a_brand_gets_the_default_look(client: TestClient,
                                                          shop: Shop) -> None:
    css = client.get(f"/c/{shop.tenant_id}/brand.css")
    assert "--brand: #0f766e" in css.text and css.headers["cache-control"] == "no-cache"
    assert client.get(f"/c/{shop.tenant_id}/logo").status_code == 404
    assert client.get("/c/999999/brand.css").status_code == 404


def test_settings_name_the_language_and_time_zone_and_store_their_codes(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    saved = client.post("/console/settings/business", follow_redirects=False,
                        data=_form(client, locale="en_IE", timezone="Europe/Dublin"))
    assert saved.status_code == 303, saved.text
    tenant = tenants.get_tenant(rt, shop.tenant_id)
    assert (tenant.locale, tenant.timezone) == ("en_IE", "Europe/Dublin")
    client.get("/console/language", params={"lang": "en", "back": "/console"})
    page = client.get("/console/settings").text
    assert 'id="business-locale">English (Ireland)<' in page
    assert 'id="business-timezone">Dublin, Ireland<' in page
    client.get("/console/language", params={"lang": "ru", "back": "/console"})
    page = client.get("/console/settings").text
    assert 'id="business-locale">английский (Ирландия)<' in page
    assert 'id="business-timezone">Дублин, Ирландия<' in page
    form = client.get("/console/settings/business").text
    assert '<option value="en_IE">английский (Ирландия)</option>' in form
    assert '<option value="Europe/Dublin">Дублин, Ирландия</option>' in form
