"""Prepaid goods accounts: products sold as goods, the accounts, their purchase lots and the
goods tenders of receipts (reads and writes of this area's tables; the ledger's are written
through :mod:`regulars.db.ledger.ops` only, balances are read from the accounts here). Every
query is scoped by ``tenant_id``; another tenant's row is not found. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from regulars.db.catalog.tables import products
from regulars.db.ledger.tables import accounts, postings
from regulars.db.stored_value.tables import (
    goods_accounts,
    goods_products,
    goods_purchases,
    goods_tenders,
)
from regulars.domain.ledger.ledger import SystemAccount


@dataclass(frozen=True, kw_only=True)
class GoodsProductRow:
    id: int
    product_id: int
    sku: str
    name: str
    unit: str
    asset: str


@dataclass(frozen=True, kw_only=True)
class GoodsAccountRow:
    id: int
    goods_product_id: int
    product_id: int
    sku: str
    product_name: str
    unit: str
    asset: str
    account_id: int
    member_id: int | None
    card_hint: str | None
    status: str
    created_at: datetime
    balance_milli: int


@dataclass(frozen=True, kw_only=True)
class GoodsTenderRow:
    id: int
    tender_no: int
    line_no: int
    goods_account_id: int
    account_id: int
    asset: str
    unit: str
    line_quantity_milli: int
    quantity_milli: int
    amount_minor: int
    returned_milli: int
    returned_minor: int
    entry_id: int


def _product_query(tenant_id: int) -> Any:
    g, p = goods_products, products
    return (select(g.c.id, g.c.product_id, p.c.sku, p.c.name, g.c.unit, g.c.asset)
            .join(p, p.c.id == g.c.product_id).where(g.c.tenant_id == tenant_id))


def _product(row: Any) -> GoodsProductRow:
    return GoodsProductRow(id=row.id, product_id=row.product_id, sku=row.sku, name=row.name,
                           unit=row.unit, asset=row.asset)


def goods_product_of(conn: Connection, tenant_id: int,
                     product_id: int) -> GoodsProductRow | None:
    row = conn.execute(_product_query(tenant_id)
                       .where(goods_products.c.product_id == product_id)).first()
    return None if row is None else _product(row)


def goods_products_of(conn: Connection, tenant_id: int) -> list[GoodsProductRow]:
    """Every product the tenant sells as goods, in the order they were registered."""
    return [_product(row) for row in conn.execute(
        _product_query(tenant_id).order_by(goods_products.c.id))]


def insert_goods_product(conn: Connection, tenant_id: int, *, product_id: int, unit: str,
                         asset: str, now: datetime) -> int:
    return int(conn.execute(insert(goods_products).values(
        tenant_id=tenant_id, product_id=product_id, unit=unit, asset=asset, created_at=now)
        .returning(goods_products.c.id)).scalar_one())


def _account_query(tenant_id: int) -> Any:
    a, g, p = goods_accounts, goods_products, products
    return (select(a.c.id, a.c.goods_product_id, g.c.product_id, p.c.sku,
                   p.c.name.label("product_name"), g.c.unit, g.c.asset, a.c.account_id,
                   a.c.member_id, a.c.card_hint, a.c.status, a.c.created_at,
                   accounts.c.balance.label("balance_milli"))
            .join(g, g.c.id == a.c.goods_product_id).join(p, p.c.id == g.c.product_id)
            .join(accounts, accounts.c.id == a.c.account_id)
            .where(a.c.tenant_id == tenant_id))


def _account(row: Any) -> GoodsAccountRow:
    return GoodsAccountRow(**{name: row._mapping[name] for name in (
        "id", "goods_product_id", "product_id", "sku", "product_name", "unit", "asset",
        "account_id", "member_id", "card_hint", "status", "created_at")},
        balance_milli=int(row.balance_milli))


def insert_account(conn: Connection, tenant_id: int, *, goods_product_id: int,
                   account_id: int, member_id: int | None, card_hash: str | None,
                   card_hint: str | None, now: datetime) -> int:
    return int(conn.execute(insert(goods_accounts).values(
        tenant_id=tenant_id, goods_product_id=goods_product_id, account_id=account_id,
        member_id=member_id, card_hash=card_hash, card_hint=card_hint, status="active",
        created_at=now).returning(goods_accounts.c.id)).scalar_one())


def get_account(conn: Connection, tenant_id: int, goods_account_id: int
                ) -> GoodsAccountRow | None:
    row = conn.execute(_account_query(tenant_id)
                       .where(goods_accounts.c.id == goods_account_id)).first()
    return None if row is None else _account(row)


def account_by_card(conn: Connection, tenant_id: int, card_hash: str) -> GoodsAccountRow | None:
    row = conn.execute(_account_query(tenant_id)
                       .where(goods_accounts.c.card_hash == card_hash)).first()
    return None if row is None else _account(row)


def member_account(conn: Connection, tenant_id: int, member_id: int,
                   goods_product_id: int) -> GoodsAccountRow | None:
    row = conn.execute(_account_query(tenant_id).where(
        goods_accounts.c.member_id == member_id,
        goods_accounts.c.goods_product_id == goods_product_id)).first()
    return None if row is None else _account(row)


def member_accounts_of(conn: Connection, tenant_id: int, member_id: int,
                       goods_product_ids: Sequence[int]) -> list[GoodsAccountRow]:
    """The member's goods accounts of these products, in the order they were opened."""
    return [_account(row) for row in conn.execute(_account_query(tenant_id).where(
        goods_accounts.c.member_id == member_id,
        goods_accounts.c.goods_product_id.in_(list(goods_product_ids)))
        .order_by(goods_accounts.c.id))]


