"""A database that cannot serve a request just now (unreachable, or SQLite locked by another
writer past the busy timeout) answers 503 ``unavailable`` with Retry-After, having written
nothing; the same request sent again afterwards succeeds once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from regulars.api.app import create_app
from regulars.config import Settings
from regulars.services.runtime import open_runtime
from tests.conftest import make_shop


def test_unreachable_database_answers_503_with_retry_after() -> None:
    rt = open_runtime(Settings(database_url="postgresql://postgres@127.0.0.1:1/regulars"))
    try:
        with TestClient(create_app(rt)) as client:
            response = client.post("/v1/pos/quote", headers={"Authorization": "Bearer rgt_x"},
                                   json={"lines": [{"sku": "a", "quantity": 1,
                                                    "unit_price_minor": 100}]})
            health = client.get("/v1/health")
    finally:
        rt.close()
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "unavailable"
    assert response.headers["retry-after"] == "1"
    assert health.status_code == 200


def test_a_write_locked_out_past_the_timeout_answers_503_and_a_retry_succeeds(
        tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    rt = open_runtime(Settings(database_url=f"sqlite:///{path}",
                               sqlite_busy_timeout_seconds=0.2), migrate=True)
    try:
        shop = make_shop(rt)
        with TestClient(create_app(rt)) as client:
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            try:
                refused = client.post("/v1/pos/members", headers=shop.till(),
                                      json={"phone": "+7 800 775-01-11"})
            finally:
                other.execute("ROLLBACK")
                other.close()
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"] == "unavailable"
            assert refused.headers["retry-after"] == "1"
            assert client.get("/v1/admin/members", headers=shop.owner).json() == []
            again = client.post("/v1/pos/members", headers=shop.till(),
                                json={"phone": "+7 800 775-01-11"})
            assert again.status_code == 201, again.text
    finally:
        rt.close()


def test_a_missing_table_on_sqlite_is_a_server_error_not_a_retry(tmp_path: Path) -> None:
    # SQLite calls "no such table" an operational error; it is a bug (here: no migrations),
    # and a till told to send again would loop on it.
    rt = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    try:
        with TestClient(create_app(rt), raise_server_exceptions=False) as client:
            response = client.post("/v1/pos/quote", headers={"Authorization": "Bearer rgt_x"},
                                   json={"lines": [{"sku": "a", "quantity": 1,
                                                    "unit_price_minor": 100}]})
    finally:
        rt.close()
    assert response.status_code == 500
