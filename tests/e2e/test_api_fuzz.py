"""Every API operation fed inputs generated from the OpenAPI document (schemathesis): no input,
well-formed or not, gets a server error, and every answer is one the document allows.

The shop has one of everything first (a member with points and a receipt, a promotion, a
segment, a coupon series with codes, an owner with a password and a PIN), so that generated
ids — small numbers — often name a real object and the inputs reach past the look-up into
refunds, voids, edits and merges.

No answer carries a secret or a hash (:func:`no_secrets`). The one exception, by design: the
answer that creates an API key shows it once — ``POST /v1/admin/keys`` (an owner key),
``POST /v1/admin/terminals`` and ``POST /v1/admin/terminals/{terminal_id}/rotate-key`` (a till
key), and so does the answer that makes or rotates a webhook's signing secret; every other
answer, including the lists of keys, tills and webhooks, shows none."""

from __future__ import annotations

import copy
import itertools
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import make_url

from regulars.api.app import create_app
from regulars.config import Settings
from regulars.db.engine import Database, make_engine
from regulars.db.migrate import upgrade
from regulars.services.audit import audit
from regulars.services.feedback import ratings
from regulars.services.messaging import webhooks
from regulars.services.runtime import Runtime
from regulars.services.tenancy import settings as staff_settings
from tests.conftest import FakeClock, Shop, database_beside, make_shop


def _without_security(document: dict[str, Any]) -> dict[str, Any]:
    """The document without its security requirements: every request here carries a real
    key of the right scope (wrong and missing keys are tests/e2e/test_key_scopes_api's and
    test_tenant_isolation's), so no case should be generated with credentials left out."""
    found = copy.deepcopy(document)
    found.get("components", {}).pop("securitySchemes", None)
    for item in found["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return found


DOCUMENT = create_app().openapi()
SCHEMA = schemathesis.openapi.from_dict(_without_security(DOCUMENT))
OPERATION_SCOPES = {(method.upper(), path): operation["security"][0]["apiKey"]
                    for path, item in DOCUMENT["paths"].items()
                    for method, operation in item.items()
                    if isinstance(operation, dict) and operation.get("security")}

# An argon2 hash, an API key with its secret part, or a bare SHA-256 digest (keys, session
# tokens and coupon codes are stored as such digests).
SECRET = re.compile(r"\$argon2|\brg[ot]_[A-Za-z0-9_-]{8,}|\b[0-9a-f]{64}\b"
                    r"|whsec_[A-Za-z0-9+/]{8,}")
SHOWS_NEW_KEY_ONCE = {("POST", "/v1/admin/keys"), ("POST", "/v1/admin/terminals"),
                      ("POST", "/v1/admin/terminals/{terminal_id}/rotate-key"),
                      ("POST", "/v1/admin/webhooks"),
                      ("POST", "/v1/admin/webhooks/{endpoint_id}/rotate-secret")}


def no_secrets(ctx: Any, response: Any, case: Any) -> bool | None:  # noqa: ARG001
    """Fail when an answer carries something that looks like a secret or a hash (the answers
    that create a key show it once, by design). Text the request itself sent and the answer
    echoes (a generated store code of 64 hex digits) is no leak."""
    if (case.method.upper(), case.path) in SHOWS_NEW_KEY_ONCE and response.status_code < 300:
        return None
    kind = "".join(response.headers.get("content-type", []))
    if response.status_code < 300 and "spreadsheetml" in kind:  # an export: a zip, no text
        return None
    sent = repr((case.body, case.query, case.path_parameters, case.headers))
    for found in SECRET.finditer(response.text or ""):
        if found.group() not in sent:
            raise AssertionError(f"{case.method} {case.path} answered with a secret or hash: "
                                 f"{found.group()[:12]}…")
    return None


@dataclass
class Seeded:
    """A database with one of everything (``_seed``), made once per backend and copied for
    each operation, so that every operation starts from the same state and no fuzzed request
    (a revoked key, an erased member) reaches the next operation; and one key per role."""

    copy: Callable[[], str]
    roles: dict[str, dict[str, str]]


_SEEDED: dict[str, Seeded] = {}


def _runtime(url: str) -> Runtime:
    settings = Settings(database_url=url, webhook_private_addresses_allowed=True)
    return Runtime(db=Database.from_url(url, pool_size=30), clock=FakeClock(),
                   settings=settings)


def _seed_database(url: str) -> dict[str, dict[str, str]]:
    rt = _runtime(url)
    try:
        shop = make_shop(rt)
        with TestClient(create_app(rt)) as client:
            _seed(client, shop, rt)
            roles = {"admin": shop.owner, "pos": shop.till()}
            for scope in ("analytics", "events"):
                made = client.post("/v1/admin/keys", headers=shop.owner,
                                   json={"label": scope, "scopes": [scope]})
                assert made.status_code == 201, made.text
                roles[scope] = {"Authorization": f"Bearer {made.json()['key']}"}
    finally:
        rt.close()
    return roles


def _sqlite_seeded(request: pytest.FixtureRequest) -> Seeded:
    folder = request.getfixturevalue("tmp_path_factory").mktemp("fuzz")
    seeded = folder / "seeded.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), seeded)
    roles = _seed_database(f"sqlite:///{seeded}")
    count = itertools.count()

    def copy() -> str:
        target = folder / f"case-{next(count)}.db"
        shutil.copyfile(seeded, target)
        return f"sqlite:///{target}"

    return Seeded(copy, roles)


def _pg_seeded(request: pytest.FixtureRequest) -> Seeded:
    base = make_url(request.getfixturevalue("pg_migrated"))
    seeded, case = f"{base.database}_fuzz_seed", f"{base.database}_fuzz_case"
    address = base.render_as_string(hide_password=False)

    def recreate(name: str, template: str | None = None) -> str:
        return database_beside(address, name, template=template, fresh=True)

    url = recreate(seeded)
    migrated = make_engine(url)
    upgrade(migrated)
    migrated.dispose()
    roles = _seed_database(url)
    return Seeded(lambda: recreate(case, template=seeded), roles)


@pytest.fixture
def seeded(backend: str, request: pytest.FixtureRequest) -> Seeded:
    if backend not in _SEEDED:
        _SEEDED[backend] = (_pg_seeded if backend == "postgres" else _sqlite_seeded)(request)
    return _SEEDED[backend]


@pytest.fixture
def fuzz_client(seeded: Seeded) -> Iterator[TestClient]:
    rt = _runtime(seeded.copy())
    try:
        with TestClient(create_app(rt)) as client:
            yield client
    finally:
        rt.close()


def _roles(case: Any, seeded: Seeded) -> list[dict[str, str]]:
    """Every role the operation admits (the scopes its document lists), so that each answer
    is checked as each of them sees it: the owner's admin key, a read-only analytics key, an
    events key, a till."""
    scopes = OPERATION_SCOPES.get((case.method.upper(), case.path)) or ["admin"]
    return [seeded.roles[scope] for scope in scopes if scope in seeded.roles]


@SCHEMA.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, fuzz_client: TestClient, seeded: Seeded) -> None:
    for headers in _roles(case, seeded):
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        kwargs.pop("cookies", None)  # none are used; the client refuses them per request
        if isinstance(kwargs.get("data"), str | bytes):
            kwargs["content"] = kwargs.pop("data")
        if "files" in kwargs:
            _encode_upload(kwargs)
        response = fuzz_client.request(**kwargs)
        # Business rules refuse much that the document allows (an unknown member, a phone
        # number that is no number): the check that schema-valid input is accepted does not
        # apply.
        case.validate_response(response, excluded_checks=[positive_data_acceptance],
                               additional_checks=[no_secrets])


