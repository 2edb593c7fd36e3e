"""``/v1/pos``: what a till calls at checkout. Authenticated by the till's key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from regulars import errors
from regulars.api.deps import IdempotencyKey, PathId, QueryId, RuntimeDep, Till, runtime_of
from regulars.api.errors_doc import responses
from regulars.api.lean_route import LeanRoute
from regulars.api.member_schemas import HistoryEntryOut, MemberOut, ReferralInfoOut
from regulars.api.openapi import NEW_MEMBER
from regulars.api.pos_schemas import CodeSentOut, CommitOut, QuoteOut, RefundOut
from regulars.api.receipt_schemas import ReceiptOut
from regulars.api.schemas import (
    CommitIn,
    MemberRefIn,
    OtpIn,
    QuoteIn,
    RefundIn,
    SaleIn,
    TillMemberIn,
)
from regulars.services.checkout import checkout
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.idempotency import Outcome
from regulars.services.checkout.pricing import Sale
from regulars.services.checkout.results import (
    CodeSent,
    CommitResult,
    QuoteResult,
    ReceiptView,
    RefundResult,
)
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import HistoryEntry, MemberView
from regulars.services.rewards import referrals
from regulars.services.rewards.referrals import ReferralInfo
from regulars.services.tenancy import tenants

router = APIRouter(prefix="/v1/pos", tags=["pos"], route_class=LeanRoute)
COUPON_ERRORS = (errors.InvalidCoupon, errors.CouponUsed, errors.CouponExpired,
                 errors.CouponNotYetValid, errors.CouponNotYours, errors.TooManyAttempts)


def _sale(body: SaleIn) -> Sale:
    return Sale(member=body.member.to_ref() if body.member else None,
                lines=tuple([line.to_line() for line in body.lines]),
                points_to_spend=body.points_to_spend, coupons=tuple(body.coupons),
                tenders=tuple(t.to_tender() for t in body.tenders),
                reward_id=body.reward_id, reward_code=body.reward_code or None)


def stored_answer(outcome: Outcome) -> Response:
    """A keyed write's answer: the JSON stored for its replays, sent as it is (so that a replay
    and the first call get the same bytes); the route's response model documents it."""
    return JSONResponse(outcome.body,
                        headers={"Idempotent-Replayed": "true"} if outcome.replayed else None)


def _commit_json(result: CommitResult) -> dict[str, Any]:
    """A commit's answer as its model serialises it: what is stored and sent."""
    return CommitOut.model_validate(result).model_dump(mode="json")


def _refund_json(result: RefundResult) -> dict[str, Any]:
    return RefundOut.model_validate(result).model_dump(mode="json")


def _quote(result: QuoteResult) -> Response:
    """A quote serialised once, by its model, without FastAPI's second validation of a
    returned model in the thread pool (0.3 ms of a quote's 2 ms of CPU)."""
    return Response(QuoteOut.model_validate(result).model_dump_json(),
                    media_type="application/json")


@router.post("/quote", response_model=QuoteOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.RedemptionRefused, errors.InsufficientPoints,
    errors.RewardRefused, errors.CodeRefused, *COUPON_ERRORS))
def quote(body: QuoteIn, till: Till, request: Request) -> Response:
    """Price a basket: discounts per line, points to earn, most points spendable, the level
    and progress, the catalogue rewards the member could claim on it (``rewards``), and why.
    Writes nothing unless ``hold`` reserves the points to spend."""
    return _quote(checkout.quote(runtime_of(request), till, _sale(body), hold=body.hold,
                                 goods_sold=tuple(g.to_sale() for g in body.goods_sold),
                                 sells_certificates=bool(body.certificates_sold)))


@router.post("/commit", response_model=CommitOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.IdempotencyMismatch, errors.ReceiptConflict,
    errors.RedemptionRefused, errors.InsufficientPoints, errors.CodeRefused,
    errors.RewardRefused, errors.CertificateNotAccepted, *COUPON_ERRORS))
def commit(body: CommitIn, till: Till, request: Request, key: IdempotencyKey) -> Response:
    """Post a paid receipt once. A replay with the same key and body returns the first answer
    (header ``Idempotent-Replayed: true``). Spending more than the program's
    ``otp_above_points`` needs ``otp_code`` (see ``POST /v1/pos/otp``)."""
    rt = runtime_of(request)
    if body.staff_id is not None:
        # Another tenant's staff id (or none at all) must not be stored on this receipt.
        tenants.get_staff(rt, till.tenant_id, body.staff_id)
    req = CommitRequest(sale=_sale(body), receipt_id=body.receipt_id,
                        occurred_at=body.occurred_at, hold_id=body.hold_id,
                        staff_id=body.staff_id, otp_code=body.otp_code,
                        certificates_sold=tuple(c.to_sale() for c in body.certificates_sold),
                        goods_sold=tuple(g.to_sale() for g in body.goods_sold),
                        identified_by=None if body.identified_by == "unknown"
                        else body.identified_by)
    # Left out of the hashed body while unknown, so a replay of a commit sent before the
    # field existed still matches its first answer.
    leave_out = ({"otp_code"} | ({"identified_by"} if body.identified_by == "unknown" else set())
                 | ({"goods_sold"} if not body.goods_sold else set()))
    return stored_answer(checkout_commit.commit(
        rt, till, req, key=key, payload=body.model_dump(mode="json", exclude=leave_out),
        encode=_commit_json))


