"""What a receipt moved of stored value, for every view of a receipt (the APIs' receipt
answers, the console's receipt page, the cashier terminal and the customer's history): the
gift cards sold on it, the goods sold into goods accounts, the certificate, wallet and goods
tenders taken, and the cashback credited to the member's wallet (the program's and each
promotion's), each with what a refund or void took back. Codes and card numbers are shown by
their last four characters only (``code_ending``, ``card_ending``); a full code is shown once,
in the answer of the commit that sold it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from regulars.db.checkout import receipts_view
from regulars.db.ledger import ops as ledger_ops
from regulars.db.stored_value import on_receipt as store
from regulars.domain.ledger.ledger import EntryCode
from regulars.domain.money import allocate
from regulars.domain.stored_value.certificates import Status
from regulars.services.results import absent_when_none

# A receipt whose whole was refunded or voided took back the goods it sold.
_WHOLLY_BACK = frozenset({"refunded", "voided"})


@dataclass(frozen=True, kw_only=True, slots=True)
class CertificateOnReceipt:
    """A gift card sold on the receipt; ``taken_back``: a refund or void deactivated it."""

    certificate_id: int
    series_id: int
    series_name: str
    code_ending: str
    amount_minor: int
    taken_back: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class GoodsOnReceipt:
    """Units of a product sold into a goods account (a member's, or a bearer card's by
    ``card_ending``) for ``amount_minor``; ``taken_back``: the whole refund or void took
    them back."""

    goods_account_id: int
    sku: str
    product_name: str
    unit: str
    quantity_milli: int
    amount_minor: int
    member_id: int | None
    card_ending: str | None
    taken_back: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class TenderOnReceipt:
    """A tender that paid the receipt: a ``certificate`` (``code_ending``), the ``wallet``,
    or ``goods`` (``quantity_milli`` of a product's ``unit`` from a goods account, per line),
    and what refunds gave back of it."""

    tender_no: int
    kind: str
    amount_minor: int
    returned_minor: int
    code_ending: str | None = absent_when_none()
    line_no: int | None = absent_when_none()
    sku: str | None = absent_when_none()
    product_name: str | None = absent_when_none()
    unit: str | None = absent_when_none()
    quantity_milli: int | None = absent_when_none()
    returned_milli: int | None = absent_when_none()
    member_id: int | None = absent_when_none()
    card_ending: str | None = absent_when_none()


@dataclass(frozen=True, kw_only=True, slots=True)
class PromotionCashback:
    """What one promotion's cashback put into the wallet on this receipt."""

    promotion_id: int
    name: str
    amount_minor: int


@dataclass(frozen=True, kw_only=True, slots=True)
class CashbackOnReceipt:
    """The cashback credited to the member's wallet: the program's rule's and each
    promotion's (their parts sum to ``total_minor``), and what refunds took back."""

    total_minor: int
    program_minor: int
    promotions: tuple[PromotionCashback, ...]
    taken_back_minor: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptStoredValue:
    certificates_sold: tuple[CertificateOnReceipt, ...]
    goods_sold: tuple[GoodsOnReceipt, ...]
    tenders: tuple[TenderOnReceipt, ...]
    cashback: CashbackOnReceipt | None = absent_when_none()

    @property
    def empty(self) -> bool:
        return not (self.certificates_sold or self.goods_sold or self.tenders
                    or self.cashback)


def of_receipt(conn: Connection, tenant_id: int,
               receipt: dict[str, Any]) -> ReceiptStoredValue | None:
    """What receipt row ``receipt`` moved of stored value (``None``: nothing)."""
    receipt_id, wholly_back = receipt["id"], receipt["status"] in _WHOLLY_BACK
    found = ReceiptStoredValue(
        certificates_sold=tuple(
            CertificateOnReceipt(certificate_id=c.certificate_id, series_id=c.series_id,
                                 series_name=c.series_name, code_ending=c.code_hint,
                                 amount_minor=c.nominal_minor,
                                 taken_back=c.status == Status.VOID.value)
            for c in store.certificates_sold(conn, tenant_id, receipt_id)),
        goods_sold=tuple(
            GoodsOnReceipt(goods_account_id=g.goods_account_id, sku=g.sku,
                           product_name=g.product_name, unit=g.unit,
                           quantity_milli=g.quantity_milli, amount_minor=g.paid_minor,
                           member_id=g.member_id, card_ending=g.card_hint,
                           taken_back=wholly_back)
            for g in store.goods_sold(conn, tenant_id, receipt_id)),
        tenders=_tenders(conn, tenant_id, receipt_id),
        cashback=_cashback(conn, tenant_id, receipt_id))
    return None if found.empty else found


def _tenders(conn: Connection, tenant_id: int, receipt_id: int) -> tuple[TenderOnReceipt, ...]:
    money = [TenderOnReceipt(tender_no=t.tender_no, kind=t.kind, amount_minor=t.amount_minor,
                             returned_minor=t.returned_minor, code_ending=t.code_hint)
             for t in store.money_tenders(conn, tenant_id, receipt_id)]
    goods = [TenderOnReceipt(tender_no=t.tender_no, kind="goods", amount_minor=t.amount_minor,
                             returned_minor=t.returned_minor, line_no=t.line_no, sku=t.sku,
                             product_name=t.product_name, unit=t.unit,
                             quantity_milli=t.quantity_milli, returned_milli=t.returned_milli,
                             member_id=t.member_id, card_ending=t.card_hint)
             for t in store.goods_tenders_of(conn, tenant_id, receipt_id)]
    return tuple(sorted(money + goods, key=lambda t: (t.tender_no, t.line_no or 0)))


def _cashback(conn: Connection, tenant_id: int, receipt_id: int) -> CashbackOnReceipt | None:
    """The receipt's cashback entry read back: its memo holds the total and the program's
    part; the promotions' part is shared out by what each promotion priced."""
    entries = ledger_ops.receipt_entries(conn, tenant_id, receipt_id)
    credited = [e for e, code in entries if code == EntryCode.CASHBACK.value]
    if not credited:
        return None
    back = [e for e, code in entries if code == EntryCode.REFUND_CASHBACK.value]
    memos = ledger_ops.entry_memos(conn, tenant_id, credited + back)
    memo = memos[credited[0]]
    total = int(memo["amount_minor"])
    program = sum(int(w["params"]["amount_minor"]) for w in memo.get("why", [])
                  if w["code"] == "cashback")
    priced = [(a["promotion_id"], a["definition"].get("name", ""), int(a["cashback_minor"]))
              for a in receipts_view.promotions_applied(conn, tenant_id, receipt_id)
              if a["cashback_minor"]]
    parts = allocate(total - program, [p for _, _, p in priced]) if priced else []
    return CashbackOnReceipt(
        total_minor=total, program_minor=total - sum(parts),
        promotions=tuple(PromotionCashback(promotion_id=pid, name=name, amount_minor=part)
                         for (pid, name, _), part in zip(priced, parts, strict=True)),
        taken_back_minor=sum(int(w["params"]["amount_minor"]) for e in back
                             for w in memos[e].get("why", [])
                             if w["code"] == "cashback_reversed"))
