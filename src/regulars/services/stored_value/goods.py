"""Prepaid goods accounts for the owner and the till: open one for a member or as a bearer
card (a fleet card), top it up, block a lost card, its balance and history, and the liability
of each goods asset.

A product sold as goods is its own ledger asset (``goods:<product id>``, kind ``goods``) with
its unit, registered with its four system accounts at the first account opened for it. An
account is a ledger account of that asset: a member's, or a bearer account whose printed
number (a code of :mod:`regulars.domain.codes`, shown once) is kept only as a keyed digest
and its last four characters. A top-up is a ``top_up`` entry from the asset's ``issued``
account, in a lot that never expires unless the purchase carries a validity (then the
expiry run moves what is left of it to the asset's ``expired`` account), with its purchase
lot row (what was paid, and the unit
price of the day when locked). Goods are taken as tenders in
:mod:`regulars.services.stored_value.goods_tenders`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from regulars.db.catalog import products as product_store
from regulars.db.engine import forget, remembered
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.db.promotions import coupons as coupon_store
from regulars.db.stored_value import goods as store
from regulars.db.stored_value import wallets as statements
from regulars.db.tenancy import tenancy
from regulars.domain import codes
from regulars.domain.ledger.assets import Asset, goods
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.domain.stored_value.goods import (
    GoodsStatus,
    PurchaseTerms,
    check_unit,
    refusal,
)
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.checkout.idempotency import NO_TILL, Outcome, first_or_stored, run_once
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.promotions.coupons import secret_key
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value.results import (
    GoodsAccountView,
    GoodsHistory,
    GoodsLiability,
    GoodsLine,
    GoodsOpened,
    GoodsTopUp,
)
from regulars.services.tenancy.api_keys import Principal

MAX_LISTED = 500
HISTORY_LINES = 100
# How long a process keeps the SKUs a tenant sells as goods (a product registered as goods
# in another process shows in this one's quotes at most this much later).
CACHE_SECONDS = 30.0


def sold_as_goods(conn: Connection, tenant_id: int) -> dict[str, int]:
    """The SKUs the tenant sells as goods and their goods product ids, remembered for
    :data:`CACHE_SECONDS`: a quote of a basket with none of them reads no goods account."""
    return remembered(conn, ("goods skus", tenant_id), CACHE_SECONDS,
                      lambda: {r.sku: r.id for r in store.goods_products_of(conn, tenant_id)})


def asset_of(row: store.GoodsProductRow | store.GoodsAccountRow) -> Asset:
    product_id = row.product_id
    return goods(str(product_id), row.unit)


def view(row: store.GoodsAccountRow) -> GoodsAccountView:
    return GoodsAccountView(
        id=row.id, product_id=row.product_id, sku=row.sku, product_name=row.product_name,
        unit=row.unit, asset=row.asset, member_id=row.member_id, card_ending=row.card_hint,
        status=row.status, balance_milli=row.balance_milli, created_at=row.created_at)


def _goods_product(conn: Connection, tenant_id: int, product_id: int, unit: str | None, *,
                   now: Any) -> store.GoodsProductRow:
    """The product as goods, registered (its asset and system accounts) on first use."""
    found = store.goods_product_of(conn, tenant_id, product_id)
    if found is not None:
        if unit is not None and check_unit(unit) != found.unit:
            raise InvalidInput("this product is sold as goods by the %(unit)s", field="unit",
                               params={"unit": found.unit})
        return found
    if product_store.get_product(conn, tenant_id, product_id) is None:
        raise NotFound("product not found", field="product_id")
    if unit is None:
        raise InvalidInput("name the unit the product is sold by", field="unit")
    asset = goods(str(product_id), check_unit(unit))
    try:
        with conn.begin_nested():
            store.insert_goods_product(conn, tenant_id, product_id=product_id,
                                       unit=asset.unit, asset=asset.code, now=now)
            ledger_ops.open_system_accounts(conn, tenant_id, asset=asset)
    except IntegrityError:
        pass  # a concurrent first account registered it
    forget(conn, ("goods skus", tenant_id))
    registered = store.goods_product_of(conn, tenant_id, product_id)
    assert registered is not None
    return registered


@dataclass(frozen=True, kw_only=True)
class Opening:
    """A goods account to open: of ``product_id`` (sold by ``unit``, needed the first time),
    for the member ``member`` or, without one, as a bearer card."""

    product_id: int
    unit: str | None = None
    member: MemberRef | None = None


OPEN_SCOPE = "goods_open"  # the idempotency scope of opening an account


def open_account(rt: Runtime, tenant_id: int, opening: Opening, *, actor: audit.Actor,
                 key: str | None = None) -> GoodsOpened:
    """Open a goods account (on the audit trail by ``actor``). A bearer card's number is in
    this answer only. With ``key`` (an Idempotency-Key, a form's token) the account is
    opened once: the same opening sent again with it opens nothing and answers the account
    opened the first time, ``repeated`` and without a card's number (only its digest is
    kept). Raises :class:`NotFound` (product, member), :class:`InvalidInput` (unit; a
    member who holds an account of this product already, field ``member``),
    :class:`IdempotencyMismatch` for a key sent before with another opening."""
    now = rt.now()
    with rt.db.write() as conn:
        if key is None:
            return _open_now(conn, tenant_id, opening, actor=actor, now=now)
        first, body = first_or_stored(
            conn, tenant_id=tenant_id, scope=OPEN_SCOPE, key=key, payload=to_json(opening),
            now=now, work=partial(_open_now, conn, tenant_id, opening, actor=actor, now=now),
            encode=_without_card)
    if first:
        return first[0]
    stored = body["account"]
    return GoodsOpened(account=GoodsAccountView(**{
        **stored, "created_at": datetime.fromisoformat(stored["created_at"])}),
        card_number=None, repeated=True)


def _without_card(opened: GoodsOpened) -> dict[str, Any]:
    """What a repeated opening answers: the account, never a card's number."""
    return {"account": to_json(opened.account)}


