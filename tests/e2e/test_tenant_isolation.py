"""Invariant 5 over HTTP: a tenant sees and changes only its own data.

Two tenants, A and B. Every route that takes an id (in its path, its query or its body) is
called with B's key on A's ids; the answer is 404 (or, for identifiers that are only unique
within a tenant, B's own independent data), and A's members, balances, lots, receipts, keys,
tills and ledger stay exactly as they were. The route table is read from the application, so a
new route with an id parameter and no probe here fails :func:`test_every_id_parameter_is_probed`.

Authentication and authorisation are checked over every route as well: a till key on the admin
API and an owner key on the POS API are refused with 403; no key, a malformed or unknown key, a
revoked owner key and the key of a revoked or re-keyed till are refused with 401.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select

from regulars.api.app import create_app
from regulars.config import Settings
from regulars.db.engine import Database
from regulars.db.schema import metadata
from regulars.services.feedback import ratings
from regulars.services.messaging import webhooks
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop, make_shop
from tests.conftest import _truncate_pg as truncate_pg

# Names that point at something that belongs to a tenant: ids, and the member identifiers
# (phone, card, QR token) that are unique only within a tenant.
REFERENCE_NAMES = frozenset({"id", "phone", "card", "qr"})

BASKET = [
    {"sku": "beans", "name": "Beans 1kg", "category": "goods", "quantity": 1,
     "unit_price_minor": 100_000},
]

COUPON_SERIES = {"name": "Ten off", "effect": {"kind": "fixed_discount", "amount_minor": 1000}}

# A's promotion never applies (its condition is false), so it changes no receipt.
PROMOTION = {"name": "Never", "condition": "false",
             "effects": [{"kind": "bonus_points", "points": 10}]}

GIFT_SERIES = {"name": "Gift card", "nominal_values_minor": [5000], "valid_days": 365}
GS = "/v1/admin/certificate-series"
CT = "/v1/admin/certificates"
GA = "/v1/admin/goods-accounts"

SEGMENT = {"name": "Everyone", "rules": [{"kind": "consent", "values": ["full"]}]}
STAMP_CARD = {"name": "Coffee", "categories": ["coffee"], "per_card": 10,
              "reward": "free_item"}
PRODUCT = {"sku": "CAP-M", "name": "Cappuccino", "price_minor": 350, "category": "coffee",
           "favourite": True}
FAQ_ENTRY = {"language": "en", "question": "Do points expire?", "answer": "After a year."}
REWARD = {"kind": "product", "points_cost": 100, "sku": "beans", "titles": {"en": "Beans"}}

A_PHONE, A_PHONE_E164 = "+7 800 775-01-11", "+78007750111"
A_CARD = "CARDA0001"
A2_PHONE = "+7 916 123-45-67"
B_PHONE = "+7 903 123-45-67"
B_NEW_PHONE = "+7 926 765-43-21"


# Route discovery --------------------------------------------------------------------------------

def is_reference(name: str) -> bool:
    return name in REFERENCE_NAMES or name.endswith("_id")


def api_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) of every API route, nested routers included (web pages, which
    are left out of the OpenAPI schema, have their own isolation tests).

    FastAPI ≥ 0.16x keeps an included router as one entry of ``app.routes``; its public
    ``iter_route_contexts`` flattens them. Older versions list the routes themselves.
    """
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - older FastAPI
        return [(method, route.path_format, route) for route in app.routes
                if isinstance(route, APIRoute) and route.include_in_schema
                for method in sorted(route.methods)]
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            found += [(method, str(context.path_format), route)
                      for method in sorted(context.methods)]
    return found


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for argument in get_args(annotation):
        yield from _models_in(argument)


def _model_references(model: type[BaseModel], prefix: str = "") -> set[str]:
    found = set()
    for name, info in model.model_fields.items():
        if is_reference(name):
            found.add(prefix + name)
        for nested in _models_in(info.annotation):
            found |= _model_references(nested, f"{prefix}{name}.")
    return found


def reference_params(route: APIRoute) -> set[str]:
    """Path, query and (dotted) body parameters of ``route`` that name tenant data."""
    found: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        pending += dependant.dependencies
        found |= {p.name for p in dependant.path_params + dependant.query_params
                  if is_reference(p.name)}
        for param in dependant.body_params:
            for model in _models_in(param.field_info.annotation):
                found |= _model_references(model)
    return found


def _needs_auth(path: str) -> bool:
    return path not in ("/v1/health", "/v1/ready")


# The two tenants --------------------------------------------------------------------------------

@dataclass
class World:
    client: TestClient
    a: Shop
    b: Shop
    ids: dict[str, Any] = field(default_factory=dict)

    def post(self, path: str, headers: dict[str, str], body: Any = None,
             key: str | None = None) -> httpx.Response:
        if key:
            headers = {**headers, "Idempotency-Key": key}
        return self.client.post(path, headers=headers, json=body)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def build_world(client: TestClient, rt: Runtime) -> World:
    """Tenants A and B, their rows interleaved (so B's cursors run past A's ids)."""
    a, b = make_shop(rt, "Tenant A"), make_shop(rt, "Tenant B")
    w = World(client=client, a=a, b=b)
    b1 = _ok(w.post("/v1/pos/members", b.till(), {"phone": B_PHONE}))
    b_receipt = _ok(w.post("/v1/pos/commit", b.till(), {
        "receipt_id": "R-B-1", "member": {"id": b1["id"]}, "lines": BASKET}, key="b-r1"))

    rewards = {"events": [{"type": "review", "points": 5, "limit": 3, "period": "month"}]}
    for shop in (a, b):
        assert client.put("/v1/admin/rewards", headers=shop.owner,
                          json=rewards).status_code == 200
    a1 = _ok(w.post("/v1/pos/members", a.till(), {"phone": A_PHONE, "card": A_CARD}))
    a2 = _ok(w.post("/v1/admin/members", a.owner, {"phone": A2_PHONE}))
    receipt = _ok(w.post("/v1/pos/commit", a.till(), {
        "receipt_id": "R-A-1", "member": {"id": a1["id"]}, "lines": BASKET}, key="a-r1"))
    _ok(w.post(f"/v1/admin/members/{a1['id']}/adjust", a.owner,
               {"points": 500, "reason": "goodwill"}, key="a-adj"))
    _ok(w.post(f"/v1/admin/members/{a2['id']}/adjust", a.owner,
               {"points": 70, "reason": "goodwill"}, key="a-adj-2"))
    hold = _ok(w.post("/v1/pos/quote", a.till(), {
        "member": {"id": a1["id"]}, "lines": BASKET, "points_to_spend": 10, "hold": True}))
    staff = _ok(w.post("/v1/admin/staff", a.owner,
                       {"name": "Anna", "role": "cashier", "store_id": a.store_id}))
    marketer = _ok(w.post("/v1/admin/staff", a.owner,
                          {"name": "Mia", "email": "mia@example.com", "role": "marketer"}))
    spare_key = _ok(w.post("/v1/admin/keys", a.owner, {"label": "spare"}))
    promotion = _ok(w.post("/v1/admin/promotions", a.owner, PROMOTION))
    other_promotion = _ok(w.post("/v1/admin/promotions", a.owner, PROMOTION))
    experiment = _ok(w.post("/v1/admin/experiments", a.owner, {
        "name": "A or B", "variants": [{"name": "A", "promotion_id": promotion["id"]},
                                       {"name": "B", "promotion_id": other_promotion["id"]}]}))
    segment = _ok(w.post("/v1/admin/segments", a.owner, SEGMENT))
    product = _ok(w.post("/v1/admin/products", a.owner, PRODUCT))
    scenario = _ok(w.post(SC, a.owner, SCENARIO))
    scenario_run = _ok(w.post(f"{SC}/{scenario['id']}/runs", a.owner))
    b_scenario = _ok(w.post(SC, b.owner, SCENARIO))
    stamp_card = _ok(w.post("/v1/admin/stamp-cards", a.owner, STAMP_CARD))
    b_product = _ok(w.post("/v1/admin/products", b.owner, PRODUCT))
    a_goods = _ok(w.post(GA, a.owner, {"product_id": product["id"], "unit": "cup",
                                       "member": {"id": a1["id"]}},
                            key="a-goods-open"))["account"]
    _ok(w.post(f"{GA}/{a_goods['id']}/top-ups", a.owner,
               {"quantity_milli": 5000, "paid_minor": 1750}, key="a-goods"))
    a_goods_card = _ok(w.post(GA, a.owner, {"product_id": product["id"]}, key="a-goods-card"))
    a_reward = _ok(w.post(RC, a.owner, REWARD))
    b_reward = _ok(w.post(RC, b.owner, REWARD))
    _ok(w.post(f"{RC}/{a_reward['id']}/claim", a.owner, {"member_id": a1["id"]}))
    a_series = _ok(w.post("/v1/admin/coupon-series", a.owner, COUPON_SERIES))
    _ok(w.post(f"/v1/admin/coupon-series/{a_series['id']}/codes", a.owner, {"count": 2}))
    b_series = _ok(w.post("/v1/admin/coupon-series", b.owner, COUPON_SERIES))
    a_gift = _ok(w.post(GS, a.owner, GIFT_SERIES))
    a_gift_codes = _ok(w.post(f"{GS}/{a_gift['id']}/certificates", a.owner,
                              {"count": 1, "amount_minor": 5000}, key="a-gift"))
    b_gift = _ok(w.post(GS, b.owner, GIFT_SERIES))
    _ok(w.post("/v1/events", a.owner, {"event_id": "ev-a-1", "member": {"id": a1["id"]},
                                        "type": "review"}))
    history = client.get(f"/v1/admin/members/{a1['id']}/history", headers=a.owner).json()
    hooks = {shop.tenant_id: _ok(w.post("/v1/admin/webhooks", shop.owner, {
        "url": "http://127.0.0.1:9/hook", "event_types": ["*"]}))["endpoint"]["id"]
        for shop in (a, b)}
    for shop in (a, b):
        webhooks.fan_out(rt, shop.tenant_id)
    a_delivery = client.get(f"/v1/admin/webhooks/{hooks[a.tenant_id]}/deliveries",
                            headers=a.owner).json()[0]["id"]
    _ok(w.post("/v1/pos/otp", a.till(), {"member": {"id": a1["id"]}}))
    a_message = client.get("/v1/admin/messages", headers=a.owner).json()[0]["id"]
    a_campaign = _ok(w.post("/v1/admin/campaigns", a.owner, {
        "name": "Spring", "segment_id": segment["id"],
        "texts": {"en": {"body": "{first_name}, spring! {unsubscribe_url}"}}}))

    # A fraud flag of A's: its cashier shares a1's phone, and A flags on that alone.
    assert client.put(f"/v1/admin/staff/{staff['id']}/phone", headers=a.owner,
                      json={"phone": A_PHONE}).status_code == 204
    assert client.put("/v1/admin/analytics/fraud/settings", headers=a.owner,
                      json={"flag_score": 30}).status_code == 200
    assert _ok(w.post("/v1/admin/analytics/fraud/scan", a.owner, {}))["flagged"] == 1
    flag = client.get("/v1/admin/analytics/fraud/flags", headers=a.owner).json()["items"][0]

    ratings.rate_own(rt, a.tenant_id, a1["id"], receipt["receipt"]["id"], rating=2,
                     comment="Cold")
    [a_feedback] = client.get("/v1/admin/feedback", headers=a.owner).json()
    a_faq = _ok(w.post("/v1/admin/faq", a.owner, FAQ_ENTRY))

    _ok(w.post(f"/v1/admin/members/{b1['id']}/adjust", b.owner,
               {"points": 40, "reason": "goodwill"}, key="b-adj"))
    _ok(w.post("/v1/pos/commit", b.till(), {
        "receipt_id": "R-B-2", "member": {"id": b1["id"]}, "lines": BASKET}, key="b-r2"))
    w.ids = {
        "a_member": a1["id"], "a_member_2": a2["id"], "a_qr": a1["qr_token"],
        "a_receipt": receipt["receipt"]["id"], "a_hold": hold["hold"]["id"],
        "a_staff": staff["id"], "a_marketer": marketer["id"], "a_key": spare_key["id"],
        "a_store": a.store_id,
        "a_terminal": a.terminal_ids[0], "a_entry": max(e["id"] for e in history),
        "a_promotion": promotion["id"], "a_segment": segment["id"],
        "a_experiment": experiment["id"],
        "a_product": product["id"], "a_scenario": scenario["id"],
        "a_scenario_run": scenario_run["id"], "b_scenario": b_scenario["id"],
        "a_draft": scenario["promotions"][0]["id"],
        "a_stamp_card": stamp_card["id"], "b_product": b_product["id"], "a_goods": a_goods["id"],
        "a_goods_card": a_goods_card["card_number"], "a_referral_code": a1["referral"]["code"],
        "a_series": a_series["id"], "b_series": b_series["id"],
        "a_gift_series": a_gift["id"], "b_gift_series": b_gift["id"],
        "a_certificate": a_gift_codes["certificate_ids"][0],
        "a_certificate_code": a_gift_codes["codes"][0],
        "b_member": b1["id"], "b_receipt": b_receipt["receipt"]["id"], "a_flag": flag["id"],
        "a_webhook": hooks[a.tenant_id], "b_webhook": hooks[b.tenant_id],
        "a_delivery": a_delivery, "a_message": a_message, "a_campaign": a_campaign["id"],
        "a_reward": a_reward["id"], "b_reward": b_reward["id"],
        "a_feedback": a_feedback["id"], "a_faq": a_faq["id"],
    }
    return w


