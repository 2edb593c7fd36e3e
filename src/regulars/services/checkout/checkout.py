"""The POS protocol: quote, holds, refund, void and receipt reads.

Each call is one unit of work. The commit lives in :mod:`regulars.services.checkout.commit`
(idempotency, one-time codes for large spends) and pricing a sale, with the answer both send,
in :mod:`regulars.services.checkout.pricing`.

Coupons (see :mod:`regulars.services.promotions.coupons`) are screened in a unit of work of their
own
before pricing, so that wrong codes stay counted against the till when the request fails; their
effects apply after promotions and before the program's discount.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from regulars.db.checkout import receipts, refund_notes
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import Shortfall
from regulars.db.tenancy.tenancy import TenantRow
from regulars.errors import InsufficientPoints, NotFound
from regulars.services.checkout import outbound
from regulars.services.checkout.idempotency import Outcome, run_once
from regulars.services.checkout.pricing import (
    Priced,
    Sale,
    answer,
    check_lines,
    check_spend,
    price,
    reward_options,
)
from regulars.services.checkout.refunds import refund_receipt
from regulars.services.checkout.results import (
    PointsHold,
    QuoteResult,
    ReceiptLine,
    ReceiptRefund,
    ReceiptView,
    RefundedLine,
    RefundResult,
)
from regulars.services.promotions import coupons
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value import goods_sales, goods_tenders, on_receipt
from regulars.services.stored_value import tenders as stored_value_tenders
from regulars.services.stored_value.goods_sales import GoodsSale
from regulars.services.stored_value.results import GoodsOffer, GoodsSaleQuoted, TenderOption
from regulars.services.tenancy.api_keys import Principal
from regulars.services.tenancy.tenants import get_tenant


def _tender_options(conn: Connection, principal: Principal, tenant: TenantRow, sale: Sale,
                    priced: Priced, *, now: datetime) -> tuple[TenderOption, ...]:
    """What each tender the customer presents could pay (nothing is read without any)."""
    if not sale.tenders:
        return ()
    assert principal.store_id is not None
    return stored_value_tenders.options(
        conn, tenant, sale.tenders, member_id=priced.member.id if priced.member else None,
        store_id=principal.store_id, paid_minor=priced.quote.paid_minor,
        lines=priced.quote.lines, now=now, presented=priced.presented)


def _presented(conn: Connection, tenant: TenantRow, sale: Sale) -> str | None:
    """The digest of the first certificate the customer presents, read with the member."""
    if not sale.tenders:
        return None
    return stored_value_tenders.first_certificate_digest(conn, tenant.id, sale.tenders)


def _answer(conn: Connection, tenant: TenantRow, priced: Priced,
            tenders: Sequence[TenderOption], *, now: datetime) -> dict[str, Any]:
    """The quote's figures, its cashback as the commit with the same ``tenders`` credits it
    (less what they could pay from the wallet or settle by goods accounts)."""
    return answer(conn, tenant, priced, now=now,
                  prepaid_minor=stored_value_tenders.prepaid_offered_minor(tenders))


def _goods_offers(conn: Connection, tenant: TenantRow, sale: Sale,
                  priced: Priced) -> tuple[GoodsOffer, ...]:
    """The member's goods accounts that could pay lines of the basket, unasked."""
    return goods_tenders.offers(conn, tenant.id,
                                member_id=priced.member.id if priced.member else None,
                                lines=priced.quote.lines, presented=sale.tenders)


def _goods_sold(conn: Connection, tenant: TenantRow, sales: Sequence[GoodsSale],
                priced: Priced) -> tuple[GoodsSaleQuoted, ...]:
    """What the goods the receipt sells would put where (nothing is read without any)."""
    if not sales:
        return ()
    return goods_sales.preview(conn, tenant.id, sales,
                               member_id=priced.member.id if priced.member else None)


