"""Prepaid goods sold at the till: a commit's ``goods_sold`` puts units of a product ("100 l
of A-95", "10 coffees") into a goods account, in the commit's transaction, as gift cards are
sold (:mod:`regulars.services.stored_value.sales`): paid apart from the lines, so the units
earn no points, take no promotion discount and count for no cashback. Each sale is a top-up
of the account (a purchase lot on the receipt) at the unit price of the day, locked with it.

The account is a bearer card (its printed ``code``), a goods account by ``account`` id (the
receipt's member's or a bearer account), or, naming neither, the receipt's member's account
of the product, opened by the first purchase. A refund or void that leaves nothing of the
receipt takes back each sale's units (into the asset's ``issued`` account), once; it is
refused when the account no longer holds them (they were used), as for a used gift card. A
refund of some lines leaves the goods sold alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.stored_value import goods as store
from regulars.domain.ledger.assets import goods
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.domain.stored_value.goods import GoodsStatus, PurchaseTerms, refusal
from regulars.errors import InvalidInput, RefundRefused
from regulars.services.stored_value.goods import (
    asset_of,
    find_by_card,
    sold_as_goods,
    top_up_in,
)
from regulars.services.stored_value.results import GoodsSaleQuoted, GoodsSold

MAX_SOLD = 20
# The request's names of the purchase terms' fields.
_FIELDS = {"quantity_milli": "quantity_milli", "paid_minor": "amount",
           "valid_days": "valid_days"}


@dataclass(frozen=True, kw_only=True)
class GoodsSale:
    """``quantity_milli`` of the product ``sku`` sold for ``amount_minor``: into the goods
    account ``account``, the bearer card ``code``, or (neither) the receipt's member's
    account of the product; expiring ``valid_days`` after the sale (``None``: never)."""

    sku: str
    quantity_milli: int
    amount_minor: int
    account: int | None = None
    code: str | None = None
    valid_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class _Target:
    """Where a sale goes: the product as goods and the account (``None``: the member's
    first account of the product, to open), with the sale's terms."""

    product: store.GoodsProductRow
    account: store.GoodsAccountRow | None
    terms: PurchaseTerms


def _terms(sale: GoodsSale, field: str) -> PurchaseTerms:
    try:
        return PurchaseTerms(quantity_milli=sale.quantity_milli, paid_minor=sale.amount_minor,
                             lock_price=True, valid_days=sale.valid_days)
    except InvalidInput as exc:
        raise InvalidInput(exc.template, params=exc.params,
                           field=f"{field}.{_FIELDS.get(exc.field or '', 'quantity_milli')}"
                           ) from exc


def _named_account(conn: Connection, tenant_id: int, sale: GoodsSale, field: str,
                   member_id: int | None) -> store.GoodsAccountRow | None:
    """The account the sale names by card or id (``None``: it names none)."""
    if sale.code is not None:
        return find_by_card(conn, tenant_id, sale.code, field=f"{field}.code")
    if sale.account is None:
        return None
    row = store.get_account(conn, tenant_id, sale.account)
    if row is None:
        raise InvalidInput("no such goods account", field=f"{field}.account")
    if row.member_id is not None and row.member_id != member_id:
        raise InvalidInput("this goods account belongs to another member",
                           field=f"{field}.account")
    return row


def _target(conn: Connection, tenant_id: int, sale: GoodsSale, index: int,
            member_id: int | None) -> _Target:
    """Where ``sale`` goes. Raises :class:`InvalidInput` naming the field
    (``goods_sold.N.sku``, ``.account``, ``.code``, ``.quantity_milli``, ``.amount``,
    ``.valid_days``; ``goods_sold.N`` for a sale naming no account without a member)."""
    field = f"goods_sold.{index}"
    terms = _terms(sale, field)
    goods_product_id = sold_as_goods(conn, tenant_id).get(sale.sku)
    if goods_product_id is None:
        raise InvalidInput("this product is not sold as goods", field=f"{field}.sku")
    product = next(p for p in store.goods_products_of(conn, tenant_id)
                   if p.id == goods_product_id)
    row = _named_account(conn, tenant_id, sale, field, member_id)
    if row is None and sale.account is None and sale.code is None:
        if member_id is None:
            raise InvalidInput("goods are sold to a member, a goods card or an account",
                               field=field)
        row = store.member_account(conn, tenant_id, member_id, goods_product_id)
    if row is not None:
        if row.goods_product_id != goods_product_id:
            raise InvalidInput("this goods account holds another product",
                               field=f"{field}.sku")
        refused = refusal(GoodsStatus(row.status))
        if refused is not None:
            where = "code" if sale.code is not None else "account"
            raise InvalidInput(refused, field=f"{field}.{where}" if
                               sale.code is not None or sale.account is not None else field)
    return _Target(product=product, account=row, terms=terms)