@pytest.fixture(scope="module")
def sqlite_world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, World]:
    """The two tenants built once on SQLite; each test starts from a copy of the file."""
    path = tmp_path_factory.mktemp("isolation") / "world.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    rt = Runtime(db=Database.from_url(url), clock=FakeClock(),
                 settings=Settings(database_url=url, webhook_private_addresses_allowed=True))
    try:
        with TestClient(create_app(rt)) as client:
            built = build_world(client, rt)
    finally:
        rt.close()
    return path, built


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """As in conftest, but SQLite starts from the prebuilt world (built per test on
    PostgreSQL)."""
    if backend == "postgres":
        url: str = request.getfixturevalue("pg_migrated")
        truncate_pg(url)
        return url
    template, _ = request.getfixturevalue("sqlite_world")
    target = tmp_path / "regulars.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def world(backend: str, client: TestClient, rt: Runtime, clock: FakeClock,
          request: pytest.FixtureRequest) -> World:
    # These tests send every route wrong keys from one client: the throttle of wrong keys
    # (tests/e2e/test_api_key_throttle.py) would answer 429 before the 401 they look for.
    rt.settings = rt.settings.model_copy(update={"api_auth_failures_free": 10**9,
                                                 "webhook_private_addresses_allowed": True})
    if backend == "postgres":
        return build_world(client, rt)
    _, built = request.getfixturevalue("sqlite_world")
    assert clock.now == FakeClock().now  # the world's holds were placed at this moment
    return World(client=client, a=built.a, b=built.b, ids=dict(built.ids))


