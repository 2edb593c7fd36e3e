"""``regulars demo``: a small demo business is built through the services, the keys it prints
work against the API (and the previous start's keys stop working), levels were reached, and
the ledger it leaves reconciles."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from regulars.api.app import create_app
from regulars.cli.main import app
from regulars.config import Settings
from regulars.services.runtime import open_runtime
from regulars.services.tenancy import api_keys as auth

runner = CliRunner()
SUMMARY = re.compile(r"Bean & Leaf Coffee \((\d+) members, (\d+) receipts\)")
OWNER_KEY = re.compile(r"owner key\s+(rgo_[A-Za-z0-9_-]{20,})")
TILL_KEY = re.compile(r"till key\s+(rgt_[A-Za-z0-9_-]{20,})\s+\(([^/]+) / ([A-Z]+-\d)\)")


def demo(path: Path, *extra: str) -> str:
    result = runner.invoke(app, ["demo", "--no-serve", "--members", "60", "--path", str(path),
                                 *extra])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_demo_builds_a_year_prints_working_keys_and_reconciles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo needs no key: its people are made up (a start refused without one would
    # leave `uv run regulars demo` unusable on a fresh machine).
    monkeypatch.delenv("REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED", raising=False)
    monkeypatch.delenv("REGULARS_PERSONAL_DATA_KEY", raising=False)
    path = tmp_path / "demo.db"
    first = demo(path)
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("demo.db*")}["demo.db"] \
        == 0o600
    assert all(p.stat().st_mode & 0o077 == 0 for p in tmp_path.glob("demo.db*"))

    summary = SUMMARY.search(first)
    assert summary is not None, first
    member_count, receipt_count = int(summary[1]), int(summary[2])
    assert member_count == 60
    assert receipt_count > member_count  # some come back, and strangers buy too
    owner = OWNER_KEY.search(first)
    assert owner is not None, first
    tills = TILL_KEY.findall(first)
    assert len(tills) == 6
    assert {store for _, store, _ in tills} == {"Grafton Street", "Ranelagh", "Docklands"}

    url = f"sqlite:///{path}"
    rt = open_runtime(Settings(database_url=url))
    try:
        with TestClient(create_app(rt)) as client:
            tenant = client.get("/v1/admin/tenant", headers=bearer(owner[1]))
            assert tenant.status_code == 200, tenant.text
            assert tenant.json()["name"] == "Bean & Leaf Coffee"
            assert tenant.json()["currency"] == "EUR"

            members: list[dict[str, Any]] = client.get(
                "/v1/admin/members", headers=bearer(owner[1]), params={"limit": 500}).json()
            assert len(members) == member_count
            assert any(m["level"]["code"] != "base" for m in members), \
                "the demo office should have climbed past Base"
            assert all(m["phone"].startswith("+353") for m in members)
            # The sign-in hint names no member: no phone number, no name.
            assert "Members page" in first
            for m in members:
                assert m["phone"][-9:] not in first.replace(" ", "")
                name = f"{m.get('first_name') or ''} {m.get('last_name') or ''}".strip()
                assert not name or name not in first
            stored = b"".join(p.read_bytes() for p in tmp_path.glob("demo.db*"))
            for m in members:  # phone numbers are sealed at rest, in the file and its WAL
                e164 = m["phone"].encode()
                assert e164 not in stored and b"0" + e164[4:] not in stored, m["phone"]
            receipts = client.get("/v1/admin/receipts", headers=bearer(owner[1])).json()
            assert receipts and any(r["member_id"] is not None for r in receipts)
            catalogue = client.get("/v1/admin/rewards/catalog", headers=bearer(owner[1]))
            assert [r["points_cost"] for r in catalogue.json()["items"]] == [150, 200, 300]
            year_ago = (date.today() - timedelta(days=365)).isoformat()
            rated = client.get("/v1/admin/feedback/summary", headers=bearer(owner[1]),
                               params={"from": year_ago}).json()
            assert rated["total"]["count"] >= 5, rated  # a few with comments, and more
            cards = client.get("/v1/admin/certificates", headers=bearer(owner[1])).json()
            assert sorted(c["nominal_minor"] for c in cards) == [2500] * 10 + [5000] * 5, cards
            [sent] = client.get("/v1/admin/campaigns", headers=bearer(owner[1])).json()
            assert sent["status"] == "done" and sent["recipients"].get("control", 0) > 0, sent
            [tried] = client.get("/v1/admin/experiments", headers=bearer(owner[1])).json()
            assert tried["stopped_at"] is not None and len(tried["variants"]) == 2, tried
            faq = client.get("/v1/admin/faq", headers=bearer(owner[1])).json()
            assert {e["language"] for e in faq} == {"en", "ru", "uk", "bg"}
            assert len([e for e in faq if e["language"] == "en"]) == 4

            saved = client.get("/v1/admin/scenarios", headers=bearer(owner[1])).json()
            assert len(saved) == 2 and saved[0]["promotions"][0]["name"] == "Weekend bakery"
            run = client.post(f"/v1/admin/scenarios/{saved[0]['id']}/runs",
                              headers=bearer(owner[1]))
            assert run.status_code == 202 and run.json()["receipts_total"] > 0

            lookup = client.post("/v1/pos/members/lookup", headers=bearer(tills[0][0]),
                                 json={"id": members[0]["id"]})
            assert lookup.status_code == 200, lookup.text

            # A second start reuses the data and issues new keys; the old ones stop working.
            second = demo(path)
            assert SUMMARY.search(second) is not None
            assert f"{member_count} members, {receipt_count} receipts" in second
            new_owner = OWNER_KEY.search(second)
            assert new_owner is not None and new_owner[1] != owner[1]
            # The keys were revoked by another process (the second CLI run): this server
            # refuses them once its remembered keys' time to live has passed.
            later = time.monotonic() + rt.settings.principal_cache_seconds
            monkeypatch.setattr(auth, "_monotonic", lambda: later)
            assert client.get("/v1/admin/tenant", headers=bearer(owner[1])).status_code == 401
            assert client.get("/v1/admin/tenant",
                              headers=bearer(new_owner[1])).status_code == 200
            stale = client.post("/v1/pos/members/lookup", headers=bearer(tills[0][0]),
                                json={"id": members[0]["id"]})
            assert stale.status_code == 401
    finally:
        rt.close()

    check = runner.invoke(app, ["ledger", "check", "--database-url", url])
    assert check.exit_code == 0, check.output
    assert "ledger is consistent" in check.stdout
