"""Prepaid goods accounts as tenders at checkout, inside the quote's, commit's or refund's
unit of work.

A goods tender (``kind: goods``, a goods account by ``account`` id or a bearer card by its
printed ``code``, and ``quantity_milli``) pays units of the receipt's lines of the account's
product (see :mod:`regulars.domain.stored_value.goods`): one ``tender`` entry of the
product's asset per tender, a conditional debit of the account (``balance - held >=
quantity``: twenty tills spending one account at once never take more than it holds), and a
``goods_tenders`` row per line covered, with the money of the line it settles. A tender
refused (unknown card or account, blocked, another member's account, no line of its product,
more than the lines or the balance hold) raises :class:`InvalidInput` naming the field as the
request spelled it (``tenders.N.account``, ``tenders.N.code``, ``tenders.N.quantity``) and
the whole commit rolls back.

A refund or void gives back to each covered line its units in proportion to the quantity of
the line refunded, cumulatively, once: the refund's own key names the entry, and the rows'
``returned_milli`` / ``returned_minor`` grow in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.stored_value import goods as store
from regulars.domain.checkout.quote import QuoteLine
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.domain.money import prorate
from regulars.domain.stored_value.certificates import Tender
from regulars.domain.stored_value.goods import (
    Cover,
    CoverableLine,
    GoodsStatus,
    could_take_milli,
    cover,
    coverable_milli,
    refusal,
    units_back,
)
from regulars.errors import InvalidInput
from regulars.services.stored_value.goods import (
    asset_of,
    find_by_card,
    require,
    sold_as_goods,
)
from regulars.services.stored_value.results import (
    GoodsOffer,
    TenderOption,
    TenderReturned,
    TenderTaken,
)


@dataclass(frozen=True, kw_only=True)
class GoodsGiven:
    """What a refund gave back to the goods tenders, and the money the goods tenders of the
    receipt settled in all and had settled back before and after it (so the money tenders
    share only the rest)."""

    returned: tuple[TenderReturned, ...]
    total_minor: int
    before_minor: int
    after_minor: int


def coverable(lines: Sequence[QuoteLine]) -> tuple[CoverableLine, ...]:
    return tuple(CoverableLine(line_no=line.line_no, sku=line.sku,
                               quantity_milli=line.quantity_milli, paid_minor=line.paid_minor)
                 for line in lines)


def _account(conn: Connection, tenant_id: int, tender: Tender, index: int,
             member_id: int | None) -> store.GoodsAccountRow:
    """The goods account a tender names, if the receipt's customer may use it."""
    if tender.code is not None:
        return find_by_card(conn, tenant_id, tender.code, field=f"tenders.{index}.code")
    assert tender.account is not None
    field = f"tenders.{index}.account"
    row = store.get_account(conn, tenant_id, tender.account)
    if row is None:
        raise InvalidInput("no such goods account", field=field)
    if row.member_id is not None and row.member_id != member_id:
        raise InvalidInput("this goods account belongs to another member", field=field)
    return row


def options(conn: Connection, tenant_id: int, tenders: Sequence[tuple[int, Tender]], *,
            member_id: int | None, lines: Sequence[QuoteLine]) -> list[TenderOption]:
    """At quote time: what each goods account presented holds and could take of the lines
    of its product, and the money that settles (in the order given)."""
    basket, taken = coverable(lines), dict[int, int]()
    found: list[TenderOption] = []
    for index, tender in tenders:
        row = _account(conn, tenant_id, tender, index, member_id)
        refused = refusal(GoodsStatus(row.status))
        could = 0 if refused else could_take_milli(
            balance_milli=row.balance_milli, coverable=coverable_milli(basket, row.sku, taken),
            asked_milli=tender.quantity_milli or None)
        covers = cover(basket, row.sku, could, taken) if could else ()
        for part in covers:
            taken[part.line_no] = taken.get(part.line_no, 0) + part.quantity_milli
        found.append(TenderOption(
            tender_no=index, kind=tender.kind.value,
            could_pay_minor=sum(c.amount_minor for c in covers), code_ending=row.card_hint,
            refusal=refused, refusal_code=InvalidInput.code if refused else None,
            balance_milli=row.balance_milli, could_take_milli=could,
            unit=row.unit))
    return found