def quote(rt: Runtime, principal: Principal, sale: Sale, *, hold: bool = False,
          goods_sold: Sequence[GoodsSale] = (), sells_certificates: bool = False
          ) -> QuoteResult:
    """Price a basket, and show the goods it sells (``goods_sold``, paid apart from the
    lines). Writes nothing, unless ``hold`` reserves the points to spend and a use of each
    coupon (or a coupon code is wrong: that is counted against the till). A basket without
    lines is priced only when the receipt sells goods or (``sells_certificates``) gift
    cards; else :class:`InvalidInput` on ``lines``."""
    principal.require("till")
    check_lines(sale, sells=bool(goods_sold) or sells_certificates)
    try:
        return _quote(rt, principal, sale, hold=hold, goods_sold=goods_sold)
    except coupons.WrongCodes as wrong:
        coupons.count_wrong(rt, principal, wrong)


def _quote(rt: Runtime, principal: Principal, sale: Sale, *, hold: bool,
           goods_sold: Sequence[GoodsSale]) -> QuoteResult:
    """:func:`quote`, the wrong coupon codes raised (:class:`coupons.WrongCodes`)."""
    tenant = get_tenant(rt, principal.tenant_id)
    now = rt.now()
    if not hold or not (sale.points_to_spend or sale.coupons):
        with rt.db.read() as conn:
            priced = price(conn, tenant, sale, at=now, now=now,
                           store_id=principal.store_id, terminal_id=principal.terminal_id,
                           presented_digest=_presented(conn, tenant, sale))
            check_spend(sale, priced.member, priced.quote)
            tenders = _tender_options(conn, principal, tenant, sale, priced, now=now)
            return QuoteResult(**_answer(conn, tenant, priced, tenders, now=now),
                               tenders=tenders,
                               rewards=reward_options(conn, tenant, sale, priced,
                                                      store_id=principal.store_id, at=now),
                               goods_accounts=_goods_offers(conn, tenant, sale, priced),
                               goods_sold=_goods_sold(conn, tenant, goods_sold, priced))
    assert principal.terminal_id is not None
    with rt.db.write() as conn:
        priced = price(conn, tenant, sale, at=now, now=now,
                       store_id=principal.store_id, terminal_id=principal.terminal_id,
                       presented_digest=_presented(conn, tenant, sale))
        program, member = priced.program, priced.member
        check_spend(sale, member, priced.quote)
        expires_at = now + timedelta(seconds=program.hold_ttl_seconds)
        tenders = _tender_options(conn, principal, tenant, sale, priced, now=now)
        figures = _answer(conn, tenant, priced, tenders, now=now)
        figures["tenders"] = tenders
        figures["rewards"] = reward_options(conn, tenant, sale, priced,
                                            store_id=principal.store_id, at=now)
        figures["goods_accounts"] = _goods_offers(conn, tenant, sale, priced)
        figures["goods_sold"] = _goods_sold(conn, tenant, goods_sold, priced)
        coupon_holds = None
        if priced.coupons:
            coupon_holds = coupons.hold(
                conn, tenant, priced.coupons, terminal_id=principal.terminal_id, now=now,
                expires_at=expires_at)
        if not sale.points_to_spend:
            return QuoteResult(**figures, coupon_holds=coupon_holds)
        assert member is not None
        try:
            hold_id = ledger_ops.hold(
                conn, tenant.id, member.account_id, sale.points_to_spend,
                terminal_id=principal.terminal_id, now=now, expires_at=expires_at)
        except Shortfall as exc:
            raise InsufficientPoints("those points are no longer free to hold") from exc
        return QuoteResult(**figures, coupon_holds=coupon_holds,
                           hold=PointsHold(id=hold_id, points=sale.points_to_spend,
                                           expires_at=expires_at))


def release_hold(rt: Runtime, principal: Principal, hold_id: int) -> None:
    principal.require("till")
    with rt.db.write() as conn:
        if not ledger_ops.release_hold(conn, principal.tenant_id, hold_id, principal.terminal_id):
            raise NotFound("hold not found")


@dataclass(frozen=True, kw_only=True)
class RefundNote:
    """Why a refund is made, by which staff member, and the manager who allowed it."""

    reason: str
    staff_id: int | None
    approved_by_staff_id: int | None = None


