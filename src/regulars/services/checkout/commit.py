"""The POS protocol's commit: a paid receipt posted once, and the one-time code that
confirms a large spend.

:func:`commit` is idempotent twice over: by the ``Idempotency-Key`` (same key and body → the
first answer; same key, other body → :class:`IdempotencyMismatch`) and by the till's receipt
id (the same receipt sent again with another key and the same basket → the first answer;
another basket → :class:`ReceiptConflict`).

Spending more than the program's ``otp_above_points`` on one receipt needs a one-time code
sent to the member's phone (:func:`send_spend_code`): the commit checks it in a transaction of
its own (so wrong attempts stay counted) and uses it inside its own (so a failed commit leaves
it unused); a replay of a commit already answered needs no code.

The slots of capped budgets and buckets and of coupon codes, which many tills share, are
charged as the transaction's last statements by statements that never wait; when one charges
nothing the transaction is rolled back and run again once charging the careful way (see
docs/ledger.md, "Promotion budgets and the loyalty buckets").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import Connection

from regulars.db.checkout import idempotency_keys, receipts
from regulars.db.checkout import till_reads as commit_reads
from regulars.db.engine import UniqueViolation
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.members.members import MemberRow
from regulars.db.promotions.budget_slots import Busy
from regulars.db.tenancy import tenancy
from regulars.domain.checkout import reasons
from regulars.domain.checkout.quote import Quote
from regulars.domain.program.program import Program
from regulars.domain.stored_value.cashback import promotion_shares
from regulars.errors import (
    CodeRefused,
    IdempotencyMismatch,
    InsufficientPoints,
    InvalidInput,
    NotFound,
    ReceiptConflict,
)
from regulars.services.checkout import outbound
from regulars.services.checkout.idempotency import (
    Outcome,
    request_hash,
    restore_personal,
    withhold_member,
)
from regulars.services.checkout.pricing import (
    Priced,
    Sale,
    answer,
    check_lines,
    check_spend,
    price,
    spend_needs_code,
)
from regulars.services.checkout.results import CodeSent, CommitResult, IssuedCoupon, ReceiptStamp
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.messaging import otp
from regulars.services.program import levels, programs
from regulars.services.promotions import budgets, coupon_issue, coupons, promotions
from regulars.services.results import to_json
from regulars.services.rewards import claims
from regulars.services.runtime import Runtime
from regulars.services.stamps import till as stamp_till
from regulars.services.stored_value import cashback as stored_value_cashback
from regulars.services.stored_value import goods_sales, sales_audit
from regulars.services.stored_value import sales as stored_value_sales
from regulars.services.stored_value import tenders as stored_value_tenders
from regulars.services.stored_value.goods_sales import GoodsSale
from regulars.services.stored_value.results import CertificateSold, GoodsSold, TenderTaken
from regulars.services.stored_value.sales import CertificateSale
from regulars.services.tenancy.api_keys import Principal
from regulars.services.tenancy.tenants import get_tenant

MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_OFFLINE_AGE = timedelta(days=30)


@dataclass(frozen=True, kw_only=True)
class CommitRequest:
    sale: Sale
    receipt_id: str
    occurred_at: datetime | None = None
    hold_id: int | None = None
    staff_id: int | None = None
    otp_code: str | None = None
    certificates_sold: tuple[CertificateSale, ...] = ()
    goods_sold: tuple[GoodsSale, ...] = ()
    identified_by: str | None = None
    """"scanned" or "typed"; None when the till did not say."""


def send_spend_code(rt: Runtime, principal: Principal, ref: MemberRef) -> CodeSent:
    """Text the member a one-time code that confirms a spend above the program's threshold.
    Raises :class:`NotFound` (no such member, or no phone) and :class:`TooManyAttempts`
    (too many codes for this number or from this till)."""
    principal.require("till")
    phone = otp.send_code(rt, principal.tenant_id, ref, purpose="spend",
                          terminal_id=principal.terminal_id)
    return CodeSent(phone_ending=phone[-4:],
                    expires_in_seconds=int(otp.LIFETIME.total_seconds()))


def _verify_spend_code(rt: Runtime, principal: Principal, tenant: tenancy.TenantRow,
                       req: CommitRequest, *, key: str) -> int | None:
    """The id of the verified one-time code this commit sends, or None when it sends none or
    needs none (no spend above the threshold, or a replay of a commit already sent). Raises
    :class:`CodeRefused` on ``otp_code`` when the code is wrong or expired.

    Without a code nothing is read here: the commit's own transaction refuses a spend that
    needs one (:func:`_require_code`), after a replay has been answered, so a commit without
    a code costs no unit of work of its own."""
    sale = req.sale
    if not sale.points_to_spend or sale.member is None or not (req.otp_code or "").strip():
        return None
    assert principal.terminal_id is not None
    with rt.db.read() as conn:
        _, program = programs.load_current(conn, tenant.id)
        if not spend_needs_code(program, sale.points_to_spend):
            return None
        if commit_reads.commit_seen(conn, tenant.id, key=key,
                                    terminal_id=principal.terminal_id,
                                    receipt_no=req.receipt_id):
            return None
        member = members.require(conn, tenant.id, tenant.phone_region, sale.member)
    if member.phone is None:
        _require_code(program, member)
    try:
        return otp.verify(rt, tenant.id, member.phone, req.otp_code or "", purpose="spend")
    except CodeRefused as exc:
        raise CodeRefused(exc.template, field="otp_code", params=exc.params) from exc


def _require_code(program: Program, member: MemberRow | None) -> NoReturn:
    """Refuse a spend above the program's threshold sent without a one-time code."""
    if member is not None and member.phone is None:
        raise CodeRefused("this member has no phone number to send a code to",
                          field="otp_code")
    raise CodeRefused("spending more than %(points)s points needs the one-time code sent "
                      "to the member's phone", field="otp_code",
                      params={"points": program.otp_above_points})