def offers(conn: Connection, tenant_id: int, *, member_id: int | None,
           lines: Sequence[QuoteLine], presented: Sequence[Tender]) -> tuple[GoodsOffer, ...]:
    """At quote time, unasked: the member's active goods accounts of the products of the
    basket's lines (not presented as tenders already), each with what it could pay of them
    on its own. Reads nothing without a member or without a line of a product the tenant
    sells as goods (a remembered set of SKUs)."""
    if member_id is None:
        return ()
    sold = sold_as_goods(conn, tenant_id)
    wanted = {sold[line.sku] for line in lines if line.sku in sold}
    if not wanted:
        return ()
    named = {t.account for t in presented if t.account is not None}
    basket, found = coverable(lines), list[GoodsOffer]()
    for row in store.member_accounts_of(conn, tenant_id, member_id, sorted(wanted)):
        if row.id in named or refusal(GoodsStatus(row.status)) is not None:
            continue
        could = could_take_milli(balance_milli=row.balance_milli,
                                 coverable=coverable_milli(basket, row.sku, {}),
                                 asked_milli=None)
        if could <= 0:
            continue
        found.append(GoodsOffer(
            account_id=row.id, sku=row.sku, unit=row.unit, balance_milli=row.balance_milli,
            could_take_milli=could,
            could_pay_minor=sum(c.amount_minor for c in cover(basket, row.sku, could, {}))))
    return tuple(found)


def _covers(basket: Sequence[CoverableLine], row: store.GoodsAccountRow, tender: Tender,
            index: int, taken: dict[int, int]) -> tuple[Cover, ...]:
    field = f"tenders.{index}.quantity"
    if tender.quantity_milli <= 0:
        raise InvalidInput("a goods tender takes a positive quantity", field=field)
    refused = refusal(GoodsStatus(row.status))
    if refused is not None:
        raise InvalidInput(refused, field=f"tenders.{index}.{'code' if tender.code else 'account'}")
    if coverable_milli(basket, row.sku, taken) < tender.quantity_milli:
        raise InvalidInput("the receipt's lines of %(sku)s hold less than this quantity",
                           field=field, params={"sku": row.sku})
    covers = cover(basket, row.sku, tender.quantity_milli, taken)
    for part in covers:
        taken[part.line_no] = taken.get(part.line_no, 0) + part.quantity_milli
    return covers


def take(conn: Connection, ctx: EntryContext, tenders: Sequence[tuple[int, Tender]], *,
         lines: Sequence[QuoteLine], now: datetime) -> tuple[list[TenderTaken], int]:
    """Pay units of receipt ``ctx.receipt_id``'s lines with each goods tender; what each
    took and has left, and the money they settled together. Raises :class:`InvalidInput`
    naming the field."""
    assert ctx.receipt_id is not None
    basket, taken = coverable(lines), dict[int, int]()
    planned: dict[int, tuple[int, Tender, store.GoodsAccountRow, tuple[Cover, ...]]] = {}
    for index, tender in tenders:
        row = _account(conn, ctx.tenant_id, tender, index, ctx.member_id)
        if row.id in planned:
            raise InvalidInput("the same tender is given twice", field=f"tenders.{index}")
        planned[row.id] = (index, tender, row, _covers(basket, row, tender, index, taken))
    rows: list[dict[str, int]] = []
    done: list[TenderTaken] = []
    # Debited in account order, as every writer that debits several accounts does: two
    # receipts naming the same cards in another order wait for each other.
    for index, tender, row, covers in sorted(planned.values(), key=lambda p: p[2].account_id):
        entry_id = _spend(conn, ctx, row, tender, index, now)
        rows.extend({"tender_no": index, "line_no": c.line_no, "goods_account_id": row.id,
                     "line_quantity_milli": c.line_quantity_milli,
                     "quantity_milli": c.quantity_milli, "amount_minor": c.amount_minor,
                     "entry_id": entry_id} for c in covers)
        done.append(TenderTaken(
            tender_no=index, kind=tender.kind.value,
            amount_minor=sum(c.amount_minor for c in covers), code_ending=row.card_hint,
            quantity_milli=tender.quantity_milli,
            balance_milli=require(conn, ctx.tenant_id, row.id).balance_milli, unit=row.unit))
    store.insert_tenders(conn, ctx.tenant_id, ctx.receipt_id, rows)
    return done, sum(r["amount_minor"] for r in rows)


def _spend(conn: Connection, ctx: EntryContext, row: store.GoodsAccountRow, tender: Tender,
           index: int, now: datetime) -> int:
    try:
        entry_id = ledger_ops.spend(
            conn, ctx, key=f"receipt:{ctx.receipt_id}:tender:{index}",
            account_id=row.account_id, amount=tender.quantity_milli, now=now,
            code=EntryCode.TENDER, sink=SystemAccount.REDEEMED, asset=asset_of(row),
            memo={"tender": "goods", "goods_account_id": row.id, "why": [
                {"code": "goods_tender_paid",
                 "params": {"quantity_milli": tender.quantity_milli}}]})
    except Shortfall as exc:
        raise InvalidInput("the goods account holds less than %(quantity)s",
                           field=f"tenders.{index}.quantity",
                           params={"quantity": tender.quantity_milli}) from exc
    assert entry_id is not None
    return entry_id


