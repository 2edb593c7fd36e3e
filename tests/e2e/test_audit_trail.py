"""The audit trail: changes by API keys and staff recorded in their own transaction, in a
hash chain per tenant that `regulars audit verify` checks (altered, removed, reordered
rows: exit 1, naming the row), exact under concurrent writers."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from typer.testing import CliRunner

from regulars.cli.main import app
from regulars.db.audit.tables import audit_log
from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from tests.conftest import Shop

runner = CliRunner()
P = "/v1/admin/promotions"


def verify_cli(url: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify", "--database-url", url])
    return result.exit_code, result.stdout + result.stderr


def setup_rows(rt: Runtime, shop: Shop) -> int:
    """The rows the shop's setting up left (its store, till and key are audited too)."""
    return len(audit.entries(rt, shop.tenant_id, Filters(), limit=500))


def changes(client: TestClient, shop: Shop) -> None:
    made = client.post(P, headers=shop.owner, json={
        "name": "Bonus", "effects": [{"kind": "bonus_points", "points": 5}]}).json()
    client.put(f"{P}/{made['id']}", headers=shop.owner, json={
        "name": "Bonus", "effects": [{"kind": "bonus_points", "points": 6}]})
    key = client.post("/v1/admin/keys", headers=shop.owner, json={"label": "x"}).json()
    client.delete(f"/v1/admin/keys/{key['id']}", headers=shop.owner)
    client.post(f"{P}/{made['id']}/archive", headers=shop.owner)


def test_changes_are_recorded_with_who_and_verify(client: TestClient, rt: Runtime,
                                                  shop: Shop, database_url: str) -> None:
    start = setup_rows(rt, shop)
    changes(client, shop)
    found = audit.entries(rt, shop.tenant_id, Filters())[:5]
    assert [e.action for e in reversed(found)] == [
        "promotion.create", "promotion.version", "key.create", "key.revoke",
        "promotion.archive"]
    owner_key = found[0].actor
    assert owner_key.startswith("key ") and {e.actor for e in found} == {owner_key}
    assert [e.seq for e in reversed(found)] == [start + n for n in (1, 2, 3, 4, 5)]
    assert [e.action for e in audit.entries(rt, shop.tenant_id, Filters(action="key"))
            ][:2] == ["key.revoke", "key.create"]
    listed = client.get("/v1/admin/audit", headers=shop.owner, params={"action": "promotion"})
    assert listed.status_code == 200, listed.text
    assert [e["action"] for e in listed.json()] == [
        "promotion.archive", "promotion.version", "promotion.create"]
    exported = client.get("/v1/admin/audit.csv", headers=shop.owner)
    assert exported.status_code == 200 and exported.text.count("\n") == 6 + start
    assert audit.entries(rt, shop.tenant_id, Filters(), limit=1)[0].action == "audit.export"
    assert audit.verify(rt).problems == ()
    code, out = verify_cli(database_url)
    assert code == 0, out


def test_verify_names_altered_removed_and_reordered_rows(client: TestClient, rt: Runtime,
                                                         shop: Shop, database_url: str) -> None:
    start = setup_rows(rt, shop)
    changes(client, shop)
    rows = audit_log.c
    mine = rows.tenant_id == shop.tenant_id
    with rt.db.write() as conn:
        conn.execute(update(audit_log).where(mine, rows.seq == start + 2)
                     .values(detail='{"version":9}'))
    code, out = verify_cli(database_url)
    assert code == 1 and f"row {start + 2}: its content was altered" in out
    with rt.db.write() as conn:  # put it back: whole again
        conn.execute(update(audit_log).where(mine, rows.seq == start + 2)
                     .values(detail='{"version":2}'))
    assert audit.verify(rt).problems == ()
    with rt.db.write() as conn:  # swap rows 3 and 4
        conn.execute(update(audit_log).where(mine, rows.seq == start + 3)
                     .values(seq=-3))
        conn.execute(update(audit_log).where(mine, rows.seq == start + 4)
                     .values(seq=start + 3))
        conn.execute(update(audit_log).where(mine, rows.seq == -3)
                     .values(seq=start + 4))
    problems = audit.verify(rt).problems
    assert any(f"row {start + 3}" in p for p in problems)
    assert any(f"row {start + 4}" in p for p in problems)
    with rt.db.write() as conn:
        conn.execute(delete(audit_log).where(mine, rows.seq >= start + 3))
    problems = audit.verify(rt).problems
    assert problems and f"rows end at {start + 2}" in problems[0]
    with rt.db.write() as conn:
        conn.execute(delete(audit_log).where(mine, rows.seq == start + 1))
    code, out = verify_cli(database_url)
    assert code == 1 and f"row {start + 2}: expected row {start + 1} here" in out


def test_concurrent_writers_keep_one_exact_chain(rt: Runtime, shop: Shop) -> None:
    writers, each = 6, 8
    start = setup_rows(rt, shop)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(each):
                with rt.db.write() as conn:
                    audit.record(conn, shop.tenant_id, audit.key(n), "test.write",
                                 f"item {n}-{i}", at=rt.now())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    found = audit.entries(rt, shop.tenant_id, Filters(action="test"), limit=500)
    assert sorted(e.seq for e in found) == list(range(start + 1, start + writers * each + 1))
    assert audit.verify(rt, shop.tenant_id).problems == ()


def test_staff_changes_refunds_and_voids_are_recorded(client: TestClient, rt: Runtime,
                                                      shop: Shop) -> None:
    start = setup_rows(rt, shop)
    staff = client.post("/v1/admin/staff", headers=shop.owner, json={
        "name": "Mia", "email": "mia@example.com", "role": "marketer"}).json()
    assert client.patch(f"/v1/admin/staff/{staff['id']}", headers=shop.owner,
                        json={"role": "analyst"}).status_code in (200, 204)
    assert client.delete(f"/v1/admin/staff/{staff['id']}",
                         headers=shop.owner).status_code == 204
    sale = {"lines": [{"sku": "tea", "category": "drinks", "quantity": 1,
                       "unit_price_minor": 500}]}
    done = []
    for n in (1, 2):
        committed = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key":
                                                           f"c{n}"},
                                json={**sale, "receipt_id": f"R-{n}"})
        assert committed.status_code == 200, committed.text
        done.append(committed.json()["receipt"]["id"])
    assert client.post(f"/v1/pos/receipts/{done[0]}/refund", headers={
        **shop.till(), "Idempotency-Key": "r1"}, json={}).status_code == 200
    assert client.post(f"/v1/pos/receipts/{done[1]}/void", headers={
        **shop.till(), "Idempotency-Key": "v1"}, json={}).status_code == 200
    found = list(reversed(audit.entries(rt, shop.tenant_id, Filters())))[start:]
    assert [e.action for e in found] == ["staff.create", "staff.role", "staff.deactivate",
                                         "receipt.refund", "receipt.void"]
    assert found[1].detail == '{"after":"analyst","before":"marketer"}'
    # A till's acts are the till's, whichever key it called with (audit.at_till).
    assert found[3].actor == found[4].actor == f"till {shop.terminal_ids[0]}"
    assert audit.verify(rt).problems == ()
