"""The POS answers have one shape: a result's ``…Out`` model writes the same JSON, byte for
byte, as the result's stored form (what a keyed write keeps for its replays), optional parts
present or absent alike."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from regulars.api.pos_schemas import (
    CodeSentOut,
    CommitOut,
    Out,
    QuoteOut,
    RefundOut,
)
from regulars.api.receipt_schemas import ReceiptOut
from regulars.services.checkout.results import (
    CodeSent,
    CommitResult,
    CouponApplied,
    CouponHold,
    Explained,
    IssuedCoupon,
    PointsHold,
    PricedLine,
    PricedMember,
    PromotionApplied,
    QuoteResult,
    ReceiptLine,
    ReceiptRefund,
    ReceiptStamp,
    ReceiptView,
    RefundDone,
    RefundedLine,
    RefundResult,
)
from regulars.services.results import omitted_fields, to_json
from regulars.services.stored_value.on_receipt import (
    CashbackOnReceipt,
    CertificateOnReceipt,
    PromotionCashback,
    ReceiptStoredValue,
    TenderOnReceipt,
)

AT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
MOSCOW = timezone(timedelta(hours=3))


def _figures(*, member: bool = True) -> dict[str, Any]:
    line = PricedLine(line_no=1, sku="зерно", gross_minor=10_000, discount_minor=1_500,
                      program_discount_minor=0, promotion_discount_minor=1_000,
                      coupon_discount_minor=500, points_spent=10, points_discount_minor=1_000,
                      paid_minor=7_500, points_earned=375)
    return {
        "program_version": 3, "currency": "RUB",
        "member": PricedMember(id=7, phone=None, balance_points=500, spendable_points=480,
                               level="gold") if member else None,
        "gross_minor": 10_000, "discount_minor": 1_500, "points_spent": 10,
        "points_discount_minor": 1_000, "paid_minor": 7_500, "points_earned": 375,
        "max_spendable_points": 30, "otp_required": False, "rate_bp": 500,
        "lines": (line,),
        "promotions": (PromotionApplied(id=2, version=1, name="Кофейная неделя",
                                        discount_minor=1_000, points=0),),
        "coupons": (CouponApplied(series_id=4, name="Welcome", discount_minor=500, points=0),),
        "explanations": (Explained(code="earn_rate", params={"rate_bp": 500, "level": "gold"},
                                   text="5 % «назад»"),),
    }


RESULTS: list[tuple[type[BaseModel], object]] = [
    (QuoteOut, QuoteResult(**_figures())),
    (QuoteOut, QuoteResult(**_figures(member=False))),
    (QuoteOut, QuoteResult(**_figures(), coupon_holds=(
        CouponHold(id=1, series_id=4, expires_at=AT),),
        hold=PointsHold(id=9, points=10, expires_at=AT.astimezone(MOSCOW)))),
    (CommitOut, CommitResult(**_figures(), receipt=ReceiptStamp(
        id=12, receipt_id="S-1", status="committed", occurred_at=AT.replace(microsecond=0),
        recorded_at=AT), entries={"spend": 31, "earn": 32})),
    (CommitOut, CommitResult(**_figures(), receipt=ReceiptStamp(
        id=12, receipt_id="S-1", status="committed", occurred_at=AT, recorded_at=AT),
        entries={}, issued_coupons=(IssuedCoupon(
            promotion_id=2, series_id=4, name="Next visit", code="ABCD-EFGH",
            starts_on=date(2026, 3, 2), ends_on=None),))),
    (RefundOut, RefundResult(refund=RefundDone(
        id=4, kind="refund", receipt_id=12, status="partially_refunded", paid_minor=7_500,
        points_reversed=375, points_returned=10, points_forgiven=0, debt_points=0,
        lines=(RefundedLine(line_no=1, quantity_milli=1_000),), occurred_at=AT),
        entries={"returned": 40}, member_id=None, balance_points=None)),
    (RefundOut, RefundResult(refund=RefundDone(
        id=5, kind="void", receipt_id=12, status="voided", paid_minor=0, points_reversed=0,
        points_returned=0, points_forgiven=0, debt_points=0, lines=(), occurred_at=AT),
        entries={}, member_id=7, balance_points=0, issued_coupons_voided=2)),
    (ReceiptOut, ReceiptView(
        id=12, receipt_id="S-1", terminal_id=1, store_id=1, member_id=None,
        status="committed", program_version=1, gross_minor=1, discount_minor=0,
        points_spent=0, points_discount_minor=0, paid_minor=1, points_earned=0,
        refunded_paid_minor=0, occurred_at=AT,
        lines=(ReceiptLine(line_no=1, sku="x", name="X", category="", quantity_milli=1_000,
                           unit_price_minor=1, gross_minor=1, discount_minor=0,
                           points_spent=0, paid_minor=1, points_earned=0,
                           refunded_quantity_milli=0),),
        refunds=(ReceiptRefund(id=1, kind="refund", paid_minor=1, points_reversed=0,
                               points_returned=0, debt_points=0,
                               lines=(RefundedLine(line_no=1, quantity_milli=1_000),),
                               occurred_at=AT),))),
    (CodeSentOut, CodeSent(phone_ending="0111", expires_in_seconds=300)),
    (ReceiptOut, ReceiptView(
        id=13, receipt_id="S-2", terminal_id=1, store_id=1, member_id=7, status="voided",
        program_version=1, gross_minor=1, discount_minor=0, points_spent=0,
        points_discount_minor=0, paid_minor=1, points_earned=0, refunded_paid_minor=1,
        occurred_at=AT, lines=(), refunds=(), stored_value=ReceiptStoredValue(
            certificates_sold=(CertificateOnReceipt(
                certificate_id=3, series_id=1, series_name="Gift", code_ending="WXYZ",
                amount_minor=3000, taken_back=True),),
            goods_sold=(),
            tenders=(TenderOnReceipt(tender_no=0, kind="wallet", amount_minor=600,
                                     returned_minor=600),
                     TenderOnReceipt(tender_no=1, kind="goods", amount_minor=11_000,
                                     returned_minor=0, line_no=1, sku="A95",
                                     product_name="Petrol", unit="l", quantity_milli=2_000,
                                     returned_milli=0, member_id=7)),
            cashback=CashbackOnReceipt(total_minor=600, program_minor=100, promotions=(
                PromotionCashback(promotion_id=2, name="Back", amount_minor=500),),
                taken_back_minor=600)))),
]


@pytest.mark.parametrize(("model", "result"), RESULTS)
def test_the_model_writes_the_stored_json_of_a_result(model: type[BaseModel],
                                                       result: object) -> None:
    stored = to_json(result)
    sent = model.model_validate(result).model_dump_json()
    assert sent == json.dumps(stored, ensure_ascii=False, separators=(",", ":"))
    # A replay's stored JSON read back through the model is the same answer again.
    assert model.model_validate(stored).model_dump(mode="json") == stored


def test_absent_parts_are_left_out_and_present_ones_kept() -> None:
    bare = to_json(QuoteResult(**_figures()))
    assert "hold" not in bare and "coupon_holds" not in bare
    held = to_json(RESULTS[2][1])
    assert held["hold"] == {"id": 9, "points": 10, "expires_at": "2026-03-01T15:00:00.123456+03:00"}
    assert to_json(RESULTS[3][1])["receipt"]["occurred_at"] == "2026-03-01T12:00:00+00:00"
    assert "issued_coupons" not in to_json(RESULTS[3][1])
    assert to_json(RESULTS[4][1])["issued_coupons"][0]["starts_on"] == "2026-03-02"
    assert "issued_coupons_voided" not in to_json(RESULTS[5][1])
    assert to_json(RESULTS[6][1])["issued_coupons_voided"] == 2


@pytest.mark.parametrize(("model", "result"), [
    (QuoteOut, QuoteResult), (CommitOut, CommitResult), (RefundOut, RefundResult),
    (ReceiptOut, ReceiptView), (CodeSentOut, CodeSent)])
def test_each_model_has_its_results_fields_in_order(model: type[Out], result: type) -> None:
    assert list(model.model_fields) == [f.name for f in dataclasses.fields(result)]
    assert model.absent_when_none | model.absent_when_empty == omitted_fields(result)
