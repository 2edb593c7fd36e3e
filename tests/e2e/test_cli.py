"""The ``regulars`` command line, run in-process with Typer's runner against a real database:
schema upgrades, tenant creation (and its refusals), expiry, and the ledger check."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, inspect, select, text
from typer.testing import CliRunner

from regulars.api.app import create_app
from regulars.cli.main import app, main
from regulars.config import Settings
from regulars.db.engine import Database, make_engine
from regulars.db.ledger.tables import entries
from regulars.db.migrate import current, head
from regulars.db.program.tables import spend_days
from regulars.db.tenancy.tables import tenants
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.program import programs
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants as tenant_service
from tests.conftest import FakeClock

runner = CliRunner()
OWNER_KEY = re.compile(r"rgo_[A-Za-z0-9_-]{20,}")
LONG_AGO = datetime(2020, 1, 15, 12, 0, tzinfo=UTC)
RuntimeAt = Callable[[FakeClock], Runtime]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def tenant_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(tenants)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def runtime_at(database_url: str) -> Iterator[RuntimeAt]:
    """Runtimes over the test database with clocks of the test's choosing."""
    opened: list[Runtime] = []

    def make(clock: FakeClock) -> Runtime:
        rt = Runtime(db=Database.from_url(database_url), clock=clock,
                     settings=Settings(database_url=database_url))
        opened.append(rt)
        return rt

    yield make
    for rt in opened:
        rt.close()


# db upgrade -------------------------------------------------------------------------------------

def test_db_upgrade_builds_a_fresh_sqlite_database_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "fresh.db"
    url = f"sqlite:///{path}"
    for _ in range(2):
        code, out, err = run("db", "upgrade", "--database-url", url)
        assert code == 0, err
        assert "schema is up to date" in out
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        assert {"tenants", "members", "entries", "postings", "lots", "receipts"} <= names
        assert current(engine) is not None
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one()
        assert versions == 1
    finally:
        engine.dispose()


def test_db_upgrade_on_a_migrated_database_changes_nothing(database_url: str) -> None:
    code, out, err = run("db", "upgrade", "--database-url", database_url)
    assert code == 0, err
    assert tenant_count(database_url) == 0


# tenant create ----------------------------------------------------------------------------------

def test_tenant_create_prints_an_owner_key_that_works(database_url: str) -> None:
    code, out, err = run("tenant", "create", "--name", "Corner Café", "--currency", "eur",
                         "--locale", "de_DE", "--timezone", "Europe/Berlin",
                         "--phone-region", "de", "--database-url", database_url)
    assert code == 0, err
    assert re.search(r"tenant \d+ created", out)
    keys = OWNER_KEY.findall(out)
    assert len(keys) == 1, out

    rt = Runtime(db=Database.from_url(database_url), settings=Settings(database_url=database_url))
    try:
        with TestClient(create_app(rt)) as client:
            answer = client.get("/v1/admin/tenant",
                                headers={"Authorization": f"Bearer {keys[0]}"})
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"id": answer.json()["id"], "name": "Corner Café",
                                     "currency": "EUR", "locale": "de_DE",
                                     "timezone": "Europe/Berlin", "phone_region": "DE"}
            wrong = client.get("/v1/admin/tenant",
                               headers={"Authorization": f"Bearer {keys[0]}x"})
            assert wrong.status_code == 401
    finally:
        rt.close()