def stored_rows(rt: Runtime, tenant_id: int | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row (of one tenant, or of all): the strictest "nothing changed"."""
    seen: dict[str, list[tuple[Any, ...]]] = {}
    with rt.db.read() as conn:
        for table in metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            if tenant_id is not None:
                owner = table.c.id if table.name == "tenants" else table.c.get("tenant_id")
                if owner is None:
                    continue
                query = query.where(owner == tenant_id)
            seen[table.name] = [tuple(row) for row in conn.execute(query)]
    return seen


def api_view(w: World, shop: Shop) -> Any:
    """What the owner sees of its members and their balances; the ledger must be clean."""
    check = w.client.get("/v1/admin/ledger/check", headers=shop.owner).json()
    assert check == {"ok": True, "problems": []}
    return w.client.get("/v1/admin/members", headers=shop.owner).json()


# The probes -------------------------------------------------------------------------------------

Call = Callable[[World], httpx.Response]
Check = Callable[[World, httpx.Response], None]


def not_found(_: World, response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    param: str
    call: Call
    check: Check = not_found

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} [{self.param}]"


def _pos(w: World, path: str, body: Any, *, key: str | None = None) -> httpx.Response:
    return w.post(path, w.b.till(), body, key=key)


def _admin(w: World, path: str, body: Any, *, key: str | None = None) -> httpx.Response:
    return w.post(path, w.b.owner, body, key=key)


def _sale(member: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"member": member, "lines": BASKET, **extra}


def _new_member_of_b(w: World, response: httpx.Response) -> None:
    """An identifier of A's reused in B names a new member of B: nothing of A's shows."""
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] not in (w.ids["a_member"], w.ids["a_member_2"])
    assert body["balance_points"] == 0
    found = w.client.get(f"/v1/admin/members/{body['id']}", headers=w.b.owner)
    assert found.status_code == 200


def _card_added_in_b(w: World, response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["id"] == w.ids["b_member"]
    assert A_CARD in response.json()["cards"]


def _own_receipt(w: World, response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert "Idempotent-Replayed" not in response.headers
    assert response.json()["receipt"]["id"] != w.ids["a_receipt"]
    assert response.json()["member"]["id"] == w.ids["b_member"]


def _unlinked_member_of_b(w: World, response: httpx.Response) -> None:
    """A's referral code typed in B is unknown there: B's member is registered, unlinked."""
    _new_member_of_b(w, response)
    assert response.json()["referral"]["linked"] is False
    assert response.json()["referral"]["reason"] == "unknown_code"


def _own_event(w: World, response: httpx.Response) -> None:
    """A's event id reused by B is B's own event, rewarded to B's member."""
    assert response.status_code == 200, response.text
    assert response.json()["member_id"] == w.ids["b_member"]
    assert response.json()["points"] == 5


def _event(member: dict[str, Any], event_id: str = "ev-x") -> dict[str, Any]:
    return {"event_id": event_id, "member": member, "type": "review"}


def _empty(_: World, response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == []


def _own_history_page(w: World, response: httpx.Response) -> None:
    """A cursor that is A's entry id pages through B's entries only."""
    assert response.status_code == 200, response.text
    full = w.client.get(f"/v1/admin/members/{w.ids['b_member']}/history",
                        headers=w.b.owner).json()
    page = [e for e in full if e["id"] < w.ids["a_entry"]]
    assert page and len(page) < len(full)  # the cursor falls between B's entries
    assert response.json() == page


M = "/v1/admin/members"
P = "/v1/admin/promotions"
SG = "/v1/admin/segments"
UP = "/v1/admin/analytics/uplift"
EX = "/v1/admin/experiments"
PR = "/v1/admin/products"
RC = "/v1/admin/rewards/catalog"


def _no_claims(_: World, response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == {"items": []}


def _b_promotion(w: World) -> int:
    """A promotion of B's own, for probing the body of a change."""
    return int(_ok(_admin(w, P, PROMOTION))["id"])


SC = "/v1/admin/scenarios"
SCENARIO = {"name": "Draft", "first_day": "2026-01-01", "last_day": "2026-03-31",
            "promotions": [PROMOTION]}


def _b_scenario(w: World) -> int:
    return int(w.ids["b_scenario"])


def _b_draft(w: World) -> str:
    """The id of B's scenario's first draft promotion."""
    found = w.client.get(f"{SC}/{_b_scenario(w)}", headers=w.b.owner).json()
    return str(found["promotions"][0]["id"])


def _b_draft_add(w: World, promotion: dict[str, Any]) -> httpx.Response:
    return _admin(w, f"{SC}/{_b_scenario(w)}/promotions", {**PROMOTION, **promotion})


def _b_draft_put(w: World, promotion: dict[str, Any]) -> httpx.Response:
    return w.client.put(f"{SC}/{_b_scenario(w)}/promotions/{_b_draft(w)}", headers=w.b.owner,
                        json={**PROMOTION, **promotion})


def _b_scenario_write(w: World, method: str, promotion: dict[str, Any]) -> httpx.Response:
    body = {**SCENARIO, "promotions": [{**PROMOTION, **promotion}]}
    if method == "POST":
        return _admin(w, SC, body)
    return w.client.put(f"{SC}/{_b_scenario(w)}", headers=w.b.owner, json=body)


def _invalid_draft(field: str) -> Callable[[World, httpx.Response], None]:
    def check(_world: World, response: httpx.Response) -> None:
        """A's segment or series named in B's draft promotion: refused, nothing saved."""
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    return check


def _invalid_segment(_world: World, response: httpx.Response) -> None:  # a Probe check
    """A's segment named in B's promotion is not found: refused, nothing saved."""
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "segment_id"


def _invalid_variants(_world: World, response: httpx.Response) -> None:  # a Probe check
    """A's promotions named as variants of B's experiment are not found: refused."""
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "variants"


def _invalid_series(_world: World, response: httpx.Response) -> None:  # a Probe check
    """A's coupon series named in B's promotion is not found: refused, nothing saved."""
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "effects.0.series_id"


def _b_staff_takes_a_phone(w: World) -> httpx.Response:
    """B's own cashier given A's member's phone: only B's staff changes."""
    staff = _ok(_admin(w, "/v1/admin/staff", {"name": "Bea", "role": "cashier"}))
    w.ids["b_staff"] = staff["id"]
    return w.client.put(f"/v1/admin/staff/{staff['id']}/phone", headers=w.b.owner,
                        json={"phone": A_PHONE})


def _b_staff_given_a_store(w: World) -> httpx.Response:
    """B's own cashier given A's store: refused, B's cashier keeps every store."""
    staff = _ok(_admin(w, "/v1/admin/staff", {"name": "Bo", "role": "cashier"}))
    w.ids["b_cashier"] = staff["id"]
    return w.client.patch(f"/v1/admin/staff/{staff['id']}", headers=w.b.owner,
                          json={"name": "Bo B", "store_id": w.ids["a_store"]})


def _store_refused(w: World, response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "store_id"
    staff = w.client.get(f"/v1/admin/staff/{w.ids['b_cashier']}", headers=w.b.owner).json()
    assert (staff["name"], staff["store_id"]) == ("Bo", None)


def _staff_not_added(w: World, response: httpx.Response) -> None:
    """A's store on a new staff member of B's is a 422 on ``store_id``, as an edit's is,
    and nobody is added."""
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "store_id"
    staff = w.client.get("/v1/admin/staff", headers=w.b.owner).json()
    assert "Boris" not in {s["name"] for s in staff}


def _till_not_added(w: World, response: httpx.Response) -> None:
    """A's store on a new till of B's is a 422 on ``store_id``, as a new staff member's is,
    and no till is added."""
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "store_id"
    tills = w.client.get("/v1/admin/terminals", headers=w.b.owner).json()
    assert "sneaky" not in {t["code"] for t in tills}


def _phone_is_b_own(w: World, response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    staff = w.client.get(f"/v1/admin/staff/{w.ids['b_staff']}", headers=w.b.owner).json()
    assert staff["phone"] == A_PHONE_E164


C = "/v1/admin/coupon-series"
WH = "/v1/admin/webhooks"
AN = "/v1/admin/analytics"
CA = "/v1/admin/campaigns"


def _a_identifier(w: World, name: str) -> Any:
    return {"id": w.ids["a_member"], "phone": A_PHONE, "card": A_CARD, "qr": w.ids["a_qr"]}[name]


PROBES: list[Probe] = [
    # POS: members
    Probe("POST", "/v1/pos/members/lookup", "id",
          lambda w: _pos(w, "/v1/pos/members/lookup", {"id": w.ids["a_member"]})),
    Probe("POST", "/v1/pos/members/lookup", "phone",
          lambda w: _pos(w, "/v1/pos/members/lookup", {"phone": A_PHONE})),
    Probe("POST", "/v1/pos/members/lookup", "card",
          lambda w: _pos(w, "/v1/pos/members/lookup", {"card": A_CARD})),
    Probe("POST", "/v1/pos/members/lookup", "qr",
          lambda w: _pos(w, "/v1/pos/members/lookup", {"qr": w.ids["a_qr"]})),
    Probe("POST", "/v1/pos/otp", "member.id",
          lambda w: _pos(w, "/v1/pos/otp", {"member": {"id": w.ids["a_member"]}})),
    Probe("POST", "/v1/pos/otp", "member.phone",
          lambda w: _pos(w, "/v1/pos/otp", {"member": {"phone": A_PHONE}})),
    Probe("POST", "/v1/pos/otp", "member.card",
          lambda w: _pos(w, "/v1/pos/otp", {"member": {"card": A_CARD}})),
    Probe("POST", "/v1/pos/otp", "member.qr",
          lambda w: _pos(w, "/v1/pos/otp", {"member": {"qr": w.ids["a_qr"]}})),
    Probe("POST", "/v1/pos/members", "phone",
          lambda w: _pos(w, "/v1/pos/members", {"phone": A_PHONE}), _new_member_of_b),
    Probe("POST", "/v1/pos/members", "card",
          lambda w: _pos(w, "/v1/pos/members", {"phone": B_NEW_PHONE, "card": A_CARD}),
          _new_member_of_b),
    Probe("POST", "/v1/pos/members", "referrer_id",
          lambda w: _pos(w, "/v1/pos/members", {"phone": B_NEW_PHONE,
                                                 "referrer_id": w.ids["a_member"]})),
    Probe("POST", "/v1/pos/members", "referral_code",
          lambda w: _pos(w, "/v1/pos/members", {"phone": B_NEW_PHONE,
                                                 "referral_code": w.ids["a_referral_code"]}),
          _unlinked_member_of_b),
    Probe("GET", "/v1/pos/members/{member_id}/referral", "member_id",
          lambda w: w.client.get(f"/v1/pos/members/{w.ids['a_member']}/referral",
                                 headers=w.b.till())),
    Probe("GET", "/v1/pos/members/{member_id}/history", "member_id",
          lambda w: w.client.get(f"/v1/pos/members/{w.ids['a_member']}/history",
                                 headers=w.b.till())),
    Probe("GET", "/v1/pos/members/{member_id}/history", "before_id",
          lambda w: w.client.get(f"/v1/pos/members/{w.ids['b_member']}/history",
                                 params={"before_id": w.ids["a_entry"]}, headers=w.b.till()),
          _own_history_page),
    # POS: quote and commit
    Probe("POST", "/v1/pos/quote", "member.id",
          lambda w: _pos(w, "/v1/pos/quote", _sale({"id": w.ids["a_member"]}))),
    Probe("POST", "/v1/pos/quote", "member.phone",
          lambda w: _pos(w, "/v1/pos/quote", _sale({"phone": A_PHONE}))),
    Probe("POST", "/v1/pos/quote", "member.card",
          lambda w: _pos(w, "/v1/pos/quote", _sale({"card": A_CARD}))),
    Probe("POST", "/v1/pos/quote", "member.qr",
          lambda w: _pos(w, "/v1/pos/quote", _sale({"qr": w.ids["a_qr"]}))),
    Probe("POST", "/v1/pos/commit", "member.id",
          lambda w: _pos(w, "/v1/pos/commit", _sale({"id": w.ids["a_member"]},
                                                    receipt_id="X-1"), key="x-1")),
    Probe("POST", "/v1/pos/commit", "member.phone",
          lambda w: _pos(w, "/v1/pos/commit", _sale({"phone": A_PHONE}, receipt_id="X-2"),
                         key="x-2")),
    Probe("POST", "/v1/pos/commit", "member.card",
          lambda w: _pos(w, "/v1/pos/commit", _sale({"card": A_CARD}, receipt_id="X-3"),
                         key="x-3")),
    Probe("POST", "/v1/pos/commit", "member.qr",
          lambda w: _pos(w, "/v1/pos/commit", _sale({"qr": w.ids["a_qr"]}, receipt_id="X-4"),
                         key="x-4")),
    Probe("POST", "/v1/pos/commit", "hold_id",
          lambda w: _pos(w, "/v1/pos/commit", _sale(
              {"id": w.ids["b_member"]}, receipt_id="X-5", hold_id=w.ids["a_hold"],
              points_to_spend=10), key="x-5")),
    Probe("POST", "/v1/pos/commit", "staff_id",
          lambda w: _pos(w, "/v1/pos/commit", _sale(
              {"id": w.ids["b_member"]}, receipt_id="X-6", staff_id=w.ids["a_staff"]),
              key="x-6")),
    Probe("POST", "/v1/pos/members", "staff_id",
          lambda w: _pos(w, "/v1/pos/members", {"phone": "+7 800 775-04-98",
                                                "staff_id": w.ids["a_staff"]})),
    # A's receipt number and A's Idempotency-Key, reused by B: a receipt of B's own.
    Probe("POST", "/v1/pos/commit", "receipt_id",
          lambda w: _pos(w, "/v1/pos/commit", _sale({"id": w.ids["b_member"]},
                                                    receipt_id="R-A-1"), key="a-r1"),
          _own_receipt),
    # POS: receipts and holds
    Probe("GET", "/v1/pos/receipts/{receipt_id}", "receipt_id",
          lambda w: w.client.get(f"/v1/pos/receipts/{w.ids['a_receipt']}",
                                 headers=w.b.till())),
    Probe("GET", "/v1/pos/receipts", "receipt_id",
          lambda w: w.client.get("/v1/pos/receipts", params={"receipt_id": "R-A-1"},
                                 headers=w.b.till())),
    Probe("POST", "/v1/pos/receipts/{receipt_id}/refund", "receipt_id",
          lambda w: _pos(w, f"/v1/pos/receipts/{w.ids['a_receipt']}/refund", {},
                         key="refund-x")),
    Probe("POST", "/v1/pos/receipts/{receipt_id}/void", "receipt_id",
          lambda w: _pos(w, f"/v1/pos/receipts/{w.ids['a_receipt']}/void", None,
                         key="void-x")),
    Probe("POST", "/v1/pos/holds/{hold_id}/release", "hold_id",
          lambda w: _pos(w, f"/v1/pos/holds/{w.ids['a_hold']}/release", None)),
    # Admin: stores, tills, staff, keys
    Probe("PATCH", "/v1/admin/stores/{store_id}", "store_id",
          lambda w: w.client.patch(f"/v1/admin/stores/{w.ids['a_store']}", headers=w.b.owner,
                                   json={"name": "Taken over"})),
    Probe("POST", "/v1/admin/terminals", "store_id",
          lambda w: _admin(w, "/v1/admin/terminals",
                           {"store_id": w.ids["a_store"], "code": "sneaky"}),
          _till_not_added),
    Probe("POST", "/v1/admin/terminals/{terminal_id}/rotate-key", "terminal_id",
          lambda w: _admin(w, f"/v1/admin/terminals/{w.ids['a_terminal']}/rotate-key", None)),
    Probe("DELETE", "/v1/admin/terminals/{terminal_id}", "terminal_id",
          lambda w: w.client.delete(f"/v1/admin/terminals/{w.ids['a_terminal']}",
                                    headers=w.b.owner)),
    Probe("POST", "/v1/admin/staff", "store_id",
          lambda w: _admin(w, "/v1/admin/staff", {"name": "Boris", "role": "cashier",
                                                  "store_id": w.ids["a_store"]}),
          _staff_not_added),
    Probe("GET", "/v1/admin/staff/{staff_id}", "staff_id",
          lambda w: w.client.get(f"/v1/admin/staff/{w.ids['a_staff']}", headers=w.b.owner)),
    Probe("POST", "/v1/admin/staff/{staff_id}/invitation", "staff_id",
          lambda w: _admin(w, f"/v1/admin/staff/{w.ids['a_marketer']}/invitation", None)),
    Probe("PATCH", "/v1/admin/staff/{staff_id}", "staff_id",
          lambda w: w.client.patch(f"/v1/admin/staff/{w.ids['a_staff']}", headers=w.b.owner,
                                   json={"role": "owner"})),
    Probe("PATCH", "/v1/admin/staff/{staff_id}", "store_id", _b_staff_given_a_store,
          _store_refused),
    Probe("PUT", "/v1/admin/staff/{staff_id}/phone", "staff_id",
          lambda w: w.client.put(f"/v1/admin/staff/{w.ids['a_staff']}/phone",
                                 headers=w.b.owner, json={"phone": B_NEW_PHONE})),
    Probe("PUT", "/v1/admin/staff/{staff_id}/phone", "phone", _b_staff_takes_a_phone,
          _phone_is_b_own),
    # Analytics: fraud flags
    Probe("GET", "/v1/admin/analytics/fraud/flags/{flag_id}", "flag_id",
          lambda w: w.client.get(f"/v1/admin/analytics/fraud/flags/{w.ids['a_flag']}",
                                 headers=w.b.owner)),
    Probe("POST", "/v1/admin/analytics/fraud/flags/{flag_id}/decision", "flag_id",
          lambda w: _admin(w, f"/v1/admin/analytics/fraud/flags/{w.ids['a_flag']}/decision",
                           {"decision": "dismissed"})),
    Probe("DELETE", "/v1/admin/staff/{staff_id}", "staff_id",
          lambda w: w.client.delete(f"/v1/admin/staff/{w.ids['a_staff']}",
                                    headers=w.b.owner)),
    Probe("DELETE", "/v1/admin/keys/{key_id}", "key_id",
          lambda w: w.client.delete(f"/v1/admin/keys/{w.ids['a_key']}", headers=w.b.owner)),
    # Admin: members
    Probe("POST", M, "phone", lambda w: _admin(w, M, {"phone": A_PHONE}), _new_member_of_b),
    Probe("POST", M, "card", lambda w: _admin(w, M, {"phone": B_NEW_PHONE, "card": A_CARD}),
          _new_member_of_b),
    Probe("POST", M, "referrer_id",
          lambda w: _admin(w, M, {"phone": B_NEW_PHONE, "referrer_id": w.ids["a_member"]})),
    Probe("GET", M + "/{member_id}", "member_id",
          lambda w: w.client.get(f"{M}/{w.ids['a_member']}", headers=w.b.owner)),
    Probe("PATCH", M + "/{member_id}", "member_id",
          lambda w: w.client.patch(f"{M}/{w.ids['a_member']}", headers=w.b.owner,
                                   json={"first_name": "Mallory", "consent": "none"})),
    Probe("POST", M + "/{member_id}/cards", "member_id",
          lambda w: _admin(w, f"{M}/{w.ids['a_member']}/cards", {"card": "EVIL0001"})),
    Probe("POST", M + "/{member_id}/cards", "card",
          lambda w: _admin(w, f"{M}/{w.ids['b_member']}/cards", {"card": A_CARD}),
          _card_added_in_b),
    Probe("POST", M + "/{member_id}/adjust", "member_id",
          lambda w: _admin(w, f"{M}/{w.ids['a_member']}/adjust",
                           {"points": -100, "reason": "theft"}, key="adj-x")),
    Probe("POST", M + "/{member_id}/erase", "member_id",
          lambda w: _admin(w, f"{M}/{w.ids['a_member']}/erase", None)),
    Probe("GET", M + "/{member_id}/export", "member_id",
          lambda w: w.client.get(f"{M}/{w.ids['a_member']}/export", headers=w.b.owner)),
    Probe("POST", M + "/merge", "source_id",
          lambda w: _admin(w, f"{M}/merge", {"source_id": w.ids["a_member"],
                                             "target_id": w.ids["b_member"]}, key="merge-x")),
    Probe("POST", M + "/merge", "target_id",
          lambda w: _admin(w, f"{M}/merge", {"source_id": w.ids["b_member"],
                                             "target_id": w.ids["a_member"]}, key="merge-y")),
    Probe("GET", M + "/{member_id}/history", "member_id",
          lambda w: w.client.get(f"{M}/{w.ids['a_member']}/history", headers=w.b.owner)),
    Probe("GET", M + "/{member_id}/history", "before_id",
          lambda w: w.client.get(f"{M}/{w.ids['b_member']}/history", headers=w.b.owner,
                                 params={"before_id": w.ids["a_entry"]}),
          _own_history_page),
    Probe("GET", M + "/{member_id}/lots", "member_id",
          lambda w: w.client.get(f"{M}/{w.ids['a_member']}/lots", headers=w.b.owner)),
    Probe("GET", M, "q (phone)",
          lambda w: w.client.get(M, params={"q": A_PHONE_E164}, headers=w.b.owner), _empty),
    Probe("GET", M, "q (card)",
          lambda w: w.client.get(M, params={"q": A_CARD}, headers=w.b.owner), _empty),
    Probe("GET", M + "/{member_id}/referral", "member_id",
          lambda w: w.client.get(f"{M}/{w.ids['a_member']}/referral", headers=w.b.owner)),
    # Events
    Probe("POST", "/v1/events", "member.id",
          lambda w: _admin(w, "/v1/events", _event({"id": w.ids["a_member"]}))),
    Probe("POST", "/v1/events", "member.phone",
          lambda w: _admin(w, "/v1/events", _event({"phone": A_PHONE}))),
    Probe("POST", "/v1/events", "member.card",
          lambda w: _admin(w, "/v1/events", _event({"card": A_CARD}))),
    Probe("POST", "/v1/events", "member.qr",
          lambda w: _admin(w, "/v1/events", _event({"qr": w.ids["a_qr"]}))),
    Probe("POST", "/v1/events", "event_id",
          lambda w: _admin(w, "/v1/events", _event({"id": w.ids["b_member"]}, "ev-a-1")),
          _own_event),
    # Admin: promotions
    Probe("GET", P + "/{promotion_id}", "promotion_id",
          lambda w: w.client.get(f"{P}/{w.ids['a_promotion']}", headers=w.b.owner)),
    Probe("PUT", P + "/{promotion_id}", "promotion_id",
          lambda w: w.client.put(f"{P}/{w.ids['a_promotion']}", headers=w.b.owner,
                                 json={**PROMOTION, "condition": "true"})),
    Probe("POST", P + "/{promotion_id}/archive", "promotion_id",
          lambda w: _admin(w, f"{P}/{w.ids['a_promotion']}/archive", None)),
    *[Probe("POST", P + "/{promotion_id}/" + step, "promotion_id",
            lambda w, step=step: _admin(w, f"{P}/{w.ids['a_promotion']}/{step}", None))
      for step in ("pause", "resume")],
    Probe("GET", P + "/{promotion_id}/burn", "promotion_id",
          lambda w: w.client.get(f"{P}/{w.ids['a_promotion']}/burn", headers=w.b.owner)),
    Probe("GET", P + "/{promotion_id}/groups", "promotion_id",
          lambda w: w.client.get(f"{P}/{w.ids['a_promotion']}/groups", headers=w.b.owner)),
    # Uplift and experiments
    Probe("GET", UP + "/promotions/{promotion_id}", "promotion_id",
          lambda w: w.client.get(f"{UP}/promotions/{w.ids['a_promotion']}",
                                 headers=w.b.owner)),
    Probe("POST", EX, "variants.promotion_id",
          lambda w: _admin(w, EX, {"name": "Theirs", "variants": [
              {"name": "A", "promotion_id": w.ids["a_promotion"]},
              {"name": "B", "promotion_id": _b_promotion(w)}]}), _invalid_variants),
    Probe("GET", EX + "/{experiment_id}", "experiment_id",
          lambda w: w.client.get(f"{EX}/{w.ids['a_experiment']}", headers=w.b.owner)),
    Probe("POST", EX + "/{experiment_id}/stop", "experiment_id",
          lambda w: _admin(w, f"{EX}/{w.ids['a_experiment']}/stop", None)),
    Probe("GET", EX + "/{experiment_id}/results", "experiment_id",
          lambda w: w.client.get(f"{EX}/{w.ids['a_experiment']}/results",
                                 headers=w.b.owner)),
    # Wallets
    *[Probe("POST", "/v1/pos/wallet/top-up", f"member.{name}",
            lambda w, name=name: _pos(w, "/v1/pos/wallet/top-up", {
                "member": {name: _a_identifier(w, name)}, "amount_minor": 100,
                "paid_by": "cash"}, key=f"top-{name}"))
      for name in ("id", "phone", "card", "qr")],
    Probe("GET", "/v1/pos/members/{member_id}/wallet", "member_id",
          lambda w: w.client.get(f"/v1/pos/members/{w.ids['a_member']}/wallet",
                                 headers=w.b.till())),
    Probe("GET", M + "/{member_id}/wallet", "member_id",
          lambda w: w.client.get(f"{M}/{w.ids['a_member']}/wallet", headers=w.b.owner)),
    # Admin: gift certificates
    Probe("GET", GS + "/{series_id}", "series_id",
          lambda w: w.client.get(f"{GS}/{w.ids['a_gift_series']}", headers=w.b.owner)),
    Probe("PUT", GS + "/{series_id}", "series_id",
          lambda w: w.client.put(f"{GS}/{w.ids['a_gift_series']}", headers=w.b.owner,
                                 json=GIFT_SERIES)),
    Probe("POST", GS + "/{series_id}/certificates", "series_id",
          lambda w: _admin(w, f"{GS}/{w.ids['a_gift_series']}/certificates",
                           {"count": 1, "amount_minor": 5000}, key="b-gift")),
    Probe("GET", CT, "series_id",
          lambda w: w.client.get(CT, params={"series_id": w.ids["a_gift_series"]},
                                 headers=w.b.owner), _empty),
    Probe("GET", CT + "/{certificate_id}", "certificate_id",
          lambda w: w.client.get(f"{CT}/{w.ids['a_certificate']}", headers=w.b.owner)),
    Probe("POST", CT + "/{certificate_id}/block", "certificate_id",
          lambda w: _admin(w, f"{CT}/{w.ids['a_certificate']}/block", None)),
    Probe("POST", CT + "/{certificate_id}/unblock", "certificate_id",
          lambda w: _admin(w, f"{CT}/{w.ids['a_certificate']}/unblock", None)),
    # Prepaid goods accounts
    Probe("POST", GA, "product_id",
          lambda w: _admin(w, GA, {"product_id": w.ids["a_product"], "unit": "cup"},
                           key="b-goods-open")),
    *[Probe("POST", GA, f"member.{name}",
            lambda w, name=name: _admin(w, GA, {
                "product_id": w.ids["b_product"], "unit": "cup",
                "member": {name: _a_identifier(w, name)}}, key=f"b-goods-{name}"))
      for name in ("id", "phone", "card", "qr")],
    Probe("GET", GA, "member_id",
          lambda w: w.client.get(GA, params={"member_id": w.ids["a_member"]},
                                 headers=w.b.owner), _empty),
    Probe("GET", GA + "/{account_id}", "account_id",
          lambda w: w.client.get(f"{GA}/{w.ids['a_goods']}", headers=w.b.owner)),
    Probe("POST", GA + "/{account_id}/top-ups", "account_id",
          lambda w: _admin(w, f"{GA}/{w.ids['a_goods']}/top-ups",
                           {"quantity_milli": 1000, "paid_minor": 350}, key="goods-x")),
    Probe("POST", GA + "/{account_id}/block", "account_id",
          lambda w: _admin(w, f"{GA}/{w.ids['a_goods']}/block", None)),
    Probe("POST", GA + "/{account_id}/unblock", "account_id",
          lambda w: _admin(w, f"{GA}/{w.ids['a_goods']}/unblock", None)),
    Probe("POST", "/v1/pos/goods-accounts/{account_id}/top-ups", "account_id",
          lambda w: _pos(w, f"/v1/pos/goods-accounts/{w.ids['a_goods']}/top-ups",
                         {"quantity_milli": 1000, "paid_minor": 350}, key="goods-y")),
    # Admin: coupon series
    Probe("GET", C + "/{series_id}", "series_id",
          lambda w: w.client.get(f"{C}/{w.ids['a_series']}", headers=w.b.owner)),
    Probe("POST", C + "/{series_id}/codes", "series_id",
          lambda w: _admin(w, f"{C}/{w.ids['a_series']}/codes", {"count": 1})),
    Probe("POST", C + "/{series_id}/codes", "member_id",
          lambda w: _admin(w, f"{C}/{w.ids['b_series']}/codes",
                           {"count": 1, "member_id": w.ids["a_member"]})),
    Probe("POST", P, "segment_id",
          lambda w: _admin(w, P, {**PROMOTION, "segment_id": w.ids["a_segment"]}),
          _invalid_segment),
    Probe("PUT", P + "/{promotion_id}", "segment_id",
          lambda w: w.client.put(f"{P}/{_b_promotion(w)}", headers=w.b.owner,
                                 json={**PROMOTION, "segment_id": w.ids["a_segment"]}),
          _invalid_segment),
    Probe("POST", P, "effects.series_id",
          lambda w: _admin(w, P, {**PROMOTION, "effects": [
              {"kind": "issue_coupon", "series_id": w.ids["a_series"]}]}),
          _invalid_series),
    Probe("PUT", P + "/{promotion_id}", "effects.series_id",
          lambda w: w.client.put(f"{P}/{_b_promotion(w)}", headers=w.b.owner,
                                 json={**PROMOTION, "effects": [
                                     {"kind": "issue_coupon",
                                      "series_id": w.ids["a_series"]}]}),
          _invalid_series),
    # Admin: segments
    Probe("GET", SG + "/{segment_id}", "segment_id",
          lambda w: w.client.get(f"{SG}/{w.ids['a_segment']}", headers=w.b.owner)),
    Probe("PUT", SG + "/{segment_id}", "segment_id",
          lambda w: w.client.put(f"{SG}/{w.ids['a_segment']}", headers=w.b.owner,
                                 json=SEGMENT)),
    Probe("GET", SG + "/{segment_id}/members", "segment_id",
          lambda w: w.client.get(f"{SG}/{w.ids['a_segment']}/members", headers=w.b.owner)),
    # Admin: scenarios
    *[Probe(method, SC + path, "scenario_id", call) for method, path, call in (
        ("GET", "/{scenario_id}",
         lambda w: w.client.get(f"{SC}/{w.ids['a_scenario']}", headers=w.b.owner)),
        ("PUT", "/{scenario_id}",
         lambda w: w.client.put(f"{SC}/{w.ids['a_scenario']}", headers=w.b.owner,
                                json=SCENARIO)),
        ("DELETE", "/{scenario_id}",
         lambda w: w.client.delete(f"{SC}/{w.ids['a_scenario']}", headers=w.b.owner)),
        ("POST", "/{scenario_id}/runs",
         lambda w: _admin(w, f"{SC}/{w.ids['a_scenario']}/runs", None)),
        ("GET", "/{scenario_id}/runs/{run_id}",
         lambda w: w.client.get(f"{SC}/{w.ids['a_scenario']}/runs/"
                                f"{w.ids['a_scenario_run']}", headers=w.b.owner)),
        ("POST", "/{scenario_id}/promotions",
         lambda w: _admin(w, f"{SC}/{w.ids['a_scenario']}/promotions", PROMOTION)),
        ("PUT", "/{scenario_id}/promotions/{draft_id}",
         lambda w: w.client.put(f"{SC}/{w.ids['a_scenario']}/promotions/{w.ids['a_draft']}",
                                headers=w.b.owner, json=PROMOTION)),
        ("DELETE", "/{scenario_id}/promotions/{draft_id}",
         lambda w: w.client.delete(f"{SC}/{w.ids['a_scenario']}/promotions/"
                                   f"{w.ids['a_draft']}", headers=w.b.owner)))],
    # A's draft id on B's own scenario: not B's draft.
    Probe("PUT", SC + "/{scenario_id}/promotions/{draft_id}", "draft_id",
          lambda w: w.client.put(f"{SC}/{_b_scenario(w)}/promotions/{w.ids['a_draft']}",
                                 headers=w.b.owner, json=PROMOTION)),
    Probe("DELETE", SC + "/{scenario_id}/promotions/{draft_id}", "draft_id",
          lambda w: w.client.delete(f"{SC}/{_b_scenario(w)}/promotions/{w.ids['a_draft']}",
                                    headers=w.b.owner)),
    # ... nor kept by B's scenario when sent whole.
    Probe("PUT", SC + "/{scenario_id}", "promotions.id",
          lambda w: w.client.put(f"{SC}/{_b_scenario(w)}", headers=w.b.owner, json={
              **SCENARIO, "promotions": [{**PROMOTION, "id": w.ids["a_draft"]}]}),
          _invalid_draft("promotions.0.id")),
    Probe("GET", SC + "/{scenario_id}/runs/{run_id}", "run_id",
          lambda w: w.client.get(f"{SC}/{_b_scenario(w)}/runs/{w.ids['a_scenario_run']}",
                                 headers=w.b.owner)),
    *[Probe(method, path, param, call, check) for method, path in (
        ("POST", SC), ("PUT", SC + "/{scenario_id}")) for param, call, check in (
        ("promotions.segment_id",
         lambda w, m=method: _b_scenario_write(w, m, {"segment_id": w.ids["a_segment"]}),
         _invalid_draft("promotions.0.segment_id")),
        ("promotions.effects.series_id",
         lambda w, m=method: _b_scenario_write(w, m, {"effects": [
             {"kind": "issue_coupon", "series_id": w.ids["a_series"]}]}),
         _invalid_draft("promotions.0.effects.0.series_id")))],
    *[Probe(method, path, param, call, _invalid_draft(field)) for method, path, write, at in (
        ("POST", SC + "/{scenario_id}/promotions", _b_draft_add, 1),
        ("PUT", SC + "/{scenario_id}/promotions/{draft_id}", _b_draft_put, 0))
      for param, call, field in (
          ("segment_id", lambda w, f=write: f(w, {"segment_id": w.ids["a_segment"]}),
           f"promotions.{at}.segment_id"),
          ("effects.series_id", lambda w, f=write: f(w, {"effects": [
              {"kind": "issue_coupon", "series_id": w.ids["a_series"]}]}),
           f"promotions.{at}.effects.0.series_id"))],
    Probe("POST", SC, "promotions.id",
          lambda w: _admin(w, SC, {**SCENARIO, "promotions": [
              {**PROMOTION, "id": w.ids["a_draft"]}]}),
          _invalid_draft("promotions.0.id")),
    # Admin: products
    Probe("GET", PR + "/{product_id}", "product_id",
          lambda w: w.client.get(f"{PR}/{w.ids['a_product']}", headers=w.b.owner)),
    Probe("PUT", PR + "/{product_id}", "product_id",
          lambda w: w.client.put(f"{PR}/{w.ids['a_product']}", headers=w.b.owner,
                                 json=PRODUCT)),
    Probe("POST", PR + "/{product_id}/deactivate", "product_id",
          lambda w: _admin(w, f"{PR}/{w.ids['a_product']}/deactivate", None)),
    Probe("POST", PR + "/{product_id}/activate", "product_id",
          lambda w: _admin(w, f"{PR}/{w.ids['a_product']}/activate", None)),
    # Admin: feedback and the FAQ
    Probe("POST", "/v1/admin/feedback/{feedback_id}/answer", "feedback_id",
          lambda w: _admin(w, f"/v1/admin/feedback/{w.ids['a_feedback']}/answer",
                           {"reply": "stolen"})),
    Probe("GET", "/v1/admin/faq/{entry_id}", "entry_id",
          lambda w: w.client.get(f"/v1/admin/faq/{w.ids['a_faq']}", headers=w.b.owner)),
    Probe("PUT", "/v1/admin/faq/{entry_id}", "entry_id",
          lambda w: w.client.put(f"/v1/admin/faq/{w.ids['a_faq']}", headers=w.b.owner,
                                 json={"question": "Stolen?", "answer": "Yes."})),
    Probe("POST", "/v1/admin/faq/{entry_id}/move", "entry_id",
          lambda w: _admin(w, f"/v1/admin/faq/{w.ids['a_faq']}/move", {"direction": "up"})),
    Probe("DELETE", "/v1/admin/faq/{entry_id}", "entry_id",
          lambda w: w.client.delete(f"/v1/admin/faq/{w.ids['a_faq']}", headers=w.b.owner)),
    # Admin: stamp cards
    Probe("GET", "/v1/admin/stamp-cards/{card_id}", "card_id",
          lambda w: w.client.get(f"/v1/admin/stamp-cards/{w.ids['a_stamp_card']}",
                                 headers=w.b.owner)),
    Probe("PUT", "/v1/admin/stamp-cards/{card_id}", "card_id",
          lambda w: w.client.put(f"/v1/admin/stamp-cards/{w.ids['a_stamp_card']}",
                                 headers=w.b.owner, json=STAMP_CARD)),
    Probe("GET", "/v1/admin/members/{member_id}/stamp-cards", "member_id",
          lambda w: w.client.get(f"/v1/admin/members/{w.ids['a_member']}/stamp-cards",
                                 headers=w.b.owner)),
    # Admin: the rewards catalogue
    Probe("GET", RC + "/{reward_id}", "reward_id",
          lambda w: w.client.get(f"{RC}/{w.ids['a_reward']}", headers=w.b.owner)),
    Probe("PUT", RC + "/{reward_id}", "reward_id",
          lambda w: w.client.put(f"{RC}/{w.ids['a_reward']}", headers=w.b.owner,
                                 json=REWARD)),
    Probe("POST", RC + "/{reward_id}/deactivate", "reward_id",
          lambda w: _admin(w, f"{RC}/{w.ids['a_reward']}/deactivate", None)),
    Probe("POST", RC + "/{reward_id}/activate", "reward_id",
          lambda w: _admin(w, f"{RC}/{w.ids['a_reward']}/activate", None)),
    Probe("POST", RC + "/{reward_id}/claim", "reward_id",
          lambda w: _admin(w, f"{RC}/{w.ids['a_reward']}/claim",
                           {"member_id": w.ids["b_member"]})),
    Probe("POST", RC + "/{reward_id}/claim", "member_id",
          lambda w: _admin(w, f"{RC}/{w.ids['b_reward']}/claim",
                           {"member_id": w.ids["a_member"]})),
    Probe("GET", RC + "/claims", "member_id",
          lambda w: w.client.get(f"{RC}/claims", headers=w.b.owner,
                                 params={"member_id": w.ids["a_member"]}), _no_claims),
    Probe("GET", RC + "/claims", "reward_id",
          lambda w: w.client.get(f"{RC}/claims", headers=w.b.owner,
                                 params={"reward_id": w.ids["a_reward"]}), _no_claims),
    Probe("POST", "/v1/pos/quote", "reward_id",
          lambda w: _pos(w, "/v1/pos/quote", _sale({"id": w.ids["b_member"]},
                                                   reward_id=w.ids["a_reward"]))),
    Probe("POST", "/v1/pos/commit", "reward_id",
          lambda w: _pos(w, "/v1/pos/commit", _sale(
              {"id": w.ids["b_member"]}, receipt_id="X-7", reward_id=w.ids["a_reward"]),
              key="x-7")),
    # Admin: receipts
    Probe("GET", "/v1/admin/receipts/{receipt_id}", "receipt_id",
          lambda w: w.client.get(f"/v1/admin/receipts/{w.ids['a_receipt']}",
                                 headers=w.b.owner)),
    Probe("GET", "/v1/admin/receipts", "member_id",
          lambda w: w.client.get("/v1/admin/receipts", headers=w.b.owner,
                                 params={"member_id": w.ids["a_member"]}), _empty),
    Probe("GET", "/v1/admin/receipts", "before_id",
          lambda w: w.client.get("/v1/admin/receipts", headers=w.b.owner,
                                 params={"before_id": w.ids["a_receipt"]}),
          lambda w, r: _only_b_receipts(w, r)),
    Probe("GET", WH + "/{endpoint_id}", "endpoint_id",
          lambda w: w.client.get(f"{WH}/{w.ids['a_webhook']}", headers=w.b.owner)),
    Probe("PATCH", WH + "/{endpoint_id}", "endpoint_id",
          lambda w: w.client.patch(f"{WH}/{w.ids['a_webhook']}", headers=w.b.owner,
                                   json={"active": False})),
    Probe("POST", WH + "/{endpoint_id}/rotate-secret", "endpoint_id",
          lambda w: _admin(w, f"{WH}/{w.ids['a_webhook']}/rotate-secret", None)),
    Probe("GET", WH + "/{endpoint_id}/deliveries", "endpoint_id",
          lambda w: w.client.get(f"{WH}/{w.ids['a_webhook']}/deliveries", headers=w.b.owner)),
    Probe("GET", WH + "/{endpoint_id}/deliveries", "before_id",
          lambda w: w.client.get(f"{WH}/{w.ids['b_webhook']}/deliveries", headers=w.b.owner,
                                 params={"before_id": w.ids["a_delivery"] + 1}),
          lambda w, r: _only_b_deliveries(w, r)),
    Probe("POST", WH + "/{endpoint_id}/deliveries/{delivery_id}/redeliver", "endpoint_id",
          lambda w: _admin(w, f"{WH}/{w.ids['a_webhook']}/deliveries/{w.ids['a_delivery']}"
                              "/redeliver", None)),
    Probe("POST", WH + "/{endpoint_id}/deliveries/{delivery_id}/redeliver", "delivery_id",
          lambda w: _admin(w, f"{WH}/{w.ids['b_webhook']}/deliveries/{w.ids['a_delivery']}"
                              "/redeliver", None)),
    Probe("GET", "/v1/admin/messages", "before_id",
          lambda w: w.client.get("/v1/admin/messages", headers=w.b.owner,
                                 params={"before_id": w.ids["a_message"] + 1}),
          lambda w, r: _only_b_messages(w, r)),
    Probe("POST", "/v1/admin/inbound-sms", "phone",
          lambda w: _admin(w, "/v1/admin/inbound-sms", {"phone": A_PHONE, "text": "STOP"}),
          lambda w, r: _nobody_stopped(w, r)),
    # Admin: campaigns
    Probe("GET", CA + "/{campaign_id}", "campaign_id",
          lambda w: w.client.get(f"{CA}/{w.ids['a_campaign']}", headers=w.b.owner)),
    Probe("POST", CA + "/{campaign_id}/cancel", "campaign_id",
          lambda w: _admin(w, f"{CA}/{w.ids['a_campaign']}/cancel", None)),
    Probe("POST", CA, "segment_id",
          lambda w: _admin(w, CA, {"name": "x", "segment_id": w.ids["a_segment"],
                                   "texts": {"en": {"body": "hello"}}})),
    # Admin: analytics
    Probe("GET", AN + "/overview", "store_id",
          lambda w: w.client.get(f"{AN}/overview", headers=w.b.owner,
                                 params={"store_id": w.ids["a_store"]})),
    Probe("GET", AN + "/overview", "staff_id",
          lambda w: w.client.get(f"{AN}/overview", headers=w.b.owner,
                                 params={"staff_id": w.ids["a_staff"]})),
    Probe("GET", AN + "/points", "store_id",
          lambda w: w.client.get(f"{AN}/points", headers=w.b.owner,
                                 params={"store_id": w.ids["a_store"]})),
    Probe("GET", AN + "/points", "staff_id",
          lambda w: w.client.get(f"{AN}/points", headers=w.b.owner,
                                 params={"staff_id": w.ids["a_staff"]})),
]


def _only_b_deliveries(w: World, response: httpx.Response) -> None:
    """A's delivery id as a cursor pages through B's deliveries only."""
    assert response.status_code == 200, response.text
    own = w.client.get(f"{WH}/{w.ids['b_webhook']}/deliveries", headers=w.b.owner).json()
    assert own and response.json() == [d for d in own if d["id"] <= w.ids["a_delivery"]]


def _nobody_stopped(_: World, response: httpx.Response) -> None:
    """A STOP from A's member's number, sent with B's key, unsubscribes nobody."""
    assert response.status_code == 200, response.text
    assert response.json() == {"stopped": 0}


def _only_b_messages(w: World, response: httpx.Response) -> None:
    """A's message id as a cursor pages through B's messages only (B's member's welcome)."""
    assert response.status_code == 200, response.text
    own = w.client.get("/v1/admin/messages", headers=w.b.owner).json()
    assert own and response.json() == [m for m in own if m["id"] <= w.ids["a_message"]]


def test_events_show_only_the_tenants_own(world: World) -> None:
    """B's events, from the start or after A's last event id, are B's alone."""
    a_events = world.client.get("/v1/admin/events", headers=world.a.owner).json()["events"]
    b_events = world.client.get("/v1/admin/events", headers=world.b.owner).json()["events"]
    assert a_events and b_events and not {e["id"] for e in a_events} & \
        {e["id"] for e in b_events}
    after = world.client.get("/v1/admin/events", headers=world.b.owner,
                             params={"after": a_events[0]["id"]}).json()["events"]
    assert after and {e["id"] for e in after} <= {e["id"] for e in b_events}


def test_feedback_and_faq_lists_show_only_the_tenants_own(world: World) -> None:
    """A's rating and FAQ entry appear in A's lists and figures, never in B's."""
    for path, a_len in (("/v1/admin/feedback", 1), ("/v1/admin/faq", 1)):
        assert len(world.client.get(path, headers=world.a.owner).json()) == a_len, path
        assert world.client.get(path, headers=world.b.owner).json() == [], path
    summary = world.client.get("/v1/admin/feedback/summary", headers=world.b.owner).json()
    assert summary["total"]["count"] == 0 and summary["stores"] == []


def _only_b_receipts(w: World, response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()] == [w.ids["b_receipt"]]


def _params() -> list[Any]:
    return [pytest.param(probe, id=probe.label) for probe in PROBES]


@pytest.mark.parametrize("probe", _params())
def test_foreign_ids_are_not_found_and_change_nothing(world: World, rt: Runtime,
                                                      probe: Probe) -> None:
    everything, a_rows, a_view = stored_rows(rt), stored_rows(rt, world.a.tenant_id), \
        api_view(world, world.a)

    response = probe.call(world)

    probe.check(world, response)
    assert api_view(world, world.a) == a_view
    assert stored_rows(rt, world.a.tenant_id) == a_rows
    if probe.check is not_found:  # a refusal writes nothing at all, for either tenant
        assert stored_rows(rt) == everything
    else:  # B's own new data is booked correctly
        check = world.client.get("/v1/admin/ledger/check", headers=world.b.owner).json()
        assert check == {"ok": True, "problems": []}


def test_foreign_hold_id_never_touches_the_hold(world: World, rt: Runtime) -> None:
    """Whatever the answer to a foreign hold_id (see KNOWN_BUGS), A's hold stays open and
    none of A's rows change."""
    a_rows = stored_rows(rt, world.a.tenant_id)
    probe = next(p for p in PROBES if (p.method, p.path, p.param) == ("POST", "/v1/pos/commit",
                                                                      "hold_id"))
    assert probe.call(world).status_code in (200, 404)
    assert stored_rows(rt, world.a.tenant_id) == a_rows
    view = world.client.get(f"/v1/admin/members/{world.ids['a_member']}",
                            headers=world.a.owner).json()
    assert view["held_points"] == 10
    released = world.client.post(f"/v1/pos/holds/{world.ids['a_hold']}/release",
                                 headers=world.a.till())
    assert released.status_code == 204


def test_a_certificate_code_of_another_tenant_is_unknown(world: World, rt: Runtime) -> None:
    """A's certificate code typed at B's till or console is no certificate there (422), and
    a commit tendering it writes nothing."""
    code = world.ids["a_certificate_code"]
    before = stored_rows(rt)
    for path, headers in (("/v1/pos/certificates/lookup", world.b.till()),
                          ("/v1/admin/certificate-lookup", world.b.owner)):
        refused = world.client.post(path, headers=headers, json={"code": code})
        assert refused.status_code == 422 and refused.json()["field"] == "code"
    paid = _pos(world, "/v1/pos/commit", {"receipt_id": "R-B-X", "lines": BASKET, "tenders": [
        {"kind": "certificate", "code": code, "amount": 100}]}, key="b-x")
    assert paid.status_code == 422 and paid.json()["field"] == "tenders.0.code"
    assert stored_rows(rt) == before


def test_a_goods_account_or_card_of_another_tenant_pays_nothing(world: World,
                                                                 rt: Runtime) -> None:
    """A's goods account id or bearer card number given at B's till is no goods account
    there (422 naming the field), and nothing is written."""
    before = stored_rows(rt)
    refused = world.client.post("/v1/pos/goods-cards/lookup", headers=world.b.till(),
                                json={"code": world.ids["a_goods_card"]})
    assert refused.status_code == 422 and refused.json()["field"] == "code"
    for tender, named in (({"account": world.ids["a_goods"]}, "tenders.0.account"),
                          ({"code": world.ids["a_goods_card"]}, "tenders.0.code")):
        paid = _pos(world, "/v1/pos/commit", {
            "receipt_id": "R-B-G", "lines": BASKET,
            "tenders": [{"kind": "goods", "quantity_milli": 1000, **tender}]}, key=named)
        assert paid.status_code == 422 and paid.json()["field"] == named
    assert stored_rows(rt) == before


def test_a_business_sees_and_scans_only_its_own_fraud_flags(world: World, rt: Runtime) -> None:
    a_rows = stored_rows(rt, world.a.tenant_id)
    assert world.post("/v1/admin/analytics/fraud/scan", world.b.owner,
                      {}).json()["flagged"] == 0
    seen = world.client.get("/v1/admin/analytics/fraud/flags", headers=world.b.owner).json()
    assert (seen["items"], seen["total"]) == ([], 0)
    assert world.client.get("/v1/admin/analytics/fraud/settings",
                            headers=world.b.owner).json()["flag_score"] == 50
    assert stored_rows(rt, world.a.tenant_id) == a_rows


def test_figures_by_level_and_segment_are_the_tenants_own(world: World) -> None:
    """A's segment and A's members are in A's breakdowns, never in B's."""
    a_rows = world.client.get(f"{AN}/segments", headers=world.a.owner).json()["rows"]
    assert str(world.ids["a_segment"]) in [r["key"] for r in a_rows]
    b_seen = world.client.get(f"{AN}/segments", headers=world.b.owner).json()
    assert str(world.ids["a_segment"]) not in [r["key"] for r in b_seen["rows"]]
    a_all = world.client.get(f"{AN}/levels", headers=world.a.owner).json()["all_members"]
    b_all = world.client.get(f"{AN}/levels", headers=world.b.owner).json()["all_members"]
    b_alone = world.client.get(f"{AN}/overview", headers=world.b.owner).json()
    assert a_all["members"] >= 1
    assert b_all["receipts"] == b_alone["current"]["sales"]["member_receipts"]


def test_messages_stay_within_the_tenant(world: World, rt: Runtime) -> None:
    """B's wording, settings and STOP replies change only B's: a STOP from A's member's
    number sent with B's key unsubscribes nobody of A's."""
    before = stored_rows(rt, world.a.tenant_id)
    client, b = world.client, world.b
    assert client.put("/v1/admin/message-templates/welcome/en", headers=b.owner,
                      json={"subject": "Hi", "body": "Hi {first_name}"}).status_code == 200
    assert client.patch("/v1/admin/message-settings", headers=b.owner,
                        json={"cap_messages": 1}).status_code == 200
    stop = client.post("/v1/admin/inbound-sms", headers=b.owner,
                       json={"phone": A_PHONE, "text": "STOP"})
    assert stop.status_code == 200 and stop.json() == {"stopped": 0}
    listed = client.get("/v1/admin/campaigns", headers=b.owner).json()
    assert listed == []
    a_view = client.get("/v1/admin/message-templates/welcome/en", headers=world.a.owner)
    assert a_view.json()["custom"] is False
    assert stored_rows(rt, world.a.tenant_id) == before


def test_every_id_parameter_is_probed() -> None:
    """A route that takes an id needs a probe above for each id it takes."""
    routes = api_routes(create_app())
    documented = {(method.upper(), path) for path, item in create_app().openapi()["paths"].items()
                  for method in item}
    assert {(m, p) for m, p, _ in routes} == documented  # the walk saw every route
    probed = {(p.method, p.path, p.param) for p in PROBES}
    missing = sorted((method, path, name) for method, path, route in routes
                     for name in reference_params(route)
                     if (method, path, name) not in probed)
    assert not missing, f"routes with id parameters but no isolation probe: {missing}"
    stale = sorted(p.label for p in PROBES if (p.method, p.path) not in documented)
    assert not stale, f"probes of routes that no longer exist: {stale}"


# Keys and roles ---------------------------------------------------------------------------------

def _fill(path: str, w: World) -> str:
    """``path`` with its parameters set to real ids of tenant A (a bypass would do harm)."""
    names = {"member_id": w.ids["a_member"], "receipt_id": w.ids["a_receipt"],
             "hold_id": w.ids["a_hold"], "terminal_id": w.ids["a_terminal"],
             "staff_id": w.ids["a_staff"], "key_id": w.ids["a_key"],
             "store_id": w.ids["a_store"],
             "promotion_id": w.ids["a_promotion"], "series_id": w.ids["a_series"],
             "segment_id": w.ids["a_segment"], "certificate_id": w.ids["a_certificate"],
             "endpoint_id": w.ids["a_webhook"], "delivery_id": w.ids["a_delivery"],
             "name": "expiry", "product_id": w.ids["a_product"],
             "card_id": w.ids["a_stamp_card"],
             "flag_id": w.ids["a_flag"], "kind": "receipts",
             "experiment_id": w.ids["a_experiment"],
             "scenario_id": w.ids["a_scenario"], "run_id": w.ids["a_scenario_run"],
             "draft_id": w.ids["a_draft"], "account_id": w.ids["a_goods"],
             "reward_id": w.ids["a_reward"],
             "campaign_id": w.ids["a_campaign"], "event": "welcome", "language": "en",
             "feedback_id": w.ids["a_feedback"], "entry_id": w.ids["a_faq"]}
    for name, value in names.items():
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, f"no id to fill into {path}"
    return path


def _call(w: World, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    body = None if method in ("GET", "DELETE") else {}
    return w.client.request(method, _fill(path, w), json=body,
                            headers={**headers, "Idempotency-Key": f"auth-{method}-{path}"})


def _routes(prefix: str) -> list[tuple[str, str]]:
    found = [(m, p) for m, p, _ in api_routes(create_app()) if p.startswith(prefix)]
    assert found, f"no routes under {prefix}"
    return found


def test_only_health_and_readiness_are_open() -> None:
    open_routes = [(m, p) for m, p, _ in api_routes(create_app()) if not _needs_auth(p)]
    assert open_routes == [("GET", "/v1/health"), ("GET", "/v1/ready")]
    assert {p for _, p in _routes("/v1/")} == {p for _, p in _routes("/v1/pos")} | \
        {p for _, p in _routes("/v1/admin")} | {"/v1/health", "/v1/ready", "/v1/events"}


def test_till_key_on_admin_routes_is_forbidden(world: World, rt: Runtime) -> None:
    before = stored_rows(rt)
    for method, path in _routes("/v1/admin") + _routes("/v1/events"):
        response = _call(world, method, path, world.a.till())
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"] == "forbidden"
    assert stored_rows(rt) == before


def test_owner_key_on_pos_routes_is_forbidden(world: World, rt: Runtime) -> None:
    before = stored_rows(rt)
    for method, path in _routes("/v1/pos"):
        response = _call(world, method, path, world.a.owner)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"] == "forbidden"
    assert stored_rows(rt) == before


def _assert_unauthorized(w: World, routes: list[tuple[str, str]],
                         headers: dict[str, str]) -> None:
    for method, path in routes:
        response = _call(w, method, path, headers)
        assert response.status_code == 401, (method, path, headers, response.text)
        assert response.json()["error"] == "unauthorized"


def test_missing_and_bad_keys_are_unauthorized(world: World, rt: Runtime) -> None:
    before = stored_rows(rt)
    routes = [(m, p) for m, p, _ in api_routes(create_app()) if _needs_auth(p)]
    owner_key = world.a.owner_key
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Bearer"},
                    {"Authorization": "Bearer rgo_not-a-key"},
                    {"Authorization": f"Basic {owner_key}"},
                    {"Authorization": f"Bearer {owner_key}x"}):
        _assert_unauthorized(world, routes, headers)
    assert stored_rows(rt) == before


def test_revoked_owner_key_is_unauthorized(world: World) -> None:
    spare = _ok(world.post("/v1/admin/keys", world.a.owner, {"label": "temp", "scopes": ["admin"]}))
    headers = {"Authorization": f"Bearer {spare['key']}"}
    assert world.client.get("/v1/admin/tenant", headers=headers).status_code == 200
    revoked = world.client.delete(f"/v1/admin/keys/{spare['id']}", headers=world.a.owner)
    assert revoked.status_code == 204
    _assert_unauthorized(world, _routes("/v1/admin"), headers)
    again = world.client.delete(f"/v1/admin/keys/{spare['id']}", headers=world.a.owner)
    assert again.status_code == 404
    assert world.client.get("/v1/admin/tenant", headers=world.a.owner).status_code == 200


def test_revoked_and_rotated_tills_are_unauthorized(world: World) -> None:
    lookup = {"id": world.ids["a_member"]}
    # Till 1 is re-keyed: the old key stops, the new one works.
    rotated = _ok(world.post(f"/v1/admin/terminals/{world.a.terminal_ids[1]}/rotate-key",
                             world.a.owner))
    _assert_unauthorized(world, _routes("/v1/pos"), world.a.till(1))
    new_key = {"Authorization": f"Bearer {rotated['key']}"}
    assert world.client.post("/v1/pos/members/lookup", headers=new_key,
                             json=lookup).status_code == 200
    # Till 0 is revoked: its key stops, and so does every later rotation attempt.
    assert world.client.delete(f"/v1/admin/terminals/{world.a.terminal_ids[0]}",
                               headers=world.a.owner).status_code == 204
    _assert_unauthorized(world, _routes("/v1/pos"), world.a.till(0))
    again = world.post(f"/v1/admin/terminals/{world.a.terminal_ids[0]}/rotate-key",
                       world.a.owner)
    assert again.status_code == 404
    _assert_unauthorized(world, _routes("/v1/pos"), world.a.till(0))
    check = world.client.get("/v1/admin/ledger/check", headers=world.a.owner).json()
    assert check == {"ok": True, "problems": []}


def test_imports_and_exports_stay_within_the_tenant(world: World, rt: Runtime) -> None:
    """B's import that names A's member (by phone and card) makes B a member of its own and
    leaves A's rows alone; B's exports carry none of A's rows."""
    a_rows = stored_rows(rt, world.a.tenant_id)
    file = f"phone,card,date,amount\n{A_PHONE},{A_CARD},2025-01-01,10.00\n".encode()
    done = world.client.post("/v1/admin/imports/receipts", headers=world.b.owner,
                             files={"file": ("a.csv", file, "text/csv")})
    assert done.status_code == 200, done.text
    assert (done.json()["members_created"], done.json()["members_matched"]) == (1, 0)
    assert stored_rows(rt, world.a.tenant_id) == a_rows
    a_members = {str(world.ids["a_member"]), str(world.ids["a_member_2"])}
    for kind in ("members", "receipts", "ledger"):
        answer = world.client.get(f"/v1/admin/exports/{kind}", headers=world.b.owner)
        assert answer.status_code == 200
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert rows
        owners = {r.get("member_id") or r.get("id") for r in rows}
        assert not owners & a_members or kind == "ledger" and not {
            r["member_id"] for r in rows} & a_members
        if kind == "receipts":
            assert str(world.ids["a_receipt"]) not in {r["receipt_id"] for r in rows}
    for table, a_id in (("stores", world.a.store_id), ("cashiers", world.ids["a_staff"])):
        answer = world.client.get(f"/v1/admin/analytics/tables/{table}",
                                  headers=world.b.owner, params={"range": "last_365_days"})
        assert answer.status_code == 200
        assert str(a_id) not in {r["id"] for r in csv.DictReader(io.StringIO(answer.text))}
    outlook = world.client.get("/v1/admin/analytics/tables/clv", headers=world.b.owner)
    assert outlook.status_code == 200
    assert not {r["member_id"] for r in csv.DictReader(io.StringIO(outlook.text))} & a_members


def test_a_business_changes_only_its_own_settings(world: World) -> None:
    """B's key renames and rebrands B; A's name, time zone and colours stay."""
    a_before = world.client.get("/v1/admin/business", headers=world.a.owner).json()
    changed = world.client.patch("/v1/admin/business", headers=world.b.owner,
                                 json={"name": "B renamed", "timezone": "Asia/Tokyo",
                                       "brand_colour": "#123456"})
    assert changed.status_code == 200 and changed.json()["id"] == world.b.tenant_id
    assert world.client.get("/v1/admin/business", headers=world.a.owner).json() == a_before
    a_css = world.client.get(f"/c/{world.a.tenant_id}/brand.css").text
    assert "#123456" not in a_css