def commit(rt: Runtime, principal: Principal, req: CommitRequest, *, key: str,
           payload: dict[str, Any],
           encode: Callable[[CommitResult], dict[str, Any]] = to_json) -> Outcome:
    """Post a paid receipt: spend and earn entries, the receipt and its lines, once.
    ``encode`` makes the answer stored for replays (the API passes its ``…Out`` model's).

    Raises :class:`IdempotencyMismatch`, :class:`ReceiptConflict`,
    :class:`RedemptionRefused` (a spend above the limit), :class:`InsufficientPoints` (the
    balance went away under a concurrent spend), :class:`InvalidInput` (a timestamp in the
    future or too old), :class:`NotFound` (unknown member).
    """
    outcome = _commit_once(rt, principal, req, key=key, payload=payload, encode=encode)
    if not outcome.replayed:
        return outcome
    # The stored answer withholds the member's personal data: filled in from the member now.
    with rt.db.read() as conn:
        return Outcome(restore_personal(conn, principal.tenant_id, outcome.body), replayed=True)


def _commit_once(rt: Runtime, principal: Principal, req: CommitRequest, *, key: str,
                 payload: dict[str, Any],
                 encode: Callable[[CommitResult], dict[str, Any]]) -> Outcome:
    principal.require("till")
    assert principal.terminal_id is not None and principal.store_id is not None
    check_lines(req.sale, sells=bool(req.certificates_sold or req.goods_sold))
    digest = request_hash(payload)
    tenant = get_tenant(rt, principal.tenant_id)
    code_id = _verify_spend_code(rt, principal, tenant, req, key=key)
    now = rt.now()
    attempt = functools.partial(_attempt, rt, principal, tenant, req, key=key, digest=digest,
                                now=now, code_id=code_id, encode=encode)
    try:
        try:
            return attempt(careful=False)
        except Busy:
            # A shared slot charge at the end found no free slot holding the amount (a budget
            # or code nearly used up, or its slots not made yet): all of it was rolled back.
            return attempt(careful=True)
    except coupons.WrongCodes as wrong:
        # Pricing found wrong coupon codes: counted against the till now that the commit's
        # transaction is rolled back.
        coupons.count_wrong(rt, principal, wrong)
    except UniqueViolation:
        # A concurrent request with the same receipt id won the race: answer as it did.
        with rt.db.read() as conn:
            winner = receipts.receipt_by_number(conn, tenant.id, principal.terminal_id,
                                                req.receipt_id)
        if winner is None:
            raise
        return _replayed(winner["request_hash"], winner["response"], digest, receipt=True)


