"""Remembered API keys: a revocation stops the key at once in the process that revoked it,
and within ``principal_cache_seconds`` in every other process (here: a second runtime over
the same database, as a second uvicorn worker would be)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from regulars.config import Settings
from regulars.db.engine import Database
from regulars.errors import Unauthorized
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import api_keys as auth
from regulars.services.tenancy import settings, tenants
from regulars.services.tenancy.api_keys import authenticate
from tests.conftest import FakeClock, Shop


class Monotonic:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> Monotonic:
    fake = Monotonic()
    monkeypatch.setattr(auth, "_monotonic", fake)
    return fake


@pytest.fixture
def other(database_url: str, clock: FakeClock) -> Iterator[Runtime]:
    """Another process's runtime over the same database."""
    runtime = Runtime(db=Database.from_url(database_url, pool_size=2), clock=clock,
                      settings=Settings(database_url=database_url))
    yield runtime
    runtime.close()


def _refused(rt: Runtime, key: str) -> bool:
    try:
        authenticate(rt, key)
    except Unauthorized:
        return True
    return False


def test_a_remembered_key_needs_no_unit_of_work(rt: Runtime, shop: Shop,
                                                 monotonic: Monotonic) -> None:
    first = authenticate(rt, shop.till_keys[0])
    opened = 0
    original = rt.db.read

    def counting_read():  # type: ignore[no-untyped-def]
        nonlocal opened
        opened += 1
        return original()

    rt.db.read = counting_read  # type: ignore[method-assign]
    assert authenticate(rt, shop.till_keys[0]) == first
    assert opened == 0
    monotonic.seconds += rt.settings.principal_cache_seconds
    assert authenticate(rt, shop.till_keys[0]) == first
    assert opened == 1


@pytest.mark.usefixtures("monotonic")
def test_revoking_in_this_process_stops_the_key_at_once(rt: Runtime, shop: Shop) -> None:
    owner = authenticate(rt, shop.owner_key)
    spare = tenants.create_owner_key(rt, shop.tenant_id, "spare", actor=audit.SYSTEM)
    other_spare = tenants.create_owner_key(rt, shop.tenant_id, "other spare", actor=audit.SYSTEM)
    for key in (shop.till_keys[0], shop.till_keys[1], spare.key, other_spare.key):
        authenticate(rt, key)  # remembered now
    tenants.revoke_terminal(rt, shop.tenant_id, shop.terminal_ids[0], actor=audit.SYSTEM)
    assert _refused(rt, shop.till_keys[0])
    rotated = tenants.rotate_terminal_key(rt, shop.tenant_id, shop.terminal_ids[1],
                                          actor=audit.SYSTEM)
    assert _refused(rt, shop.till_keys[1])
    assert authenticate(rt, rotated.key).terminal_id == shop.terminal_ids[1]
    tenants.revoke_key(rt, shop.tenant_id, spare.id, actor=audit.SYSTEM)
    assert _refused(rt, spare.key)
    settings.revoke_owner_key(rt, shop.tenant_id, other_spare.id, actor=audit.SYSTEM)
    assert _refused(rt, other_spare.key)
    assert authenticate(rt, shop.owner_key) == owner


def test_another_process_refuses_a_revoked_key_within_the_bound(
        rt: Runtime, other: Runtime, shop: Shop, monotonic: Monotonic) -> None:
    ttl = other.settings.principal_cache_seconds
    assert 0 < ttl <= 5
    authenticate(other, shop.till_keys[0])  # the other process remembers the till's key
    monotonic.seconds += ttl / 2
    tenants.revoke_terminal(rt, shop.tenant_id, shop.terminal_ids[0], actor=audit.SYSTEM)
    assert _refused(rt, shop.till_keys[0])
    # Still trusted by the other process until its time to live runs out, never longer.
    assert not _refused(other, shop.till_keys[0])
    monotonic.seconds += ttl / 2
    assert _refused(other, shop.till_keys[0])
    assert _refused(other, shop.till_keys[0])


@pytest.mark.usefixtures("monotonic")
def test_without_a_time_to_live_every_request_reads_its_key(
        rt: Runtime, other: Runtime, shop: Shop) -> None:
    other.settings = Settings(database_url=other.settings.database_url,
                              principal_cache_seconds=0)
    authenticate(other, shop.till_keys[0])
    tenants.revoke_terminal(rt, shop.tenant_id, shop.terminal_ids[0], actor=audit.SYSTEM)
    assert _refused(other, shop.till_keys[0])


@pytest.mark.usefixtures("monotonic")
def test_unknown_keys_are_not_remembered(rt: Runtime, other: Runtime, shop: Shop) -> None:
    key = tenants.create_owner_key(rt, shop.tenant_id, "late", actor=audit.SYSTEM)
    tenants.revoke_key(rt, shop.tenant_id, key.id, actor=audit.SYSTEM)
    assert _refused(other, key.key)
    assert _refused(other, "rgt_not-a-key")
    assert authenticate(other, shop.owner_key).kind == "owner"
