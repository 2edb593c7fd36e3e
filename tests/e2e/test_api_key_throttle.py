"""Wrong API keys from one client are throttled: past the free ones, 429 with Retry-After
(growing) before any key is looked at; other clients, and the delay's end, are unaffected."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.api.app import create_app
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop


def test_wrong_keys_from_one_client_are_slowed_down(rt: Runtime, shop: Shop,
                                                    clock: FakeClock) -> None:
    app = create_app(rt)
    guessing = TestClient(app, client=("198.51.100.7", 5000))
    honest = TestClient(app, client=("192.0.2.20", 5000))
    wrong = {"Authorization": "Bearer rgt_not-a-key"}
    statuses = [guessing.get("/v1/pos/receipts/1", headers=wrong).status_code
                for _ in range(11)]
    assert statuses == [401] * 11
    throttled = guessing.get("/v1/admin/tenant", headers=shop.owner)
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "too_many_attempts"
    assert throttled.headers["Retry-After"] == "1"
    assert honest.get("/v1/admin/tenant", headers=shop.owner).status_code == 200
    clock.advance(seconds=1)
    assert guessing.get("/v1/pos/receipts/1", headers=wrong).status_code == 401
    again = guessing.get("/v1/pos/receipts/1", headers=wrong)
    assert again.status_code == 429 and again.headers["Retry-After"] == "2"