def _open_now(conn: Connection, tenant_id: int, opening: Opening, *, actor: audit.Actor,
              now: datetime) -> GoodsOpened:
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    product = _goods_product(conn, tenant_id, opening.product_id, opening.unit, now=now)
    member_id, card = None, None
    if opening.member is not None:
        member_id = members.require(conn, tenant_id, tenant.phone_region, opening.member).id
        if store.member_account(conn, tenant_id, member_id, product.id) is not None:
            raise InvalidInput("this member holds an account of this product already",
                               field="member")
    else:
        card = codes.fresh_codes(1)[0]
    account_id = ledger_ops.open_bearer_account(conn, tenant_id, asset=asset_of(product)) \
        if member_id is None else ledger_ops.open_account(conn, tenant_id, member_id,
                                                          asset=asset_of(product))
    goods_id = store.insert_account(
        conn, tenant_id, goods_product_id=product.id, account_id=account_id,
        member_id=member_id,
        card_hash=None if card is None else codes.digest(secret_key(conn, tenant_id, now),
                                                         card),
        card_hint=None if card is None else card[-4:], now=now)
    row = store.get_account(conn, tenant_id, goods_id)
    assert row is not None
    audit.record(conn, tenant_id, actor, "goods.open", f"goods account {goods_id}", at=now,
                 product_id=product.product_id, member_id=member_id)
    return GoodsOpened(account=view(row),
                       card_number=None if card is None else codes.grouped(card))


def find_by_card(conn: Connection, tenant_id: int, text: str, *,
                 field: str = "code") -> store.GoodsAccountRow:
    """The goods account a printed card number stands for. Raises :class:`InvalidInput`
    naming ``field`` for a mistyped number and for one that is not the tenant's."""
    parsed = codes.parse(text)
    if parsed is codes.Problem.CHECK:
        raise InvalidInput("the check character does not match: a character is mistyped",
                           field=field)
    if isinstance(parsed, codes.Problem):
        raise InvalidInput("a card number has 16 characters of 0-9 and A-Z without U",
                           field=field)
    key = coupon_store.secret(conn, tenant_id)
    row = None if key is None else store.account_by_card(
        conn, tenant_id, codes.digest(bytes.fromhex(key), parsed))
    if row is None:
        raise InvalidInput("no such goods card", field=field)
    return row


