"""``GET /v1/ready``: 200 when the database answers with the schema this code needs, 503 with
the reason otherwise; ``GET /v1/health`` stays up either way."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from regulars.api.app import create_app
from regulars.config import Settings
from regulars.db.migrate import head
from regulars.services.runtime import Runtime, open_runtime


def test_ready_on_a_current_schema(client: TestClient) -> None:
    response = client.get("/v1/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "reason": "ok", "schema": head(),
                               "expected_schema": head()}


def test_not_ready_when_the_schema_is_behind(client: TestClient, rt: Runtime) -> None:
    with rt.db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    try:
        response = client.get("/v1/ready")
    finally:  # the PostgreSQL test database is shared by the tests that follow
        with rt.db.write() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"),
                         {"head": head()})
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready" and body["schema"] == "0009"
    assert f"needs {head()}" in body["reason"] and "regulars db upgrade" in body["reason"]
    assert client.get("/v1/health").status_code == 200


def test_not_ready_when_the_database_was_never_migrated(tmp_path: Path) -> None:
    rt = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    try:
        with TestClient(create_app(rt)) as client:
            response = client.get("/v1/ready")
    finally:
        rt.close()
    assert response.status_code == 503
    assert response.json()["schema"] is None
    assert "not created" in response.json()["reason"]


def test_not_ready_when_the_database_is_unreachable() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    rt = open_runtime(Settings(database_url="postgresql://postgres@127.0.0.1:1/regulars"))
    try:
        with TestClient(create_app(rt)) as client:
            response = client.get("/v1/ready")
            health = client.get("/v1/health")
    finally:
        rt.close()
    assert response.status_code == 503
    assert response.json()["reason"].startswith("database unreachable: ")
    assert health.status_code == 200