def _encode_upload(kwargs: dict[str, Any]) -> None:
    """A multipart upload, encoded up front so that its body can be checked."""
    parts = [(name, (file_name, value if isinstance(value, str | bytes) else str(value)))
             for name, (file_name, value) in kwargs.pop("files") or []]
    upload = httpx.Request(kwargs["method"], kwargs["url"], files=parts,
                           data=kwargs.pop("data", None))
    kwargs["content"] = upload.read()
    if "Content-Type" in upload.headers:
        kwargs["headers"] = {**kwargs.get("headers", {}),
                             "Content-Type": upload.headers["Content-Type"]}


def _seed(client: TestClient, shop: Shop, rt: Runtime) -> None:
    def ok(response: Any) -> dict[str, Any]:
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    member = ok(client.post("/v1/pos/members", headers=shop.till(),
                            json={"phone": "+7 800 775-01-11"}))
    # A second store, so that a rename may clash with the first's name.
    ok(client.post("/v1/admin/stores", headers=shop.owner,
                   json={"code": "north_2", "name": "North mall"}))
    ok(client.post(f"/v1/admin/members/{member['id']}/adjust",
                   headers={**shop.owner, "Idempotency-Key": "seed-adjust"},
                   json={"points": 500, "reason": "welcome"}))
    lines = [{"sku": "beans", "category": "coffee", "quantity": 2, "unit_price_minor": 5_000},
             {"sku": "milk", "category": "dairy", "quantity": 1, "unit_price_minor": 1_000}]
    sale = ok(client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "seed-1"},
                          json={"receipt_id": "S-1", "member": {"id": member["id"]},
                                "lines": lines, "points_to_spend": 10}))
    ratings.rate_own(rt, shop.tenant_id, member["id"], sale["receipt"]["id"], rating=4,
                     comment="Good")
    ok(client.post("/v1/admin/faq", headers=shop.owner, json={
        "language": "en", "question": "Do points expire?", "answer": "After a year."}))
    coffee = ok(client.post("/v1/admin/promotions", headers=shop.owner, json={
        "name": "Coffee week", "condition": "basket.total_minor >= 1000",
        "effects": [{"kind": "percent_discount", "rate_bp": 1000, "categories": ["coffee"]}]}))
    bonus = ok(client.post("/v1/admin/promotions", headers=shop.owner, json={
        "name": "Bonus", "effects": [{"kind": "bonus_points", "points": 10}]}))
    ok(client.post("/v1/admin/experiments", headers=shop.owner, json={
        "name": "Coffee or bonus", "variants": [
            {"name": "coffee", "promotion_id": coffee["id"]},
            {"name": "bonus", "promotion_id": bonus["id"]}]}))
    # A scenario with two draft promotions (addressed by their ids).
    scenario = ok(client.post("/v1/admin/scenarios", headers=shop.owner, json={
        "name": "Coffee week again", "first_day": "2026-01-01", "last_day": "2026-03-31",
        "promotions": [{"name": "Coffee", "condition": "member.level == 'base'", "effects": [
            {"kind": "percent_discount", "rate_bp": 1000, "categories": ["coffee"]}]}]}))
    ok(client.post(f"/v1/admin/scenarios/{scenario['id']}/promotions", headers=shop.owner,
                   json={"name": "Bonus", "effects": [{"kind": "bonus_points", "points": 10}]}))
    ok(client.post("/v1/admin/segments", headers=shop.owner,
                   json={"name": "Recent", "rules": [{"kind": "recency", "compare": "le",
                                                      "days": 30}]}))
    ok(client.post("/v1/admin/segments", headers=shop.owner,
                   json={"name": "Champions", "rules": [{"kind": "rfm",
                                                         "groups": ["champions"]}]}))
    series = ok(client.post("/v1/admin/coupon-series", headers=shop.owner, json={
        "name": "Welcome back", "max_uses": 1,
        "effect": {"kind": "percent_discount", "rate_bp": 1000}}))
    ok(client.post(f"/v1/admin/coupon-series/{series['id']}/codes", headers=shop.owner,
                   json={"count": 3}))
    gifts = ok(client.post("/v1/admin/certificate-series", headers=shop.owner, json={
        "name": "Gift card", "nominal_values_minor": [5_000], "valid_days": 365}))
    ok(client.post(f"/v1/admin/certificate-series/{gifts['id']}/certificates",
                   headers={**shop.owner, "Idempotency-Key": "seed-gifts"},
                   json={"count": 2, "amount_minor": 5_000}))
    product = ok(client.post("/v1/admin/products", headers=shop.owner,
                             json={"sku": "CAP-M", "name": "Cappuccino", "price_minor": 350}))
    cups = ok(client.post("/v1/admin/goods-accounts",
                          headers={**shop.owner, "Idempotency-Key": "seed-cups-open"},
                          json={"product_id": product["id"], "unit": "cup"}))["account"]
    ok(client.post(f"/v1/admin/goods-accounts/{cups['id']}/top-ups",
                   headers={**shop.owner, "Idempotency-Key": "seed-cups"},
                   json={"quantity_milli": 10_000, "paid_minor": 3_000, "lock_price": True}))
    # Cashback as a promotion, and a receipt that sells cups into the member's account
    # (opened by it): refunds and voids of it take them back.
    ok(client.post("/v1/admin/promotions", headers=shop.owner, json={
        "name": "Cups back", "effects": [{"kind": "cashback", "rate_bp": 300,
                                          "skus": ["CAP-M"], "max_minor": 500}]}))
    ok(client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "seed-cups"},
                   json={"receipt_id": "S-CUPS", "member": {"id": member["id"]},
                         "lines": [{"sku": "CAP-M", "quantity": 1, "unit_price_minor": 350}],
                         "goods_sold": [{"sku": "CAP-M", "quantity_milli": 5_000,
                                         "amount": 1_500}]}))
    reward = ok(client.post("/v1/admin/rewards/catalog", headers=shop.owner, json={
        "kind": "product", "points_cost": 100, "sku": "beans", "titles": {"en": "Free beans"},
        "stock_total": 50}))
    ok(client.post(f"/v1/admin/rewards/catalog/{reward['id']}/claim", headers=shop.owner,
                   json={"member_id": member["id"]}))
    ok(client.post("/v1/admin/staff", headers=shop.owner,
                   json={"name": "Mia", "email": "mia@example.com", "role": "marketer"}))
    # A cashier of a store, whose name and store a PATCH may change.
    ok(client.post("/v1/admin/staff", headers=shop.owner,
                   json={"name": "Cy", "role": "cashier", "store_id": shop.store_id}))
    # An owner works in the console (a password) and at a till (a PIN): both hashes exist.
    person = ok(client.post("/v1/admin/staff", headers=shop.owner,
                            json={"name": "Vera", "email": "vera@example.com", "role": "owner"}))
    staff_settings.set_password(rt, shop.tenant_id, person["id"], "correct horse battery",
                                actor=audit.SYSTEM)
    staff_settings.set_pin(rt, shop.tenant_id, person["id"], "4821", actor=audit.SYSTEM)
    # A webhook with a delivery (to a local address: the fuzz resolves no generated host).
    ok(client.post("/v1/admin/webhooks", headers=shop.owner,
                   json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}))
    webhooks.fan_out(rt, shop.tenant_id)
