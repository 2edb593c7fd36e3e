"""Phone numbers (members' and staff's), card numbers and QR tokens at rest: sealed, found
through their blind index, never in a copy of the database in plain text, and re-sealed when
the keys rotate."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from regulars.config import Settings
from regulars.db import personal
from regulars.db.analytics import fraud
from regulars.db.engine import make_engine
from regulars.db.members.tables import member_identifiers, members
from regulars.db.migrate import alembic_config, upgrade
from regulars.db.tenancy.tables import staff
from regulars.errors import DuplicateIdentifier
from regulars.services.audit import audit
from regulars.services.imports.imports import ImportRequest, Kind, import_file
from regulars.services.ledger import member_ledger
from regulars.services.members import keys, privacy, registration
from regulars.services.members import members as member_service
from regulars.services.members.members import MemberRef
from regulars.services.messaging import otp
from regulars.services.runtime import Runtime, use_personal_keys
from regulars.services.tenancy import staff_access, tenants
from tests.conftest import Shop
from tests.integration.support import Pos, line, phone
from tests.integration.test_privacy import OWNER

BASKET = [{"sku": "cup", "name": "Cup", "quantity_milli": 1000, "unit_price_minor": 25000}]


@pytest.fixture
def keys_restored() -> Iterator[None]:
    """Whatever keys a test switches to, the next test starts with the ones before."""
    before = personal.keys()
    yield
    personal.use(before)


def _switch_keys(**settings: str) -> None:
    use_personal_keys(Settings(**settings))  # type: ignore[arg-type]


def _quote(client: TestClient, shop: Shop, member: dict[str, str]) -> dict[str, object]:
    answer = client.post("/v1/pos/quote", headers=shop.till(),
                         json={"member": member, "lines": BASKET})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


STAFF_PHONE = phone(9)
"""The owner's own number: no member's, until a test registers one with it."""


def _owner_id(rt: Runtime, shop: Shop) -> int:
    """The shop's owner (the first time: made)."""
    found = [s.id for s in tenants.list_staff(rt, shop.tenant_id) if s.role == "owner"]
    return found[0] if found else tenants.create_staff(
        rt, shop.tenant_id, name="Olga", email="olga@example.com", role="owner",
        store_id=None, actor=audit.SYSTEM).id


def _people(rt: Runtime, shop: Shop, tmp_path: Path) -> tuple[Pos, list[str], list[str]]:
    """A small shop's worth of members the way the demo makes them (registered at the till,
    with cards, a code, receipts, an import, a merge and an erasure) and the owner's own
    phone; the numbers (the owner's last) and the cards."""
    pos = Pos(rt, shop)
    staff_access.set_phone(rt, shop.tenant_id, _owner_id(rt, shop), "8 916 000-00-09")
    ids = [int(pos.register(n)["id"]) for n in range(1, 6)]
    cards = [f"CARD{n:04d}" for n in range(1, 4)]
    for member_id, card in zip(ids, cards, strict=False):
        registration.add_card(rt, shop.tenant_id, member_id, card)
    registration.update_profile(rt, shop.tenant_id, ids[0], {"first_name": "Anna"})
    otp.send_code(rt, shop.tenant_id, MemberRef(id=ids[0]), purpose="spend")
    pos.commit(ids[0], (line("cup", 50_000),), receipt="R-1")
    history = tmp_path / "history.csv"
    history.write_text(f"phone,card,date,amount\n{phone(6)},CARD0006,2025-01-01,1000\n")
    assert import_file(rt, shop.tenant_id, ImportRequest(kind=Kind.RECEIPTS, path=history),
    actor=audit.SYSTEM,
                       ).members_created == 1
    member_ledger.merge(rt, shop.tenant_id, source_id=ids[4], target_id=ids[3], key="m-1")
    privacy.erase(rt, shop.tenant_id, ids[2], actor=OWNER)
    return pos, [*(phone(n) for n in range(1, 7)), STAFF_PHONE], [*cards, "CARD0006"]