def _attempt(rt: Runtime, principal: Principal, tenant: tenancy.TenantRow,
             req: CommitRequest, *, key: str, digest: str, now: datetime,
             code_id: int | None, encode: Callable[[CommitResult], dict[str, Any]],
             careful: bool) -> Outcome:
    """One transaction of :func:`commit`. Not ``careful``: the budgets', buckets' and coupon
    codes' slots are charged as its last statements, each one statement that never waits,
    and :class:`Busy` (the transaction rolled back whole) when one charged nothing;
    ``careful``: the budgets are charged right after pricing and the codes' slots the careful
    way (waiting for a slot, or the last units across all of them), as the limits require."""
    assert principal.terminal_id is not None
    with rt.db.write() as conn:
        claim, earlier = idempotency_keys.claim_commit(
            conn, tenant_id=tenant.id, key=key, request_hash=digest, now=now,
            terminal_id=principal.terminal_id, receipt_no=req.receipt_id,
            lock=budgets.commit_lock(tenant.id))
        if not claim.fresh:
            return _replayed(claim.request_hash, claim.response, digest)
        if earlier is not None:
            # The key claimed stays: its replays find this receipt, committed with this hash.
            return _replayed(earlier.request_hash, earlier.response, digest, receipt=True)
        # Only a new receipt is held to the time limits: a replay answers as the first
        # call did, however old its occurred_at has grown since.
        at = _occurred_at(req.occurred_at, now)
        day = budgets.local_day(tenant, at)
        result, priced = _commit(conn, principal, tenant, req, digest=digest, now=now,
                                 at=at, day=day, code_id=code_id, careful=careful)
        body = encode(result)
        idempotency_keys.store_receipt_answer(conn, tenant_id=tenant.id,
                                              receipt_id=result.receipt.id,
                                              response=withhold_member(body),
                                              events=outbound.commit_events(principal, result),
                                              events_at=result.receipt.recorded_at)
        # After the receipt's events: a level reached records one of its own.
        outbound.message_commit(conn, rt, principal, result, priced.program)
        # Last of all: a shared slot is then locked only until COMMIT.
        if not careful and priced.quote.promotions:
            _charge_budgets(conn, principal, tenant, priced, day=day, shared=True,
                            last=True)
        coupons.count_uses(conn, tenant.id, result.receipt.id, priced.quote,
                           terminal_id=principal.terminal_id, now=now, quick=not careful)
        return Outcome(body)


def _commit(conn: Connection, principal: Principal, tenant: tenancy.TenantRow,
            req: CommitRequest, *, digest: str, now: datetime, at: datetime, day: date,
            code_id: int | None = None, careful: bool = True) -> tuple[CommitResult, Priced]:
    """A new receipt, step by step as the protocol goes: use the one-time code, capture the
    hold, price within the promotion budgets, store the receipt, post the points, answer.
    The caller counts the coupon uses of the receipt as priced (returned beside the answer) as
    the transaction's last statements (a shared code's slot is then locked only until COMMIT),
    and, unless ``careful``, charges the budgets' and buckets' slots there too."""
    if code_id is not None:
        # First, so that of two commits racing with one code the second waits here and fails.
        _use_code(conn, tenant.id, code_id, now)
    held = _capture_hold(conn, tenant, req, now)
    priced = _price_within_budgets(conn, principal, tenant, req.sale, at=at, now=now,
                                   day=day, held=held, shared=careful)
    if code_id is None and spend_needs_code(priced.program, req.sale.points_to_spend):
        _require_code(priced.program, priced.member)
    receipt_id, issued = _store_receipt(conn, principal, tenant, req, priced, digest=digest,
                                        now=now, at=at, day=day)
    if priced.reward is not None:
        assert priced.member is not None
        claims.record(conn, tenant, priced.reward, priced.quote, receipt_id=receipt_id,
                      member_id=priced.member.id, at=at, now=now)
    entry_ids = _post_points(conn, principal, tenant, req, priced, receipt_id, held=held,
                             now=now, at=at)
    taken, sold, goods_sold = _stored_value(conn, principal, tenant, req, priced, receipt_id,
                                            now=now, at=at)
    prepaid = stored_value_tenders.prepaid_minor(taken)
    entry_ids |= _cashback(conn, principal, tenant, req, priced, receipt_id, now=now, at=at,
                           day=day, prepaid_minor=prepaid)
    return _commit_body(conn, tenant, req, priced, receipt_id, entry_ids, issued, now=now,
                        at=at, prepaid_minor=prepaid, tenders=taken, sold=sold,
                        goods_sold=goods_sold), priced