def _check_count(sales: Sequence[GoodsSale]) -> None:
    if len(sales) > MAX_SOLD:
        raise InvalidInput(f"at most {MAX_SOLD} goods sales per receipt", field="goods_sold")


def preview(conn: Connection, tenant_id: int, sales: Sequence[GoodsSale], *,
            member_id: int | None) -> tuple[GoodsSaleQuoted, ...]:
    """At quote time: what each sale would put where, at which locked unit price, and the
    balance after it (sales into one account add up). Raises :class:`InvalidInput` as the
    commit would."""
    _check_count(sales)
    found: list[GoodsSaleQuoted] = []
    added: dict[int, int] = {}
    for index, sale in enumerate(sales):
        target = _target(conn, tenant_id, sale, index, member_id)
        row = target.account
        before = 0 if row is None else row.balance_milli + added.get(row.id, 0)
        if row is not None:
            added[row.id] = added.get(row.id, 0) + sale.quantity_milli
        price = target.terms.unit_price_minor
        assert price is not None
        found.append(GoodsSaleQuoted(
            sku=sale.sku, unit=target.product.unit,
            account_id=None if row is None else row.id, quantity_milli=sale.quantity_milli,
            amount_minor=sale.amount_minor, unit_price_minor=price,
            balance_after_milli=before + sale.quantity_milli))
    return tuple(found)


def _open_for_member(conn: Connection, tenant_id: int, member_id: int,
                     product: store.GoodsProductRow, now: datetime) -> store.GoodsAccountRow:
    """The member's account of the product, opened now unless a concurrent commit just
    opened it."""
    account_id = ledger_ops.ensure_account(conn, tenant_id, member_id, asset=asset_of(product))
    try:
        with conn.begin_nested():
            store.insert_account(conn, tenant_id, goods_product_id=product.id,
                                 account_id=account_id, member_id=member_id, card_hash=None,
                                 card_hint=None, now=now)
    except IntegrityError:
        pass  # a concurrent commit opened it first
    row = store.member_account(conn, tenant_id, member_id, product.id)
    assert row is not None
    return row


def sell(conn: Connection, tenant_id: int, ctx: EntryContext, sales: Sequence[GoodsSale], *,
         now: datetime) -> tuple[GoodsSold, ...]:
    """Put the units of ``sales`` into their accounts on receipt ``ctx.receipt_id``, each
    one top-up keyed by the receipt and its place. Raises :class:`InvalidInput` naming the
    field (see :func:`_target`)."""
    if not sales:
        return ()
    _check_count(sales)
    assert ctx.receipt_id is not None
    sold: list[GoodsSold] = []
    for index, sale in enumerate(sales):
        target = _target(conn, tenant_id, sale, index, ctx.member_id)
        row = target.account
        if row is None:
            assert ctx.member_id is not None
            row = _open_for_member(conn, tenant_id, ctx.member_id, target.product, now)
        done = top_up_in(conn, ctx, row, target.terms,
                         key=f"receipt:{ctx.receipt_id}:goods_sale:{index}")
        assert done.unit_price_minor is not None
        sold.append(GoodsSold(account_id=row.id, sku=sale.sku, unit=row.unit,
                              quantity_milli=sale.quantity_milli,
                              amount_minor=sale.amount_minor,
                              unit_price_minor=done.unit_price_minor,
                              balance_milli=done.balance_milli, entry_id=done.entry_id))
    return tuple(sold)


def take_back_sold(conn: Connection, ctx: EntryContext, *, now: datetime) -> int:
    """Take back the units of every goods sale of receipt ``ctx.receipt_id`` (its whole
    refund or void, which happens once); how many sales. Raises :class:`RefundRefused`
    when an account no longer holds the units it was sold (they were used)."""
    assert ctx.receipt_id is not None
    rows = store.purchases_on(conn, ctx.tenant_id, ctx.receipt_id)
    for row in rows:
        origin = next((lot for lot, amount in ledger_ops.moves_of(conn, ctx.tenant_id,
                                                                  row.entry_id)
                       if amount > 0), None)
        try:
            ledger_ops.reverse(
                conn, ctx, key=f"goods_purchase:{row.id}:take_back", account_id=row.account_id,
                amount=row.quantity_milli, now=now, origin_lot_id=origin, allow_debt=False,
                code=EntryCode.DEACTIVATE, sink=SystemAccount.ISSUED,
                asset=goods(str(row.product_id), row.unit),
                memo={"goods_account_id": row.goods_account_id, "why": [
                    {"code": "goods_taken_back",
                     "params": {"quantity_milli": row.quantity_milli}}]})
        except Shortfall as exc:
            raise RefundRefused("goods sold on this receipt were used already",
                                field="lines") from exc
    return len(rows)
