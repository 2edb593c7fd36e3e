"""``regulars keys`` and the personal data key: a server or worker refuses to start with the
built-in development key unless told it may; ``keys rotate`` re-encrypts under a new key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from regulars.config import Settings
from regulars.db import personal
from regulars.db.migrate import alembic_config, head, revision_on
from regulars.db.tenancy.tenancy import list_tenants
from regulars.services.members.members import MemberRef
from regulars.services.members.members import get as get_member
from regulars.services.runtime import Runtime, open_runtime
from tests.conftest import Shop, make_shop
from tests.e2e.test_worker_cli import run
from tests.integration.support import Pos, phone


@pytest.mark.parametrize("command", [("serve", "--port", "8615"), ("worker", "--once")])
def test_the_development_key_is_refused_unless_allowed(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        command: tuple[str, ...]) -> None:
    database = tmp_path / "r.db"
    monkeypatch.setenv("REGULARS_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("REGULARS_SMS_LOG_ALLOWED", "true")
    monkeypatch.delenv("REGULARS_PERSONAL_DATA_KEY", raising=False)
    monkeypatch.delenv("REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED", raising=False)
    code, _, err = run(monkeypatch, capsys, *command)
    assert code == 2
    assert "REGULARS_PERSONAL_DATA_KEY" in err and "Traceback" not in err
    assert not database.exists()  # refused before anything was migrated


@pytest.fixture
def keys_restored() -> Iterator[None]:
    before = personal.keys()
    yield
    personal.use(before)


@pytest.mark.usefixtures("keys_restored")
def test_keys_rotate_reencrypts_under_the_new_key_and_status_says_when_done(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    monkeypatch.setenv("REGULARS_DATABASE_URL", url)
    monkeypatch.setenv("REGULARS_PERSONAL_DATA_KEY", "first-secret")
    with open_runtime(Settings(), migrate=True) as rt:
        shop = make_shop(rt)
        member_id = int(Pos(rt, shop).register(1)["id"])

    monkeypatch.setenv("REGULARS_PERSONAL_DATA_KEY", "second-secret")
    monkeypatch.setenv("REGULARS_PERSONAL_INDEX_KEY", "first-secret")
    code, out, err = run(monkeypatch, capsys, "keys", "rotate")
    assert code == 2 and "REGULARS_PERSONAL_DATA_OLD_KEYS" in err  # the old key is needed

    monkeypatch.setenv("REGULARS_PERSONAL_DATA_OLD_KEYS", "first-secret")
    assert run(monkeypatch, capsys, "keys", "status")[0] == 1
    code, out, _ = run(monkeypatch, capsys, "keys", "rotate", "--batch-rows", "1")
    assert code == 0 and "members: 1 re-encrypted, 0 left" in out
    assert "first-secret" not in out and "second-secret" not in out
    code, out, _ = run(monkeypatch, capsys, "keys", "status")
    assert code == 0 and "members: 0 under an older key" in out

    monkeypatch.delenv("REGULARS_PERSONAL_DATA_OLD_KEYS")
    with open_runtime(Settings()) as rt:
        found = get_member(rt, shop.tenant_id, MemberRef(phone=phone(1)))
    assert found.id == member_id and found.phone == phone(1)


# writing a business's data without a key ------------------------------------------------------

def _without_key(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("REGULARS_DATABASE_URL", url)
    monkeypatch.delenv("REGULARS_PERSONAL_DATA_KEY", raising=False)
    monkeypatch.delenv("REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED", raising=False)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def shop_file(tmp_path: Path) -> Path:
    """A SQLite file at the schema's head holding one business with a member, its schema
    stamped one revision back so that ``db upgrade`` would have a migration to run."""
    path = tmp_path / "shop.db"
    with open_runtime(Settings(database_url=f"sqlite:///{path}"), migrate=True) as rt:
        Pos(rt, make_shop(rt)).register(1)
        with rt.db.write() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :before"),
                         {"before": ScriptDirectory.from_config(alembic_config())
                          .get_revision(head()).down_revision})
    return path


@pytest.mark.usefixtures("keys_restored")
def test_db_upgrade_of_a_database_with_a_business_is_refused_without_a_key_and_writes_nothing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        shop_file: Path) -> None:
    _without_key(monkeypatch, f"sqlite:///{shop_file}")
    before = _digest(shop_file)
    code, out, err = run(monkeypatch, capsys, "db", "upgrade")
    assert code == 2 and "Traceback" not in err
    assert "REGULARS_PERSONAL_DATA_KEY" in err and "Nothing was written" in err
    assert "REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED" in err
    assert _digest(shop_file) == before


@pytest.mark.usefixtures("keys_restored")
@pytest.mark.parametrize("command", [("expire",), ("rewards", "run"), ("keys", "rotate"),
                                     ("tenant", "create", "--name", "Second shop"),
                                     ("worker", "--once")], ids=" ".join)
def test_commands_that_write_a_business_s_data_are_refused_without_a_key(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], shop_file: Path,
        command: tuple[str, ...]) -> None:
    _without_key(monkeypatch, f"sqlite:///{shop_file}")
    monkeypatch.setenv("REGULARS_SMS_LOG_ALLOWED", "true")
    before = _digest(shop_file)
    code, _, err = run(monkeypatch, capsys, *command)
    assert code == 2 and "REGULARS_PERSONAL_DATA_KEY" in err and "Traceback" not in err
    assert _digest(shop_file) == before


@pytest.mark.usefixtures("keys_restored")
def test_db_upgrade_of_an_empty_database_goes_on_without_a_key_and_says_what_to_set(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    database = tmp_path / "new.db"
    _without_key(monkeypatch, f"sqlite:///{database}")
    code, out, err = run(monkeypatch, capsys, "db", "upgrade")
    assert code == 0 and "schema is up to date" in out
    assert "REGULARS_PERSONAL_DATA_KEY" in err
    code, out, err = run(monkeypatch, capsys, "db", "upgrade")  # still no business: goes on
    assert code == 0


@pytest.mark.usefixtures("keys_restored")
def test_tenant_create_needs_a_key_even_on_an_empty_database(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    database = tmp_path / "new.db"
    _without_key(monkeypatch, f"sqlite:///{database}")
    code, _, err = run(monkeypatch, capsys, "tenant", "create", "--name", "Corner Café")
    assert code == 2 and "REGULARS_PERSONAL_DATA_KEY" in err
    assert not database.exists()

    monkeypatch.setenv("REGULARS_PERSONAL_DATA_KEY", "a-long-random-secret")
    code, out, _ = run(monkeypatch, capsys, "tenant", "create", "--name", "Corner Café")
    assert code == 0 and "created" in out


@pytest.mark.usefixtures("keys_restored")
def test_on_either_database_a_business_s_data_is_not_touched_without_a_key(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rt: Runtime,
        shop: Shop, database_url: str) -> None:
    Pos(rt, shop).register(1)
    _without_key(monkeypatch, database_url)
    for command in (("db", "upgrade"), ("tenant", "create", "--name", "Second shop"),
                    ("expire",)):
        code, _, err = run(monkeypatch, capsys, *command)
        assert code == 2 and "REGULARS_PERSONAL_DATA_KEY" in err, command
    with rt.db.read() as conn:
        assert len(list_tenants(conn)) == 1
        assert revision_on(conn) == head()