def _stored_value(conn: Connection, principal: Principal, tenant: tenancy.TenantRow,
                  req: CommitRequest, priced: Priced, receipt_id: int, *, now: datetime,
                  at: datetime) -> tuple[tuple[TenderTaken, ...], tuple[CertificateSold, ...],
                                         tuple[GoodsSold, ...]]:
    """Pay part of the receipt's money with the certificates and wallet the till names,
    activate the gift cards it sells and put the goods it sells into their accounts, both on
    the audit trail (nothing is read without any). Raises :class:`InvalidInput` naming the
    tender, card or sale."""
    if not (req.sale.tenders or req.certificates_sold or req.goods_sold):
        return (), (), ()
    ctx = EntryContext(tenant_id=tenant.id,
                       member_id=priced.member.id if priced.member else None,
                       receipt_id=receipt_id, terminal_id=principal.terminal_id,
                       store_id=principal.store_id, staff_id=req.staff_id,
                       program_version=priced.version, occurred_at=at, recorded_at=now)
    taken = stored_value_tenders.take(conn, tenant, ctx, req.sale.tenders,
                                      paid_minor=priced.quote.paid_minor,
                                      lines=priced.quote.lines, now=now)
    cards = stored_value_sales.sell(conn, tenant, ctx, req.certificates_sold, now=now)
    goods = goods_sales.sell(conn, tenant.id, ctx, req.goods_sold, now=now)
    sales_audit.record(conn, principal, staff_id=req.staff_id, receipt_id=receipt_id,
                       cards=cards, goods=goods, now=now)
    return taken, cards, goods


def _cashback(conn: Connection, principal: Principal, tenant: tenancy.TenantRow,
              req: CommitRequest, priced: Priced, receipt_id: int, *, now: datetime,
              at: datetime, day: date, prepaid_minor: int) -> dict[str, int]:
    """The program's and the promotions' cashback into the member's wallet (nothing when
    neither gives any), on the money not paid from the wallet or by goods accounts; the
    program's counted in the base bucket of ``day``'s month, the promotions' in theirs as
    charged at pricing less what the wallet's share took off them."""
    cashback = stored_value_cashback.of_sale(priced.program, priced.quote,
                                             member=priced.member is not None,
                                             prepaid_minor=prepaid_minor)
    if cashback is None:
        return {}
    assert priced.member is not None
    ctx = EntryContext(tenant_id=tenant.id, member_id=priced.member.id, receipt_id=receipt_id,
                       terminal_id=principal.terminal_id, store_id=principal.store_id,
                       staff_id=req.staff_id, program_version=priced.version,
                       occurred_at=at, recorded_at=now)
    budgets.charge_cashback(conn, tenant.id, receipt_id, day=day,
                            cashback_minor=cashback.amount_minor)
    if cashback.promotion_minor != cashback.promotion_priced_minor:
        assert principal.terminal_id is not None
        budgets.settle_prepaid(conn, tenant.id, receipt_id, priced.member.id,
                               credited=promotion_shares(priced.quote,
                                                         prepaid_minor=prepaid_minor),
                               spread=principal.terminal_id)
    return stored_value_cashback.credit(conn, tenant, ctx, cashback, quote=priced.quote)


def _use_code(conn: Connection, tenant_id: int, code_id: int, now: datetime) -> None:
    try:
        otp.use(conn, tenant_id, code_id, now)
    except CodeRefused as exc:
        raise CodeRefused(exc.template, field="otp_code", params=exc.params) from exc


def _capture_hold(conn: Connection, tenant: tenancy.TenantRow, req: CommitRequest,
                  now: datetime) -> int:
    """The points of the hold this commit names, now captured (0: no hold, or it lapsed or
    was released, and the spend then needs free points). Raises :class:`InvalidInput` for a
    hold without a member and :class:`NotFound` for another member's or tenant's hold."""
    if req.hold_id is None:
        return 0
    sale = req.sale
    member_row = (members.require(conn, tenant.id, tenant.phone_region, sale.member)
                  if sale.member else None)
    if member_row is None:
        raise InvalidInput("a hold belongs to a member", field="hold_id")
    if ledger_ops.hold_account(conn, tenant.id, req.hold_id) != member_row.account_id:
        raise NotFound("hold not found", field="hold_id")
    return ledger_ops.capture_hold(conn, tenant.id, req.hold_id, member_row.account_id, now)