def require(conn: Connection, tenant_id: int, goods_account_id: int, *,
            field: str | None = None) -> store.GoodsAccountRow:
    row = store.get_account(conn, tenant_id, goods_account_id)
    if row is None:
        raise NotFound("goods account not found", field=field)
    return row


def top_up_in(conn: Connection, ctx: EntryContext, row: store.GoodsAccountRow,
              terms: PurchaseTerms, *, key: str) -> GoodsTopUp:
    """Credit ``terms.quantity_milli`` to the account in the caller's transaction, with its
    purchase lot. Raises :class:`InvalidInput` for a blocked account."""
    refused = refusal(GoodsStatus(row.status))
    if refused is not None:
        raise InvalidInput(refused, field="account")
    entry_id = ledger_ops.earn(
        conn, ctx, key=key, account_id=row.account_id, amount=terms.quantity_milli,
        available_at=ctx.recorded_at, expires_at=terms.expires_at(ctx.recorded_at),
        code=EntryCode.TOP_UP,
        source=SystemAccount.ISSUED, asset=asset_of(row),
        memo={"goods_account_id": row.id, "paid_minor": terms.paid_minor, "why": [
            {"code": "goods_top_up", "params": {"quantity_milli": terms.quantity_milli}}]})
    store.insert_purchase(conn, ctx.tenant_id, goods_account_id=row.id, entry_id=entry_id,
                          quantity_milli=terms.quantity_milli, paid_minor=terms.paid_minor,
                          unit_price_minor=terms.unit_price_minor,
                          receipt_id=ctx.receipt_id, now=ctx.recorded_at)
    after = require(conn, ctx.tenant_id, row.id)
    return GoodsTopUp(account_id=row.id, quantity_milli=terms.quantity_milli,
                      paid_minor=terms.paid_minor, unit_price_minor=terms.unit_price_minor,
                      balance_milli=after.balance_milli, entry_id=entry_id)


def top_up(rt: Runtime, principal: Principal, goods_account_id: int, terms: PurchaseTerms, *,
           key: str, payload: dict[str, Any], staff_id: int | None = None) -> Outcome:
    """Add units the customer paid for (in the console, or at a till) to a goods account,
    once per ``key`` (a replay answers the same); on the audit trail as ``staff_id``'s, the
    cashier signed in at the till, when given. Raises :class:`NotFound`,
    :class:`InvalidInput` (blocked), :class:`IdempotencyMismatch`."""
    now = rt.now()
    sender = principal.terminal_id if principal.terminal_id is not None else NO_TILL
    with rt.db.write() as conn:
        def work() -> GoodsTopUp:
            row = require(conn, principal.tenant_id, goods_account_id)
            ctx = EntryContext(tenant_id=principal.tenant_id, member_id=row.member_id,
                               terminal_id=principal.terminal_id,
                               store_id=principal.store_id, occurred_at=now, recorded_at=now)
            done = top_up_in(conn, ctx, row, terms,
                             key=f"goods:{row.id}:top_up:{sender}:{key}")
            _audit_top_up(conn, principal, row.id, terms, now=now, staff_id=staff_id)
            return done

        return run_once(conn, tenant_id=principal.tenant_id, scope="goods_top_up", key=key,
                        payload={"account": goods_account_id, **payload}, now=now,
                        work=work, terminal_id=sender)


def top_up_by_staff(rt: Runtime, tenant_id: int, goods_account_id: int,
                    terms: PurchaseTerms, *, key: str, payload: dict[str, Any],
                    staff_id: int | None) -> Outcome:
    """:func:`top_up` from the console by the staff member ``staff_id`` (on the audit trail
    as theirs), once per the form's ``key``: a key of its own, never an API caller's."""
    return top_up(rt, Principal(tenant_id=tenant_id, kind="owner", key_id=0),
                  goods_account_id, terms, key=f"console:{key}", payload=payload,
                  staff_id=staff_id)


def _audit_top_up(conn: Connection, principal: Principal, goods_account_id: int,
                  terms: PurchaseTerms, *, now: datetime, staff_id: int | None) -> None:
    """The top-up on the audit trail by :func:`audit.at_till`'s rule; a till's top-up has
    the till among its details."""
    actor = audit.at_till(staff_id=staff_id, terminal_id=principal.terminal_id,
                          key_id=principal.key_id)
    at_till = {} if principal.terminal_id is None else {"till": principal.terminal_id}
    audit.record(conn, principal.tenant_id, actor, "goods.top_up",
                 f"goods account {goods_account_id}", at=now,
                 quantity_milli=terms.quantity_milli, paid_minor=terms.paid_minor, **at_till)