def test_a_new_tenants_level_is_named_in_its_language(database_url: str) -> None:
    """The one level a new business starts with is named in the tenant's language (a
    Bulgarian member's page shows "Базово", not "Base"); other tenants keep their name."""
    created = {}
    for name, locale in (("Ъгъл", "bg_BG"), ("Corner", "en_GB")):
        code, out, err = run("tenant", "create", "--name", name, "--currency", "eur",
                             "--locale", locale, "--timezone", "Europe/Sofia",
                             "--phone-region", "bg", "--database-url", database_url)
        assert code == 0, err
        found = re.search(r"tenant (\d+) created", out)
        assert found
        created[locale] = int(found.group(1))
    rt = Runtime(db=Database.from_url(database_url), settings=Settings(database_url=database_url))
    try:
        view, _ = member_registration.register(rt, created["bg_BG"],
                                               Registration(phone="+359888123456"))
        assert view.level.name == "Базово"
        english = programs.current(rt, created["en_GB"]).rules.levels
        assert [level.name for level in english] == ["Base"]
    finally:
        rt.close()


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--currency", "ZZZ", "currency: unknown ISO 4217 currency 'ZZZ'"),
    ("--currency", "euro", "currency: unknown ISO 4217 currency 'EURO'"),
    ("--timezone", "Mars/Olympus_Mons", "timezone: unknown time zone 'Mars/Olympus_Mons'"),
    ("--locale", "xx_YY", "locale: unknown locale 'xx_YY'"),
    ("--phone-region", "QQ", "phone_region: unknown phone region 'QQ'"),
    ("--name", "   ", "name: name must not be empty"),
])
def test_tenant_create_refuses_bad_settings_with_exit_code_2(
        database_url: str, option: str, value: str, message: str) -> None:
    args = ["tenant", "create", "--name", "Corner Café", "--database-url", database_url]
    if option == "--name":
        args[3] = value
    else:
        args += [option, value]
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert "error:" in err and message in " ".join(err.split()), err
    assert not OWNER_KEY.search(out + err)
    assert tenant_count(database_url) == 0


def test_tenant_add_store_adds_a_store_and_refuses_a_code_with_a_space_with_exit_code_2(
        database_url: str) -> None:
    code, out, err = run("tenant", "create", "--name", "Corner Café",
                         "--database-url", database_url)
    assert code == 0, err
    found = re.search(r"tenant (\d+) created", out)
    assert found
    tenant = found.group(1)
    added = run("tenant", "add-store", "--tenant", tenant, "--code", "centre", "--name",
                "Centre", "--database-url", database_url)
    assert added[0] == 0 and "centre (Centre)" in added[1], added
    for store_code, name, message in (
            ("north mall", "North", "code: a store code is 1 to 32 Latin letters"),
            ("north", "CENTRE", "name: a store named 'CENTRE' exists")):
        code, out, err = run("tenant", "add-store", "--tenant", tenant, "--code", store_code,
                             "--name", name, "--database-url", database_url)
        assert code == 2, (out, err)
        assert "error:" in err and message in " ".join(err.split()), err
    missing = run("tenant", "add-store", "--tenant", "999", "--code", "x", "--name", "X",
                  "--database-url", database_url)
    assert missing[0] == 2 and "tenant not found" in missing[2]
    rt = Runtime(db=Database.from_url(database_url), settings=Settings(database_url=database_url))
    try:
        assert [s.code for s in tenant_service.list_stores(rt, int(tenant))] == ["centre"]
    finally:
        rt.close()


def test_tenant_add_till_prints_its_key_once_and_refuses_a_bad_code_with_exit_code_2(
        database_url: str) -> None:
    made = run("tenant", "create", "--name", "Corner Café", "--database-url", database_url)
    found = re.search(r"tenant (\d+) created", made[1])
    assert made[0] == 0 and found, made
    tenant = found.group(1)
    added = run("tenant", "add-store", "--tenant", tenant, "--code", "centre", "--name",
                "Centre", "--database-url", database_url)
    store = re.search(r"store (\d+) added", added[1])
    assert added[0] == 0 and store, added
    till = run("tenant", "add-till", "--tenant", tenant, "--store", store.group(1), "--code",
               " till-1 ", "--database-url", database_url)
    assert till[0] == 0 and "till-1" in till[1] and re.search(r"rgt_\w+", till[1]), till
    for till_code, message in (("till 2", "code: a till code is 1 to 32 Latin letters"),
                               ("кассa", "code: a till code is 1 to 32 Latin letters"),
                               ("T" * 33, "code: a till code is 1 to 32 Latin letters"),
                               ("till-1", "code: a till with code 'till-1' exists")):
        code, out, err = run("tenant", "add-till", "--tenant", tenant, "--store",
                             store.group(1), "--code", till_code, "--database-url",
                             database_url)
        assert code == 2, (out, err)
        assert "error:" in err and message in " ".join(err.split()), err
        assert not re.search(r"rgt_\w+", out + err)


# expire -----------------------------------------------------------------------------------------