@router.post("/otp", response_model=CodeSentOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.TooManyAttempts))
def send_code(body: OtpIn, till: Till, rt: RuntimeDep) -> CodeSent:
    """Text the member a one-time code (6 digits, valid 5 minutes, 5 attempts) that
    confirms spending more than the program's ``otp_above_points`` on one receipt. Limited
    per number (3 in 10 minutes, 10 a day) and per till (60 an hour): 429 with Retry-After."""
    return checkout_commit.send_spend_code(rt, till, body.member.to_ref())


@router.post("/receipts/{receipt_id}/refund", response_model=RefundOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.IdempotencyMismatch, errors.RefundRefused))
def refund(receipt_id: PathId, body: RefundIn, till: Till, rt: RuntimeDep,
           key: IdempotencyKey) -> Response:
    """Refund some lines and quantities, or (no ``lines``) everything left on the receipt."""
    lines = None if body.lines is None else [(ln.line_no, ln.milli()) for ln in body.lines]
    outcome = checkout.refund(rt, till, receipt_id, lines, key=key,
                              payload={"receipt": receipt_id,
                                       **body.model_dump(mode="json", exclude_none=True)},
                              encode=_refund_json, split=body.split())
    return stored_answer(outcome)


@router.post("/receipts/{receipt_id}/void", response_model=RefundOut, responses=responses(
    errors.NotFound, errors.IdempotencyMismatch, errors.VoidRefused))
def void(receipt_id: PathId, till: Till, rt: RuntimeDep, key: IdempotencyKey) -> Response:
    """Cancel a receipt within the program's void window: every point it moved goes back."""
    outcome = checkout.refund(rt, till, receipt_id, None, key=key,
                              payload={"receipt": receipt_id, "void": True}, void=True,
                              encode=_refund_json)
    return stored_answer(outcome)


@router.get("/receipts/{receipt_id}", response_model=ReceiptOut,
            responses=responses(errors.NotFound))
def receipt(receipt_id: PathId, till: Till, rt: RuntimeDep) -> ReceiptView:
    return checkout.receipt(rt, till, receipt_id)


@router.get("/receipts", response_model=ReceiptOut, responses=responses(errors.NotFound))
def receipt_by_number(receipt_id: str, till: Till, rt: RuntimeDep) -> ReceiptView:
    """Find this till's receipt by its own receipt number."""
    return checkout.receipt_by_number(rt, till, receipt_id)


@router.post("/holds/{hold_id}/release", status_code=204, responses=responses(errors.NotFound))
def release_hold(hold_id: PathId, till: Till, rt: RuntimeDep) -> Response:
    checkout.release_hold(rt, till, hold_id)
    return Response(status_code=204)


@router.post("/members", response_model=MemberOut, responses={
    **responses(errors.InvalidInput, errors.DuplicateIdentifier, errors.NotFound),
    **NEW_MEMBER})
def register(body: TillMemberIn, till: Till, rt: RuntimeDep,
             response: Response) -> MemberView:
    """Register a customer at the till (a phone number is enough). 201 when new; 200 with
    the existing member when the phone is known already. ``staff_id``: the cashier who
    enrolled them; another business's staff id is 404."""
    member, created = member_registration.register(
        rt, till.tenant_id, body.to_registration(), store_id=till.store_id,
        terminal_id=till.terminal_id, staff_id=body.staff_id)
    response.status_code = 201 if created else 200
    return member


@router.post("/members/lookup", response_model=MemberOut,
             responses=responses(errors.InvalidInput, errors.NotFound))
def lookup(body: MemberRefIn, till: Till, rt: RuntimeDep) -> MemberView:
    """A member by phone, card, QR token or id: balance, spendable points, level, progress."""
    return members.get(rt, till.tenant_id, body.to_ref())


@router.get("/members/{member_id}/history", response_model=list[HistoryEntryOut],
            responses=responses(errors.NotFound))
def history(member_id: PathId, till: Till, rt: RuntimeDep, limit: int = 50,
            before_id: QueryId = None) -> list[HistoryEntry]:
    return member_ledger.history(rt, till.tenant_id, member_id, limit=limit, before_id=before_id)


@router.get("/members/{member_id}/referral", response_model=ReferralInfoOut,
            responses=responses(errors.NotFound))
def referral(member_id: PathId, till: Till, rt: RuntimeDep) -> ReferralInfo:
    """The member's referral code and link, to print or show at the till."""
    return referrals.referral_info(rt, till.tenant_id, member_id)