def _price_within_budgets(conn: Connection, principal: Principal,
                          tenant: tenancy.TenantRow, sale: Sale, *, at: datetime,
                          now: datetime, day: date, held: int, shared: bool) -> Priced:
    """Price the receipt and count its promotion budgets in this transaction (the member's
    limits only unless ``shared``: the caller charges the budgets' slots last). A promotion a
    concurrent commit exhausted since it was read is left out and the receipt priced again
    (the till gets a correct receipt, not a refusal); each round leaves out one more, so this
    ends. Raises :class:`RedemptionRefused` for a spend above the limit."""
    assert principal.terminal_id is not None and principal.store_id is not None
    excluded: frozenset[int] = frozenset()
    while True:
        priced = price(conn, tenant, sale, at=at, now=now, store_id=principal.store_id,
                       terminal_id=principal.terminal_id, extra_spendable=held,
                       excluded=excluded, lock_stamps=True)
        check_spend(sale, priced.member, priced.quote)
        if not priced.quote.promotions:
            return priced
        failed = _charge_budgets(conn, principal, tenant, priced, day=day, shared=shared)
        if failed is None:
            return priced
        excluded |= {failed}


def _charge_budgets(conn: Connection, principal: Principal, tenant: tenancy.TenantRow,
                    priced: Priced, *, day: date, shared: bool,
                    last: bool = False) -> int | None:
    """:func:`budgets.charge` for the priced receipt (``shared=False``: the member's limits
    only); ``last``: :func:`budgets.charge_shared`, the slots the call with ``shared=False``
    left, as the transaction's last statements (raises :class:`Busy`; returns ``None``)."""
    assert priced.offers is not None and principal.terminal_id is not None
    offered = {c.promotion.id: c.promotion for c in priced.offers.candidates}
    point_value = priced.program.point_value_minor
    if last:
        budgets.charge_shared(conn, tenant.id, priced.quote, offered, day=day,
                              split=priced.offers.split, point_value_minor=point_value,
                              spread=principal.terminal_id)
        return None
    return budgets.charge(conn, tenant.id, priced.quote, offered,
                          member_id=priced.member.id if priced.member else None, day=day,
                          split=priced.offers.split, point_value_minor=point_value,
                          spread=principal.terminal_id, shared=shared)


def _store_receipt(conn: Connection, principal: Principal, tenant: tenancy.TenantRow,
                   req: CommitRequest, priced: Priced, *, digest: str, now: datetime,
                   at: datetime, day: date) -> tuple[int, tuple[IssuedCoupon, ...]]:
    """The receipt with its lines, promotions, coupon uses and base budget; its id and the
    coupons it issued."""
    assert principal.terminal_id is not None and principal.store_id is not None
    member, q = priced.member, priced.quote
    member_id = member.id if member else None
    receipt_id = receipts.insert_receipt_with_lines(
        conn, _receipt_lines(req.sale, q),
        children=_children(conn, tenant.id, priced, day=day),
        tenant_id=tenant.id, terminal_id=principal.terminal_id,
        store_id=principal.store_id, staff_id=req.staff_id, receipt_no=req.receipt_id,
        member_id=member_id, status="committed", program_version=priced.version,
        gross_minor=q.gross_minor, discount_minor=q.discount_minor,
        points_spent=q.points_spent, points_discount_minor=q.points_discount_minor,
        paid_minor=q.paid_minor, points_earned=q.points_earned, request_hash=digest,
        response={}, occurred_at=at, recorded_at=now, day=day,
        identified_by=req.identified_by, rewards=claims.counted(priced.reward, q))
    promotions.record_groups(conn, tenant.id, member_id=member_id, offers=priced.offers,
                             at=at)
    issued = coupon_issue.issue(conn, tenant, receipt_id, q, member_id=member_id, now=now)
    if member is not None:
        budgets.charge_base(conn, tenant.id, receipt_id, q, day=day,
                            point_value_minor=priced.program.point_value_minor)
    return receipt_id, issued


def _children(conn: Connection, tenant_id: int, priced: Priced, *,
              day: date) -> tuple[receipts.Children, ...]:
    """The rows written with the receipt: what each promotion gave it, its coupon uses."""
    q = priced.quote
    found = []
    if q.promotions:
        found.append(promotions.applied(conn, tenant_id, q, day=day, offers=priced.offers,
                                        point_value_minor=priced.program.point_value_minor))
    if q.coupons:
        found.append(coupons.uses(q))
    return tuple(found)