def _stored_text(database_url: str, tmp_path: Path) -> bytes:
    """The database as a copy of it would hold it: the SQLite file (and its log) or a
    ``pg_dump``."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    dump = shutil.which("pg_dump")
    if dump is None:
        pytest.skip("pg_dump is not installed")
    out = tmp_path / "dump.sql"
    subprocess.run([dump, "--data-only", "-f", str(out), database_url], check=True)
    return out.read_bytes()


def test_a_copy_of_the_database_holds_no_phone_card_or_qr_token_in_plain_text(
        rt: Runtime, shop: Shop, client: TestClient, database_url: str,
        tmp_path: Path) -> None:
    _pos, phones, cards = _people(rt, shop, tmp_path)
    assert _quote(client, shop, {"phone": phones[1]})["member"]["phone"] == phones[1]  # type: ignore[index]
    tokens = [member_service.get(rt, shop.tenant_id, MemberRef(phone=p)).qr_token
              for p in (phones[0], phones[1])]
    stored = _stored_text(database_url, tmp_path)
    assert b"Anna" in stored  # the copy is whole: a name is not an identifier
    for secret in (*phones, *(p.removeprefix("+") for p in phones), *cards, *tokens):
        assert secret.encode() not in stored, secret


def test_every_look_up_finds_the_member_through_the_index(
        rt: Runtime, shop: Shop, client: TestClient) -> None:
    pos = Pos(rt, shop)
    member = pos.register(1)
    registration.add_card(rt, shop.tenant_id, int(member["id"]), "CARD7777")
    for ref in ({"phone": "+7 916 000-00-01"}, {"card": "CARD7777"},
                {"qr": str(member["qr_token"])}):
        quoted = _quote(client, shop, ref)
        assert quoted["member"]["id"] == member["id"]  # type: ignore[index]
        assert quoted["member"]["phone"] == phone(1)  # type: ignore[index]
    found = member_service.search(rt, shop.tenant_id, text="89160000001", limit=10, offset=0)
    assert [m.id for m in found] == [member["id"]]
    assert member_service.search(rt, shop.tenant_id, text="0000001", limit=10, offset=0) == []
    again, created = registration.register(rt, shop.tenant_id,
                                           registration.Registration(phone=phone(1)))
    assert not created and again.id == member["id"]
    other = pos.register(2)
    with pytest.raises(DuplicateIdentifier):
        registration.add_card(rt, shop.tenant_id, int(other["id"]), "CARD7777")


def _sealed_key_ids(rt: Runtime) -> set[str]:
    with rt.db.read() as conn:
        values = [*conn.execute(select(members.c.phone_sealed, members.c.qr_sealed)).all(),
                  *conn.execute(select(member_identifiers.c.value_sealed)).all(),
                  *conn.execute(select(staff.c.phone_sealed)).all()]
    return {v.partition(".")[0] for row in values for v in row if v}


@pytest.mark.usefixtures("keys_restored")
def test_a_rotation_reseals_everything_while_the_tills_keep_finding_members(
        rt: Runtime, shop: Shop, client: TestClient, tmp_path: Path) -> None:
    _switch_keys(personal_data_key="first")
    _pos, phones, cards = _people(rt, shop, tmp_path)
    first = personal.keys().key_id
    assert _sealed_key_ids(rt) == {first}

    _switch_keys(personal_data_key="second", personal_data_old_keys="first",
                 personal_index_key="first")
    second = personal.keys().key_id
    assert _quote(client, shop, {"card": cards[0]})["member"]["phone"] == phones[0]  # type: ignore[index]
    assert sum(keys.pending(rt).left.values()) > 0

    done = keys.rotate(rt, batch_rows=2)
    assert sum(done.resealed.values()) > 0 and not any(done.left.values())
    assert _sealed_key_ids(rt) == {second}
    assert not any(keys.rotate(rt).resealed.values())  # once finished, nothing more

    _switch_keys(personal_data_key="second", personal_index_key="first")  # old key dropped
    assert _quote(client, shop, {"phone": phones[1]})["member"]["phone"] == phones[1]  # type: ignore[index]
    assert member_service.get(rt, shop.tenant_id, MemberRef(card=cards[1])).phone == phones[1]
    assert tenants.get_staff(rt, shop.tenant_id, _owner_id(rt, shop)).phone == STAFF_PHONE


@pytest.mark.usefixtures("keys_restored")
def test_a_new_index_key_finds_members_again_after_a_reindex(
        rt: Runtime, shop: Shop, client: TestClient, tmp_path: Path) -> None:
    _switch_keys(personal_data_key="first")
    _pos, phones, cards = _people(rt, shop, tmp_path)
    _switch_keys(personal_data_key="second", personal_data_old_keys="first")
    assert client.post("/v1/pos/quote", headers=shop.till(), json={
        "member": {"phone": phones[0]}, "lines": BASKET}).status_code == 404
    keys.rotate(rt, reindex=True)
    for ref in ({"phone": phones[0]}, {"card": cards[1]}):
        assert _quote(client, shop, ref)["member"]["phone"] in phones  # type: ignore[index]


def _staff_contacts(rt: Runtime, shop: Shop) -> frozenset[tuple[int, int]]:
    with rt.db.read() as conn:
        return fraud.staff_contacts(conn, shop.tenant_id)


@pytest.mark.usefixtures("keys_restored")
def test_the_fraud_scan_matches_a_staff_phone_to_a_member_s_by_index_across_a_reindex(
        rt: Runtime, shop: Shop) -> None:
    _switch_keys(personal_data_key="first")
    owner = _owner_id(rt, shop)
    staff_access.set_phone(rt, shop.tenant_id, owner, "8 916 000-00-01")  # phone(1), said
    member_id = int(Pos(rt, shop).register(1)["id"])
    Pos(rt, shop).register(2)
    assert _staff_contacts(rt, shop) == {(owner, member_id)}
    with rt.db.read() as conn:
        stored = conn.execute(select(staff.c.phone_sealed, staff.c.phone_index)
                              .where(staff.c.id == owner)).one()
    assert phone(1) not in stored.phone_sealed and phone(1).lstrip("+") not in str(stored)

    _switch_keys(personal_data_key="second", personal_data_old_keys="first")
    assert _staff_contacts(rt, shop) == {(owner, member_id)}  # stored indexes, no key used
    keys.rotate(rt, reindex=True)  # both sides re-indexed under the new key
    assert _staff_contacts(rt, shop) == {(owner, member_id)}
    staff_access.set_phone(rt, shop.tenant_id, owner, None)
    assert _staff_contacts(rt, shop) == frozenset()


def test_the_migration_seals_what_was_plain_and_opens_it_going_down(
        rt: Runtime, shop: Shop, database_url: str) -> None:
    member = Pos(rt, shop).register(1)
    registration.add_card(rt, shop.tenant_id, int(member["id"]), "CARD7777")
    owner = _owner_id(rt, shop)
    staff_access.set_phone(rt, shop.tenant_id, owner, STAFF_PHONE)
    engine = make_engine(database_url)
    try:
        config = alembic_config()
        below = ScriptDirectory.from_config(config).get_revision("0033").down_revision
        with engine.connect() as conn:
            config.attributes["connection"] = conn.execution_options(regulars_write=True)
            command.downgrade(config, str(below))
            conn.commit()
            plain = {tuple(r) for r in conn.exec_driver_sql(
                "SELECT kind, value FROM member_identifiers")}
            assert plain == {("phone", phone(1)), ("card", "CARD7777"),
                             ("qr", member["qr_token"])}
            assert conn.exec_driver_sql("SELECT phone FROM members").scalar_one() == phone(1)
            assert conn.exec_driver_sql("SELECT phone FROM staff WHERE phone IS NOT NULL"
                                        ).scalar_one() == STAFF_PHONE
        upgrade(engine)
    finally:
        engine.dispose()
    for ref in (MemberRef(phone=phone(1)), MemberRef(card="CARD7777"),
                MemberRef(qr=str(member["qr_token"]))):
        assert member_service.get(rt, shop.tenant_id, ref).phone == phone(1)
    assert phone(1) not in str(_sealed_key_ids(rt))
    assert tenants.get_staff(rt, shop.tenant_id, owner).phone == STAFF_PHONE
    assert _staff_contacts(rt, shop) == frozenset()  # the owner's number is no member's
    with rt.db.read() as conn:
        assert "phone" not in {c["name"] for c in inspect(conn).get_columns("staff")}