def give_back(conn: Connection, ctx: EntryContext, *, refunded: dict[int, tuple[int, int]],
              kind: str, key: str, now: datetime) -> GoodsGiven:
    """Give back to each goods tender of receipt ``ctx.receipt_id`` the units of the lines
    this refund takes back (``refunded``: line number → refunded quantity before and after
    it); ``kind`` is ``refund`` or ``void``."""
    assert ctx.receipt_id is not None
    rows = store.tenders_of(conn, ctx.tenant_id, ctx.receipt_id)
    total = sum(r.amount_minor for r in rows)
    before = sum(r.returned_minor for r in rows)
    by_tender: dict[int, list[tuple[store.GoodsTenderRow, int, int]]] = {}
    for row in rows:
        if row.line_no not in refunded:
            continue
        was, now_refunded = refunded[row.line_no]
        milli = units_back(row.quantity_milli, line_quantity_milli=row.line_quantity_milli,
                           before_milli=was, after_milli=now_refunded)
        minor = prorate(row.amount_minor, now_refunded, row.line_quantity_milli) \
            - row.returned_minor
        milli = min(milli, row.quantity_milli - row.returned_milli)
        if milli > 0 or minor > 0:
            by_tender.setdefault(row.tender_no, []).append((row, max(0, milli), max(0, minor)))
    prior: dict[int, int] = {}
    for row in rows:
        prior[row.tender_no] = prior.get(row.tender_no, 0) + row.returned_milli
    returned = [_restore(conn, ctx, parts, skip=prior[tender_no], kind=kind, key=key, now=now)
                for tender_no, parts in by_tender.items()]
    after = before + sum(minor for parts in by_tender.values() for _, _, minor in parts)
    return GoodsGiven(returned=tuple(r for r in returned if r is not None), total_minor=total,
                      before_minor=before, after_minor=after)


def _restore(conn: Connection, ctx: EntryContext,
             parts: list[tuple[store.GoodsTenderRow, int, int]], *, skip: int, kind: str,
             key: str, now: datetime) -> TenderReturned | None:
    """Refill the lots one goods tender took from, latest first, past what earlier refunds
    refilled, and count what went back on its rows."""
    first = parts[0][0]
    milli = sum(m for _, m, _ in parts)
    for row, part_milli, part_minor in parts:
        store.add_returned(conn, ctx.tenant_id, row.id, milli=part_milli, minor=part_minor)
    if milli <= 0:
        return None
    moves = _moves(conn, ctx.tenant_id, first.entry_id, skip=skip, need=milli)
    ledger_ops.restore(
        conn, ctx, key=f"receipt:{ctx.receipt_id}:{kind}:{key}:tender:{first.tender_no}",
        account_id=first.account_id, moves=moves, now=now, fresh_expires_at=None,
        code=EntryCode.VOID if kind == "void" else EntryCode.REFUND_TENDER,
        source=SystemAccount.REDEEMED, asset=_asset(conn, ctx.tenant_id, first),
        memo={"tender": "goods", "why": [{"code": f"{kind}_goods_returned",
                                          "params": {"quantity_milli": milli}}]})
    return TenderReturned(
        tender_no=first.tender_no, kind="goods", amount_minor=sum(m for _, _, m in parts),
        quantity_milli=milli,
        balance_milli=require(conn, ctx.tenant_id, first.goods_account_id).balance_milli)


def _asset(conn: Connection, tenant_id: int, row: store.GoodsTenderRow) -> ledger_ops.Asset:
    return asset_of(require(conn, tenant_id, row.goods_account_id))


def _moves(conn: Connection, tenant_id: int, entry_id: int, *, skip: int,
           need: int) -> list[tuple[int, int]]:
    """The lots a spend took from, latest first, past ``skip`` already given back."""
    taken = [(lot_id, -part) for lot_id, part in ledger_ops.moves_of(conn, tenant_id, entry_id)
             if part < 0]
    moves: list[tuple[int, int]] = []
    for lot_id, part in reversed(taken):
        usable = max(0, part - skip)
        skip = max(0, skip - part)
        if usable and need:
            moves.append((lot_id, min(usable, need)))
            need -= min(usable, need)
    return moves