def test_expire_posts_due_lots_once(database_url: str, runtime_at: RuntimeAt) -> None:
    past = runtime_at(FakeClock(LONG_AGO))
    created = tenant_service.create_tenant(past, name="Old Shop", currency="EUR",
                                           locale="en_GB", timezone="UTC", phone_region="GB")
    tenant_id = created.tenant_id
    stale, _ = member_registration.register(past, tenant_id, Registration(phone="+44 20 7946 0018"))
    member_ledger.adjust(past, tenant_id, stale.id, points=120, reason="old lot", key="a-1")
    member_ledger.adjust(past, tenant_id, stale.id, points=30, reason="old lot", key="a-2")
    fresh_clock = FakeClock(datetime.now(UTC))
    recent = runtime_at(fresh_clock)
    fresh, _ = member_registration.register(recent, tenant_id,
                                            Registration(phone="+44 20 7946 0019"))
    member_ledger.adjust(recent, tenant_id, fresh.id, points=55, reason="new lot", key="b-1")
    member_ledger.adjust(recent, tenant_id, stale.id, points=7, reason="new lot", key="a-3")

    code, out, err = run("expire", "--database-url", database_url, "--batch-size", "1")
    assert code == 0, err
    # one entry per member and run, for both of the stale member's due lots
    assert "expired 150 points in 2 lots (1 entries)" in " ".join(out.split())

    def balance(member_id: int) -> int:
        points: int = members.get(recent, tenant_id, MemberRef(id=member_id)).balance_points
        return points

    assert (balance(stale.id), balance(fresh.id)) == (7, 55)
    history = to_json(member_ledger.history(recent, tenant_id, stale.id))
    assert [e["points"] for e in history if e["code"] == "expire"] == [-150]
    assert ledger_admin.check(recent) == []

    with recent.db.read() as conn:
        before = conn.execute(select(func.count()).select_from(entries)).scalar_one()
    code, out, err = run("expire", "--database-url", database_url)
    assert code == 0, err
    assert "expired 0 points in 0 lots (0 entries)" in " ".join(out.split())
    with recent.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(entries)).scalar_one() == before
    assert (balance(stale.id), balance(fresh.id)) == (7, 55)


# ledger check -----------------------------------------------------------------------------------

def test_ledger_check_passes_a_clean_ledger_and_fails_a_corrupt_one(
        database_url: str, runtime_at: RuntimeAt) -> None:
    code, out, err = run("ledger", "check", "--database-url", database_url)
    assert code == 0, err  # an empty database is consistent
    rt = runtime_at(FakeClock())
    created = tenant_service.create_tenant(rt, name="Shop", currency="EUR", locale="en_GB",
                                           timezone="UTC", phone_region="GB")
    member, _ = member_registration.register(rt, created.tenant_id,
                                             Registration(phone="+44 20 7946 0018"))
    member_ledger.adjust(rt, created.tenant_id, member.id, points=40, reason="gift", key="g-1")

    code, out, err = run("ledger", "check", "--database-url", database_url)
    assert code == 0, err
    assert "ledger is consistent" in out

    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            changed = conn.execute(text(
                "UPDATE accounts SET balance = balance + 1 WHERE member_id = :member"),
                {"member": member.id}).rowcount
        assert changed == 1
    finally:
        engine.dispose()
    code, out, err = run("ledger", "check", "--database-url", database_url)
    assert code == 1, (out, err)
    assert "1 mismatches" in err


def test_ledger_check_fails_spend_totals_that_disagree_with_the_receipts(
        database_url: str, runtime_at: RuntimeAt) -> None:
    rt = runtime_at(FakeClock())
    created = tenant_service.create_tenant(rt, name="Shop", currency="EUR", locale="en_GB",
                                           timezone="UTC", phone_region="GB")
    member, _ = member_registration.register(rt, created.tenant_id,
                                             Registration(phone="+44 20 7946 0018"))
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:  # spend counted for a day without any receipt
            conn.execute(insert(spend_days).values(
                tenant_id=created.tenant_id, member_id=member.id,
                day=datetime(2026, 3, 2).date(), net_minor=500,
                last_at=datetime(2026, 3, 2, 10, tzinfo=UTC)))
    finally:
        engine.dispose()
    code, out, err = run("ledger", "check", "--database-url", database_url)
    assert code == 1, (out, err)
    assert "spend_day" in err and "1 mismatches" in err
    assert f"'member_id': {member.id}" in err or str(member.id) in err


# a database that cannot be used ----------------------------------------------------------------
# These run the console script's entry point (``main``), which turns errors into exit codes.