def list_accounts(conn: Connection, tenant_id: int, *, member_id: int | None = None,
                  limit: int) -> list[GoodsAccountRow]:
    query = _account_query(tenant_id)
    if member_id is not None:
        query = query.where(goods_accounts.c.member_id == member_id)
    rows = conn.execute(query.order_by(goods_accounts.c.id.desc()).limit(limit)).all()
    return [_account(r) for r in rows]


def set_status(conn: Connection, tenant_id: int, goods_account_id: int, status: str) -> bool:
    return conn.execute(update(goods_accounts).where(
        goods_accounts.c.tenant_id == tenant_id, goods_accounts.c.id == goods_account_id)
        .values(status=status)).rowcount == 1


def insert_purchase(conn: Connection, tenant_id: int, *, goods_account_id: int,
                    entry_id: int, quantity_milli: int, paid_minor: int,
                    unit_price_minor: int | None, receipt_id: int | None,
                    now: datetime) -> None:
    conn.execute(insert(goods_purchases).values(
        tenant_id=tenant_id, goods_account_id=goods_account_id, entry_id=entry_id,
        quantity_milli=quantity_milli, paid_minor=paid_minor,
        unit_price_minor=unit_price_minor, receipt_id=receipt_id, purchased_at=now))


@dataclass(frozen=True, kw_only=True)
class GoodsPurchaseRow:
    """A purchase lot a receipt sold: into which goods account (and its ledger account), of
    which asset, by which entry."""

    id: int
    goods_account_id: int
    account_id: int
    product_id: int
    asset: str
    unit: str
    entry_id: int
    quantity_milli: int


def purchases_on(conn: Connection, tenant_id: int, receipt_id: int) -> list[GoodsPurchaseRow]:
    """The goods a receipt sold (its purchase lots), in the order they were written."""
    p, a, g = goods_purchases, goods_accounts, goods_products
    rows = conn.execute(
        select(p.c.id, p.c.goods_account_id, a.c.account_id, g.c.product_id, g.c.asset,
               g.c.unit,
               p.c.entry_id, p.c.quantity_milli)
        .join(a, a.c.id == p.c.goods_account_id).join(g, g.c.id == a.c.goods_product_id)
        .where(p.c.tenant_id == tenant_id, p.c.receipt_id == receipt_id)
        .order_by(p.c.id)).all()
    return [GoodsPurchaseRow(**dict(r._mapping)) for r in rows]


def purchases_of(conn: Connection, tenant_id: int,
                 goods_account_id: int) -> dict[int, tuple[int, int | None]]:
    """Per entry id of a top-up: (paid_minor, unit_price_minor)."""
    rows = conn.execute(select(goods_purchases.c.entry_id, goods_purchases.c.paid_minor,
                               goods_purchases.c.unit_price_minor).where(
        goods_purchases.c.tenant_id == tenant_id,
        goods_purchases.c.goods_account_id == goods_account_id))
    return {int(r.entry_id): (int(r.paid_minor), r.unit_price_minor) for r in rows}


def insert_tenders(conn: Connection, tenant_id: int, receipt_id: int,
                   rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(goods_tenders), [
            {"tenant_id": tenant_id, "receipt_id": receipt_id, **row} for row in rows])