def refund(rt: Runtime, principal: Principal, receipt_id: int,
           lines: list[tuple[int, int]] | None, *, key: str, payload: dict[str, Any],
           void: bool = False, note: RefundNote | None = None,
           encode: Callable[[RefundResult], dict[str, Any]] = to_json,
           split: Sequence[tuple[int, int]] | None = None) -> Outcome:
    """Refund some lines (``(line_no, quantity_milli)``) or, with ``None``, all that is left;
    ``void`` cancels the whole receipt within the program's void window; ``split``
    (``(tender_no, amount_minor)``) says how much of the money goes back to each certificate
    or wallet tender (default: in proportion to what each paid); ``note`` is kept
    with the refund, in its transaction, and names who made it on the audit trail;
    ``encode`` makes the stored answer (see
    :func:`~regulars.services.checkout.idempotency.run_once`). See
    :func:`regulars.services.checkout.refunds.refund_receipt` for the failure modes."""
    principal.require("till")
    assert principal.terminal_id is not None
    now = rt.now()
    # The ledger's entry keys name the till too: two tills refunding one receipt with the
    # same Idempotency-Key are two refunds.
    entry_key = f"t{principal.terminal_id}:{key}"

    def work(conn: Connection) -> RefundResult:
        done = refund_receipt(conn, principal, receipt_id, lines, key=entry_key, now=now,
                              void=void, split=split,
                              staff_id=note.staff_id if note is not None else None)
        outbound.message_refund(conn, rt, principal, done)
        if note is not None:
            refund_notes.insert_note(conn, tenant_id=principal.tenant_id,
                                     refund_id=done.refund.id, reason=note.reason,
                                     staff_id=note.staff_id,
                                     approved_by_staff_id=note.approved_by_staff_id, now=now)
        return done

    with rt.db.write() as conn:
        return run_once(conn, tenant_id=principal.tenant_id, scope="void" if void else "refund",
                        terminal_id=principal.terminal_id, key=key, payload=payload, now=now,
                        encode=encode, work=lambda: work(conn))


def receipt(rt: Runtime, principal: Principal, receipt_id: int) -> ReceiptView:
    with rt.db.read() as conn:
        row = receipts.get_receipt(conn, principal.tenant_id, receipt_id)
        if row is None:
            raise NotFound("receipt not found")
        return receipt_view(conn, principal.tenant_id, row)


def receipt_by_number(rt: Runtime, principal: Principal, receipt_no: str) -> ReceiptView:
    principal.require("till")
    assert principal.terminal_id is not None
    with rt.db.read() as conn:
        row = receipts.receipt_by_number(conn, principal.tenant_id, principal.terminal_id,
                                         receipt_no)
        if row is None:
            raise NotFound("receipt not found")
        return receipt_view(conn, principal.tenant_id, row)


def receipt_view(conn: Connection, tenant_id: int, row: dict[str, Any]) -> ReceiptView:
    """A receipt with its lines and refunds, as the API shows it."""
    return ReceiptView(
        id=row["id"], receipt_id=row["receipt_no"], terminal_id=row["terminal_id"],
        store_id=row["store_id"], member_id=row["member_id"], status=row["status"],
        program_version=row["program_version"], gross_minor=row["gross_minor"],
        discount_minor=row["discount_minor"], points_spent=row["points_spent"],
        points_discount_minor=row["points_discount_minor"], paid_minor=row["paid_minor"],
        points_earned=row["points_earned"], refunded_paid_minor=row["refunded_paid_minor"],
        occurred_at=row["occurred_at"],
        lines=tuple(ReceiptLine(**{k: v for k, v in ln.items()
                                   if k not in ("id", "tenant_id", "receipt_id")})
                    for ln in receipts.lines_of(conn, tenant_id, row["id"])),
        refunds=tuple(ReceiptRefund(
            id=r["id"], kind=r["kind"], paid_minor=r["paid_minor"],
            points_reversed=r["points_reversed"], points_returned=r["points_returned"],
            debt_points=r["debt_points"],
            lines=tuple(RefundedLine(**ln) for ln in r["lines"]), occurred_at=r["occurred_at"])
            for r in receipts.refunds_of(conn, tenant_id, row["id"])),
        stored_value=on_receipt.of_receipt(conn, tenant_id, row))