def get_account(rt: Runtime, tenant_id: int, goods_account_id: int) -> GoodsAccountView:
    with rt.db.read() as conn:
        return view(require(conn, tenant_id, goods_account_id))


def look_up(rt: Runtime, tenant_id: int, card: str) -> GoodsAccountView:
    """A bearer card's account by its printed number (field ``code``)."""
    with rt.db.read() as conn:
        return view(find_by_card(conn, tenant_id, card))


def list_accounts(rt: Runtime, tenant_id: int, *,
                  member_id: int | None = None) -> tuple[GoodsAccountView, ...]:
    """The latest goods accounts (at most :data:`MAX_LISTED`), a member's when asked."""
    with rt.db.read() as conn:
        return tuple(view(r) for r in store.list_accounts(conn, tenant_id, member_id=member_id,
                                                          limit=MAX_LISTED))


def set_blocked(rt: Runtime, tenant_id: int, goods_account_id: int, *, blocked: bool,
                actor: audit.Actor) -> GoodsAccountView:
    """Block a lost card (refused as a tender and for top-ups) or unblock it, on the audit
    trail by ``actor``. Raises :class:`NotFound`."""
    status = GoodsStatus.BLOCKED if blocked else GoodsStatus.ACTIVE
    with rt.db.write() as conn:
        if not store.set_status(conn, tenant_id, goods_account_id, status.value):
            raise NotFound("goods account not found")
        audit.record(conn, tenant_id, actor, "goods.block" if blocked else "goods.unblock",
                     f"goods account {goods_account_id}", at=rt.now())
        return view(require(conn, tenant_id, goods_account_id))


def history(rt: Runtime, tenant_id: int, goods_account_id: int) -> GoodsHistory:
    """The account's balance and latest movements, newest first; a top-up with what was
    paid and its locked unit price. Raises :class:`NotFound`."""
    with rt.db.read() as conn:
        row = require(conn, tenant_id, goods_account_id)
        bought = store.purchases_of(conn, tenant_id, row.id)
        lines = tuple(
            GoodsLine(entry_id=r.entry_id, code=r.code, quantity_milli=r.amount_minor,
                      receipt_id=r.receipt_id, occurred_at=r.occurred_at,
                      paid_minor=bought.get(r.entry_id, (None, None))[0],
                      unit_price_minor=bought.get(r.entry_id, (None, None))[1])
            for r in statements.statement(conn, tenant_id, row.account_id,
                                          limit=HISTORY_LINES))
        return GoodsHistory(account=view(row), lines=lines)


def member_accounts(rt: Runtime, tenant_id: int, member_id: int) -> tuple[GoodsHistory, ...]:
    """A member's goods accounts, each with its latest movements (the customer page)."""
    with rt.db.read() as conn:
        rows = store.list_accounts(conn, tenant_id, member_id=member_id, limit=MAX_LISTED)
    return tuple(history(rt, tenant_id, row.id) for row in rows)


def _at_average(units_milli: int, row: dict[str, Any]) -> int:
    """``units_milli`` at the average price paid for the units bought (rounded half up)."""
    bought, paid = int(row["bought_milli"]), int(row["paid_minor"])
    return 0 if not bought else (2 * paid * units_milli + bought) // (2 * bought)


def liability(rt: Runtime, tenant_id: int) -> tuple[GoodsLiability, ...]:
    """Per goods asset: the accounts, the units they hold and their value at the average
    price paid for the units bought (rounded half up); the units expired unused (breakage)
    and their value at the same price."""
    with rt.db.read() as conn:
        rows = store.liability(conn, tenant_id)
    return tuple(GoodsLiability(
        asset=r["asset"], sku=r["sku"], unit=r["unit"], accounts=r["accounts"],
        balance_milli=r["balance_milli"], value_minor=_at_average(r["balance_milli"], r),
        expired_milli=r["expired_milli"], expired_minor=_at_average(r["expired_milli"], r))
        for r in rows)