def _receipt_lines(sale: Sale, q: Quote) -> list[dict[str, Any]]:
    return [
        {"line_no": ln.line_no, "sku": ln.sku, "name": line.name, "category": ln.category,
         "quantity_milli": ln.quantity_milli, "unit_price_minor": line.unit_price_minor,
         "gross_minor": ln.gross_minor,
         "discount_minor": (ln.till_discount_minor + ln.program_discount_minor
                            + ln.promotion_discount_minor + ln.coupon_discount_minor),
         "points_spent": ln.points_spent, "paid_minor": ln.paid_minor,
         "points_earned": ln.points_earned}
        for ln, line in zip(q.lines, sale.lines, strict=True)]


def _post_points(conn: Connection, principal: Principal, tenant: tenancy.TenantRow,
                 req: CommitRequest, priced: Priced, receipt_id: int, *, held: int,
                 now: datetime, at: datetime) -> dict[str, int]:
    """The spend and earn entries of the receipt through the ledger (none without a member),
    and the member's level floor. Raises :class:`InsufficientPoints` when the points went
    away under a concurrent spend."""
    member, q, program = priced.member, priced.quote, priced.program
    if member is None:
        return {}
    ctx = EntryContext(tenant_id=tenant.id, member_id=member.id, receipt_id=receipt_id,
                       terminal_id=principal.terminal_id, store_id=principal.store_id,
                       staff_id=req.staff_id, program_version=priced.version, occurred_at=at,
                       recorded_at=now)
    why = [{"code": e.code, "params": dict(e.params)} for e in q.explanations]
    memo: dict[str, Any] = {}
    if q.promotions:
        memo["promotions"] = promotions.applied_view(q)
    entry_ids: dict[str, int] = {}
    try:
        spent = ledger_ops.spend(
            conn, ctx, key=f"receipt:{receipt_id}:spend", account_id=member.account_id,
            amount=q.points_spent, now=now, held=held,
            memo={**memo, "why": reasons.of_spend(why, earned=q.points_earned > 0)})
    except Shortfall as exc:
        raise InsufficientPoints("the member no longer has these points",
                                 field="points_to_spend") from exc
    if spent is not None:
        entry_ids["spend"] = spent
    if q.points_earned:
        available_at, expires_at = program.lot_dates(at)
        entry_ids["earn"] = ledger_ops.earn(
            conn, ctx, key=f"receipt:{receipt_id}:earn", account_id=member.account_id,
            amount=q.points_earned, available_at=available_at, expires_at=expires_at,
            memo={**memo, "why": reasons.of_earn(why, spent=spent is not None)})
    entry_ids.update(stamp_till.post(conn, ctx, priced.stamps, now=now))
    levels.raise_floor(conn, tenant, program, member, now)
    return entry_ids


def _commit_body(conn: Connection, tenant: tenancy.TenantRow, req: CommitRequest,
                 priced: Priced, receipt_id: int, entry_ids: dict[str, int],
                 issued: tuple[IssuedCoupon, ...], *, now: datetime, at: datetime,
                 prepaid_minor: int = 0, tenders: tuple[TenderTaken, ...] = (),
                 sold: tuple[CertificateSold, ...] = (),
                 goods_sold: tuple[GoodsSold, ...] = ()) -> CommitResult:
    """The commit's answer (what a replay of it returns)."""
    return CommitResult(
        **answer(conn, tenant, priced, now=now, after=True, prepaid_minor=prepaid_minor),
        receipt=ReceiptStamp(id=receipt_id, receipt_id=req.receipt_id, status="committed",
                             occurred_at=at, recorded_at=now),
        entries=entry_ids, issued_coupons=issued, tenders=tenders, certificates_sold=sold,
        goods_sold=goods_sold)


def _replayed(stored_hash: str | None, response: Any, digest: str, *,
              receipt: bool = False) -> Outcome:
    if stored_hash != digest:
        if receipt:
            raise ReceiptConflict("this receipt id was committed with a different basket",
                                  field="receipt_id")
        raise IdempotencyMismatch("this Idempotency-Key was used with a different request")
    if not isinstance(response, dict):
        raise IdempotencyMismatch("the first request with this key did not finish")
    return Outcome(response, replayed=True)


def _occurred_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise InvalidInput("occurred_at needs a UTC offset", field="occurred_at")
    if value - now > MAX_CLOCK_SKEW:
        raise InvalidInput("occurred_at lies in the future", field="occurred_at")
    if now - value > MAX_OFFLINE_AGE:
        raise InvalidInput("occurred_at is older than 30 days", field="occurred_at")
    return value