def tenders_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[GoodsTenderRow]:
    t, a, g = goods_tenders, goods_accounts, goods_products
    rows = conn.execute(
        select(t.c.id, t.c.tender_no, t.c.line_no, t.c.goods_account_id, a.c.account_id,
               g.c.asset, g.c.unit, t.c.line_quantity_milli, t.c.quantity_milli,
               t.c.amount_minor, t.c.returned_milli, t.c.returned_minor, t.c.entry_id)
        .join(a, a.c.id == t.c.goods_account_id).join(g, g.c.id == a.c.goods_product_id)
        .where(t.c.tenant_id == tenant_id, t.c.receipt_id == receipt_id)
        .order_by(t.c.tender_no, t.c.line_no)).all()
    return [GoodsTenderRow(**dict(r._mapping)) for r in rows]


def add_returned(conn: Connection, tenant_id: int, row_id: int, *, milli: int,
                 minor: int) -> None:
    conn.execute(update(goods_tenders).where(
        goods_tenders.c.tenant_id == tenant_id, goods_tenders.c.id == row_id).values(
        returned_milli=goods_tenders.c.returned_milli + milli,
        returned_minor=goods_tenders.c.returned_minor + minor))


def liability(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    """Per product sold as goods: its asset, unit, the accounts and the units they hold, what
    was paid for how many units bought (for the average price paid), and the units the
    asset's ``expired`` system account holds (expired unused: breakage)."""
    g, a, p = goods_products, goods_accounts, goods_purchases
    expired = (select(accounts.c.asset,
                      func.coalesce(func.sum(postings.c.amount), 0).label("expired_milli"))
               .join(postings, postings.c.account_id == accounts.c.id)
               .where(accounts.c.tenant_id == tenant_id, postings.c.tenant_id == tenant_id,
                      accounts.c.system_code == SystemAccount.EXPIRED.value,
                      accounts.c.asset.like("goods:%"))
               .group_by(accounts.c.asset)).subquery()
    held = (select(a.c.goods_product_id, func.count().label("accounts"),
                   func.coalesce(func.sum(accounts.c.balance), 0).label("balance_milli"))
            .join(accounts, accounts.c.id == a.c.account_id)
            .where(a.c.tenant_id == tenant_id).group_by(a.c.goods_product_id)).subquery()
    bought = (select(a.c.goods_product_id,
                     func.coalesce(func.sum(p.c.quantity_milli), 0).label("bought_milli"),
                     func.coalesce(func.sum(p.c.paid_minor), 0).label("paid_minor"))
              .join(a, a.c.id == p.c.goods_account_id)
              .where(p.c.tenant_id == tenant_id).group_by(a.c.goods_product_id)).subquery()
    rows = conn.execute(
        select(g.c.asset, g.c.unit, products.c.sku, held.c.accounts, held.c.balance_milli,
               bought.c.bought_milli, bought.c.paid_minor, expired.c.expired_milli)
        .join(products, products.c.id == g.c.product_id)
        .outerjoin(held, held.c.goods_product_id == g.c.id)
        .outerjoin(bought, bought.c.goods_product_id == g.c.id)
        .outerjoin(expired, expired.c.asset == g.c.asset)
        .where(g.c.tenant_id == tenant_id).order_by(g.c.id)).all()
    return [{"asset": r.asset, "unit": r.unit, "sku": r.sku, "accounts": int(r.accounts or 0),
             "balance_milli": int(r.balance_milli or 0),
             "bought_milli": int(r.bought_milli or 0), "paid_minor": int(r.paid_minor or 0),
             "expired_milli": int(r.expired_milli or 0)}
            for r in rows]


def reassign(conn: Connection, tenant_id: int, goods_account_id: int, *, member_id: int,
             account_id: int) -> None:
    """Give a goods account to another member, whose ledger account of the product now
    holds its units (a merge)."""
    conn.execute(update(goods_accounts).where(
        goods_accounts.c.tenant_id == tenant_id, goods_accounts.c.id == goods_account_id)
        .values(member_id=member_id, account_id=account_id))


def move_history(conn: Connection, tenant_id: int, from_id: int, to_id: int) -> None:
    """Point one goods account's purchases and tenders at another (a merge moved its lots
    there): later refunds and expiry find them in the account that holds them."""
    for table in (goods_purchases, goods_tenders):
        conn.execute(update(table).where(table.c.tenant_id == tenant_id,
                                         table.c.goods_account_id == from_id)
                     .values(goods_account_id=to_id))
