"""Shared fixtures: a settable clock, a migrated database (SQLite by default, PostgreSQL for
tests marked ``postgres`` when ``REGULARS_TEST_POSTGRES_URL`` is set), a runtime and an HTTP
client over the real application."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text

from regulars.api.app import create_app
from regulars.config import Settings
from regulars.db.engine import Database, make_engine
from regulars.db.migrate import upgrade
from regulars.db.schema import metadata
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants

# The tests' made-up members may be sealed under the built-in development key, in the servers
# and workers they start too (tests/e2e/test_worker_cli.py checks the refusal itself).
os.environ.setdefault("REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED", "true")
PG_URL = os.environ.get("REGULARS_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("REGULARS_REQUIRE_POSTGRES") == "1"


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def database_beside(url: str, name: str, *, template: str | None = None,
                    fresh: bool = False) -> str:
    """The address of PostgreSQL database ``name`` on the server of ``url``, created if it is
    not there (``fresh``: dropped and created anew; ``template``: as a copy of that one)."""
    base = make_url(url)
    admin = make_engine(url)
    try:
        with admin.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            if fresh:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'
                                  + (f' TEMPLATE "{template}"' if template else "")))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _worker_database(url: str) -> str:
    """The database this test process uses: the given one, or under pytest-xdist one per worker
    (``<name>_gw0``, ``<name>_gw1``…), created beside it, so that workers never share tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    return database_beside(url, f"{make_url(url).database}_{worker}")


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("REGULARS_REQUIRE_POSTGRES=1 but REGULARS_TEST_POSTGRES_URL is unset")
        pytest.skip("PostgreSQL tests need REGULARS_TEST_POSTGRES_URL")
    try:
        url = _worker_database(PG_URL)
    except Exception as exc:  # the server is not there or not usable
        if REQUIRE_PG:
            raise
        pytest.skip(f"PostgreSQL not usable: {exc}")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
    except Exception as exc:  # the server is not there or not usable
        if REQUIRE_PG:
            raise
        pytest.skip(f"PostgreSQL not usable: {exc}")
    finally:
        engine.dispose()
    return url


def _truncate_pg(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Run a test once on SQLite and once on PostgreSQL (the latter marked ``postgres``)."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgres":
        url: str = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
        return url
    template: Path = request.getfixturevalue("sqlite_template")
    target = tmp_path / "regulars.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def rt(database_url: str, clock: FakeClock,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    settings = Settings(database_url=database_url,
                        import_staging_dir=str(tmp_path_factory.mktemp("imports")))
    runtime = Runtime(db=Database.from_url(database_url, pool_size=30), clock=clock,
                      settings=settings)
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as test_client:
        yield test_client


@dataclass
class Shop:
    """A tenant ready to sell: one store, two tills, an owner key."""

    tenant_id: int
    owner_key: str
    store_id: int
    till_keys: list[str]
    terminal_ids: list[int]

    @property
    def owner(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.owner_key}"}

    def till(self, index: int = 0) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.till_keys[index]}"}


def make_shop(rt: Runtime, name: str = "Corner Café", *, region: str = "RU",
              currency: str = "RUB", locale: str = "ru_RU",
              timezone: str = "Europe/Moscow") -> Shop:
    # The level keeps its English name whatever the shop's language, as the tests read it.
    created = tenants.create_tenant(rt, name=name, currency=currency, locale=locale,
                                    timezone=timezone, phone_region=region,
                                    program=tenants.first_program(currency, "en_GB"))
    store = tenants.create_store(rt, created.tenant_id, code="main", name="Main street",
                                 actor=audit.SYSTEM)
    tills = [tenants.create_terminal(rt, created.tenant_id, store_id=store.id,
                                     code=f"till-{i}", name=f"Till {i}",
                                     actor=audit.SYSTEM) for i in (1, 2)]
    return Shop(tenant_id=created.tenant_id, owner_key=created.owner_key,
                store_id=store.id, till_keys=[t.key for t in tills],
                terminal_ids=[t.id for t in tills])


@pytest.fixture
def shop(rt: Runtime) -> Shop:
    return make_shop(rt)