DATABASE_COMMANDS = [
    ("db", "upgrade"),
    ("tenant", "create", "--name", "Corner Café"),
    ("expire",),
    ("rewards", "run"),
    ("ledger", "check"),
    ("serve", "--port", "1"),
]


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *args: str) -> tuple[int, str]:
    """``regulars ARGS`` through the console script's ``main``: exit code and stderr."""
    monkeypatch.setattr(sys, "argv", ["regulars", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 1, capsys.readouterr().err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
@pytest.mark.parametrize(("url", "message"), [
    ("mysql://root@localhost/x", "database_url: the database URL must start with sqlite:///"),
    ("postgresql://u:secret@db.example:port/x", "database_url: the database URL does not parse"),
    ("sqlite:////proc/no-such-directory/x.db", "database_url: "),
])
def test_a_bad_database_url_is_one_line_and_exit_code_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: tuple[str, ...], url: str, message: str) -> None:
    code, err = run_main(monkeypatch, capsys, *command, "--database-url", url)
    assert code == 2
    assert one_error_line(err).startswith(f"error: {message}")
    assert "secret" not in err


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_an_unreachable_database_is_one_line_and_exit_code_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: tuple[str, ...]) -> None:
    code, err = run_main(monkeypatch, capsys, *command,
                         "--database-url", "postgresql://127.0.0.1:1/x")
    assert code == 2
    line = one_error_line(err)
    assert line.startswith("error: the database is unavailable: ") and "refused" in line


def test_the_console_script_reports_an_unreachable_database_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "regulars.cli.main", "db", "upgrade",
                           "--database-url", "postgresql://127.0.0.1:1/x"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert one_error_line(done.stderr).startswith("error: the database is unavailable: ")


@pytest.fixture
def locked_sqlite(tmp_path: Path, sqlite_template: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file whose write lock another connection holds, and a busy timeout
    of half a second."""
    path = tmp_path / "locked.db"
    shutil.copyfile(sqlite_template, path)
    monkeypatch.setenv("REGULARS_SQLITE_BUSY_TIMEOUT_SECONDS", "0.5")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield f"sqlite:///{path}"
    finally:
        holder.close()


@pytest.mark.parametrize("command", [c for c in DATABASE_COMMANDS if c[0] != "ledger"],
                         ids=" ".join)
def test_a_locked_sqlite_file_gives_up_within_the_busy_timeout_and_says_so(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        locked_sqlite: str, command: tuple[str, ...]) -> None:
    started = time.monotonic()
    code, err = run_main(monkeypatch, capsys, *command, "--database-url", locked_sqlite)
    waited = time.monotonic() - started
    assert code == 2
    line = one_error_line(err)
    assert "database is locked" in line and "REGULARS_SQLITE_BUSY_TIMEOUT_SECONDS=0.5" in line
    assert 0.4 < waited < 10  # the busy timeout, not the default 30 s


def test_ledger_check_reads_a_locked_sqlite_file(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        locked_sqlite: str) -> None:
    code, err = run_main(monkeypatch, capsys, "ledger", "check", "--database-url", locked_sqlite)
    assert code == 0, err


def test_ledger_check_on_a_mistyped_sqlite_path_creates_nothing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "regulars.db"
    code, err = run_main(monkeypatch, capsys, "ledger", "check",
                         "--database-url", f"sqlite:///{typo}")
    assert code == 2
    assert "there is no SQLite database at" in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_ledger_check_refuses_a_schema_that_is_not_current_and_changes_nothing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('0001')")
    conn.close()
    code, err = run_main(monkeypatch, capsys, "ledger", "check", "--database-url",
                         f"sqlite:///{path}")
    assert code == 2
    line = one_error_line(err)
    assert f"the database schema is 0001, this code needs {head()}" in line
    assert "regulars db upgrade" in line
    with sqlite3.connect(path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert tables == {"alembic_version"}

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, err = run_main(monkeypatch, capsys, "ledger", "check", "--database-url",
                         f"sqlite:///{empty}")
    assert code == 2
    assert "the database schema is not created" in one_error_line(err)


@pytest.mark.postgres
def test_ledger_check_on_a_postgresql_database_that_does_not_exist(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        pg_migrated: str) -> None:
    missing = pg_migrated.rsplit("/", 1)[0] + "/regulars_no_such_database"
    code, err = run_main(monkeypatch, capsys, "ledger", "check", "--database-url", missing)
    assert code == 2
    assert "does not exist" in one_error_line(err)
