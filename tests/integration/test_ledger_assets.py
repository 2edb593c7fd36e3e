"""Assets never mix: every write of the ledger names its asset, an entry whose postings name
accounts of two assets (or another tenant's) is refused, and the ledger check sums each
(tenant, asset) to zero on its own."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ledger import KEY_LENGTH, stored_key
from regulars.db.ledger.ops import EntryContext, MixedAssets, Shortfall
from regulars.db.ledger.tables import entries, postings
from regulars.domain.ledger.assets import POINTS, AssetKind, goods, money
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos

EUR = money("EUR")
COFFEE = goods("coffee", "cup")


def context(tenant_id: int, member_id: int, now: datetime) -> EntryContext:
    return EntryContext(tenant_id=tenant_id, member_id=member_id, occurred_at=now,
                        recorded_at=now)


@pytest.fixture
def wallet(rt: Runtime) -> tuple[Pos, int, int, int]:
    """A shop with a member who holds a points account and a euro account."""
    pos = Pos(rt, make_shop(rt, "Asset Café"))
    member_id = pos.register(1)["id"]
    with rt.db.write() as conn:
        ledger_ops.open_system_accounts(conn, pos.tenant_id, asset=EUR)
        euros = ledger_ops.open_account(conn, pos.tenant_id, member_id, asset=EUR)
        points = ledger_ops.account_state(conn, pos.tenant_id, member_id).id
    return pos, member_id, points, euros


def test_money_moves_through_the_same_operations_and_reconciles(
        rt: Runtime, wallet: tuple[Pos, int, int, int]) -> None:
    pos, member_id, points_account, euros = wallet
    now = rt.now()
    ctx = context(pos.tenant_id, member_id, now)
    points_before = pos.balance(member_id)
    with rt.db.write() as conn:
        ledger_ops.earn(conn, ctx, key="topup:1", account_id=euros, amount=2500,
                        available_at=now, expires_at=None, memo={}, asset=EUR)
        ledger_ops.spend(conn, ctx, key="pay:1", account_id=euros, amount=900, now=now,
                         memo={}, asset=EUR)
        state = ledger_ops.account_state(conn, pos.tenant_id, member_id, asset=EUR)
    with pytest.raises(Shortfall), rt.db.write() as conn:  # rolled back whole
        ledger_ops.spend(conn, ctx, key="pay:2", account_id=euros, amount=1601, now=now,
                         memo={}, asset=EUR)
    assert (state.id, state.balance) == (euros, 1600)
    assert pos.balance(member_id) == points_before  # the points account did not move
    assert ledger_admin.check(rt) == []


@pytest.mark.parametrize("write", ["earn", "spend", "transfer", "adjust"])
def test_an_entry_naming_an_account_of_another_asset_is_refused(
        rt: Runtime, wallet: tuple[Pos, int, int, int], write: str) -> None:
    pos, member_id, points_account, euros = wallet
    now = rt.now()
    ctx = context(pos.tenant_id, member_id, now)
    with pytest.raises(MixedAssets), rt.db.write() as conn:
        if write == "earn":  # points from the points system account into a euro account
            ledger_ops.earn(conn, ctx, key="mixed", account_id=euros, amount=10,
                            available_at=now, expires_at=None, memo={})
        elif write == "spend":  # euros out of the points account
            ledger_ops.spend(conn, ctx, key="mixed", account_id=points_account, amount=10,
                             now=now, memo={}, asset=EUR)
        elif write == "transfer":
            ledger_ops.transfer(conn, ctx, key="mixed", source_account_id=points_account,
                                target_account_id=euros, memo=lambda _moved: {})
        else:
            ledger_ops.adjust(conn, ctx, key="mixed", account_id=euros, amount=5, now=now,
                              expires_at=now + timedelta(days=1), memo={})
    assert ledger_admin.check(rt) == []  # the refused write rolled back whole


def test_an_account_of_another_tenant_is_refused(
        rt: Runtime, wallet: tuple[Pos, int, int, int]) -> None:
    pos, member_id, points_account, _ = wallet
    other = Pos(rt, make_shop(rt, "Other Café"))
    now = rt.now()
    with pytest.raises(MixedAssets), rt.db.write() as conn:
        ledger_ops.earn(conn, context(other.tenant_id, member_id, now), key="theirs",
                        account_id=points_account, amount=10, available_at=now,
                        expires_at=None, memo={})


def test_the_check_sums_each_tenant_and_asset_on_its_own(
        rt: Runtime, wallet: tuple[Pos, int, int, int]) -> None:
    pos, member_id, points_account, euros = wallet
    now = rt.now()
    # Written around the write path on purpose: an entry that balances in total but moves
    # points against euros, which each asset's own sum shows.
    with rt.db.write() as conn:
        entry_id = conn.execute(insert(entries).values(
            tenant_id=pos.tenant_id, code="adjust", idempotency_key="planted", points=0,
            memo={}, occurred_at=now, recorded_at=now).returning(entries.c.id)).scalar_one()
        conn.execute(insert(postings), [
            {"tenant_id": pos.tenant_id, "entry_id": entry_id, "account_id": points_account,
             "amount": 7},
            {"tenant_id": pos.tenant_id, "entry_id": entry_id, "account_id": euros,
             "amount": -7}])
    problems = ledger_admin.check(rt)
    assert {"kind": "tenant", "tenant_id": pos.tenant_id, "asset": "points", "total": 7} \
        in problems
    assert {"kind": "tenant", "tenant_id": pos.tenant_id, "asset": EUR.code, "total": -7} \
        in problems
    assert {"kind": "mixed_assets", "entry_id": entry_id} in problems
    assert {"kind": "entry", "entry_id": entry_id} not in problems  # it does balance


def test_assets_describe_their_kind_unit_and_system_accounts() -> None:
    assert (POINTS.kind, EUR.kind, COFFEE.kind) == (
        AssetKind.POINTS, AssetKind.MONEY, AssetKind.GOODS)
    assert (EUR.code, EUR.unit, COFFEE.code, COFFEE.unit) == (
        "money:EUR", "EUR minor", "goods:coffee", "cup")
    assert POINTS.system_accounts == EUR.system_accounts
    with pytest.raises(ValueError):
        money("euro")
    with pytest.raises(ValueError):
        goods("", "cup")


def test_a_key_longer_than_the_column_is_stored_as_its_head_and_a_digest() -> None:
    short = "receipt:1:void:t1:abc:returned"
    assert stored_key(short) == short
    long_a = "receipt:1:void:t1:" + "0" * 200 + ":returned"
    long_b = "receipt:1:void:t1:" + "0" * 200 + ":reversed"
    assert len(stored_key(long_a)) == KEY_LENGTH
    assert stored_key(long_a) == stored_key(long_a) != stored_key(long_b)
