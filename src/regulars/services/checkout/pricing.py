"""Pricing a till's sale, and the answer a quote or a commit sends back.

:func:`price` loads what pricing needs (the member, its level and spendable points, active
promotions and what their budgets leave, screened coupons) and runs the engine; it writes
nothing. Coupon effects apply after promotions and before the program's discount.
:func:`answer` gives the figures of the answer the till gets, with each figure's
explanation in the business's language (rendered sentences are remembered: the same few
recur on every receipt).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from regulars.db.ledger import spendable as ledger_spendable
from regulars.db.members.members import MemberRow
from regulars.db.stored_value.certificates import Presented
from regulars.db.tenancy import tenancy
from regulars.domain.checkout.engine import evaluate, nothing_priced
from regulars.domain.checkout.quote import BasketLine, Explanation, MemberContext, Quote
from regulars.domain.program.program import Program
from regulars.domain.promotions.coupons import CouponOffer
from regulars.domain.promotions.promotions import Offers
from regulars.domain.stored_value.certificates import Tender
from regulars.errors import InvalidInput, RedemptionRefused
from regulars.services.checkout import pricing_inputs as pricing
from regulars.services.checkout import reason_names
from regulars.services.checkout.results import (
    CouponApplied,
    Explained,
    PricedLine,
    PricedMember,
    PromotionApplied,
    RewardApplied,
    RewardOption,
)
from regulars.services.members.members import MemberRef
from regulars.services.program import levels
from regulars.services.promotions import coupons, promotions
from regulars.services.rewards import claims
from regulars.services.stamps import till as stamp_till
from regulars.services.stored_value import cashback as stored_value_cashback
from regulars.text.wording import render


@dataclass(frozen=True, kw_only=True)
class Sale:
    """What a till sends to quote or commit a receipt."""

    member: MemberRef | None
    lines: tuple[BasketLine, ...]
    points_to_spend: int = 0
    coupons: tuple[str, ...] = ()
    tenders: tuple[Tender, ...] = ()  # certificates and the wallet paying part of the money
    reward_id: int | None = None  # a catalogue reward claimed at the till, for its points
    reward_code: str | None = None  # the code of a reward claimed in advance


@dataclass(frozen=True)
class Priced:
    """A sale as :func:`price` left it: the program version and program, the member (if any),
    the engine's quote, the points the member could spend, and the offers and coupons that
    took part."""

    version: int
    program: Program
    member: MemberRow | None
    quote: Quote
    spendable: int
    offers: Offers | None = None
    coupons: tuple[CouponOffer, ...] = ()
    stamps: stamp_till.StampPricing | None = None
    reward: claims.RewardTicket | None = None
    presented: tuple[str, Presented] | None = None
    """A certificate presented, read with the member (``presented_digest`` of :func:`price`)."""


def price(conn: Connection, tenant: tenancy.TenantRow, sale: Sale, *,
          at: datetime, now: datetime, store_id: int | None, terminal_id: int | None,
          extra_spendable: int = 0, excluded: frozenset[int] = frozenset(),
          lock_stamps: bool = False, presented_digest: str | None = None) -> Priced:
    """Load what pricing needs (active promotions and what their budgets leave included,
    the member's stamp cards with their rewards taken off the lines) and run the engine,
    leaving out the ``excluded`` promotions. No writes, except that ``lock_stamps`` (a
    commit) opens and locks the member's stamp accounts
    (:func:`regulars.services.stamps.till.plan_sale`). ``presented_digest``: a certificate
    code's digest, whose certificate is read with the member (:attr:`Priced.presented`)."""
    facts = pricing.load(conn, tenant, sale.member, at=at, now=now,
                         presented_digest=presented_digest)
    version, program, member = facts.version, facts.program, facts.member
    context = None
    spendable = 0
    stamped = None
    basket = sale.lines
    if member is not None:
        stamped = stamp_till.plan_sale(conn, tenant.id, member.id, sale.lines, now=now,
                                   lock=lock_stamps)
        basket = stamped.lines if stamped is not None else basket
        assert facts.level is not None
        spendable = facts.spendable_points + extra_spendable
        context = MemberContext(level=facts.level, spendable_points=spendable,
                                may_earn=member.consent != "none")

    def spend_minor(m: MemberRow) -> int:
        if member is not None and m.id == member.id:
            return facts.lifetime_spend_minor  # read with the member already
        return levels.spend_windows(conn, tenant, m.id, at).lifetime_minor

    offers = promotions.offers_for(
        conn, tenant, sale.lines, member, context.level.level.code if context else None,
        store_id=store_id, at=at, spend_minor=spend_minor, excluded=excluded)
    accepted: tuple[CouponOffer, ...] = ()
    if sale.coupons:
        assert terminal_id is not None
        accepted = coupons.offers_for(conn, tenant, sale.coupons,
                                      member_id=member.id if member else None,
                                      terminal_id=terminal_id, at=at, now=now)
    found = claims.for_sale(
        conn, tenant, reward_id=sale.reward_id, code=sale.reward_code, member=member,
        level_code=context.level.level.code if context else None, spendable_points=spendable,
        store_id=store_id, at=at, now=now)
    try:
        quote = evaluate(program, basket, context, points_to_spend=sale.points_to_spend,
                         offers=offers, coupons=accepted,
                         reward=found[0] if found else None) if basket else \
            nothing_priced(context)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="lines") from exc
    if stamped is not None:
        quote = replace(quote,
                        explanations=quote.explanations + stamp_till.explanations(stamped))
    ticket = found[1] if found else None
    claims.check_basket(ticket, quote)
    return Priced(version, program, member, quote, spendable, offers, accepted, stamped,
                  ticket, facts.presented)


def reward_options(conn: Connection, tenant: tenancy.TenantRow, sale: Sale, priced: Priced,
                   *, store_id: int | None, at: datetime) -> tuple[RewardOption, ...]:
    """The catalogue rewards the quote's member could claim on this basket (none for an
    anonymous sale, or one that already uses a reward)."""
    if priced.member is None or priced.reward is not None:
        return ()
    return claims.choices(conn, tenant, sale.lines, priced.quote,
                          spendable_points=priced.spendable, store_id=store_id, at=at,
                          language=tenant.locale)


def check_lines(sale: Sale, *, sells: bool) -> None:
    """Refuse a receipt with no lines unless it ``sells`` gift cards or prepaid goods (paid
    apart from the lines, such a sale needs no bill), and such a receipt with a coupon or a
    catalogue reward, which would apply to nothing (:class:`InvalidInput` on ``coupons``,
    ``reward_id`` or ``reward_code``)."""
    if sale.lines:
        return
    if not sells:
        raise InvalidInput("the basket has no lines: add a line, or sell a gift card or "
                           "prepaid goods", field="lines")
    for field, given in (("coupons", sale.coupons), ("reward_id", sale.reward_id),
                         ("reward_code", sale.reward_code)):
        if given:
            raise InvalidInput("a coupon or a reward applies to the basket's lines, and this "
                               "receipt has none", field=field)


def check_spend(sale: Sale, member: MemberRow | None, quote: Quote) -> None:
    """Refuse points to spend without a member, or more than the quote lets this receipt take."""
    if sale.points_to_spend and member is None:
        raise InvalidInput("points can only be spent by a member", field="points_to_spend")
    if sale.points_to_spend > quote.max_spendable_points:
        raise RedemptionRefused(
            f"at most {quote.max_spendable_points} points can be spent on this receipt",
            field="points_to_spend")


def spend_needs_code(program: Program, points: int) -> bool:
    """Whether spending ``points`` on one receipt needs a one-time code."""
    return program.otp_above_points is not None and points > program.otp_above_points


def answer(conn: Connection, tenant: tenancy.TenantRow, priced: Priced, *,
           now: datetime, after: bool = False, prepaid_minor: int = 0) -> dict[str, Any]:
    """The figures a quote's and (``after``) a commit's answer share, with the member's
    balance then: the keyword arguments of :class:`PricedSale` for :class:`QuoteResult` or
    :class:`CommitResult`."""
    version, member, q = priced.version, priced.member, priced.quote
    cashback = stored_value_cashback.of_sale(priced.program, q, member=member is not None,
                                             prepaid_minor=prepaid_minor)
    explanations = q.explanations + (cashback.explanations() if cashback else ())
    priced_member = None
    if member is not None:
        if after:
            state, spendable = ledger_spendable.state_and_spendable(conn, tenant.id, member.id, now)
            balance = state.balance
        else:
            balance, spendable = member.balance, priced.spendable
        priced_member = PricedMember(id=member.id, phone=member.phone, balance_points=balance,
                                     spendable_points=spendable, level=q.level_code)
    return {
        "program_version": version,
        "currency": tenant.currency,
        "member": priced_member,
        "gross_minor": q.gross_minor,
        "discount_minor": q.discount_minor,
        "points_spent": q.points_spent,
        "points_discount_minor": q.points_discount_minor,
        "paid_minor": q.paid_minor,
        "points_earned": q.points_earned,
        "max_spendable_points": q.max_spendable_points,
        # A catalogue reward's points are not the points the customer chose to spend.
        "otp_required": spend_needs_code(
            priced.program, q.points_spent - (q.reward.points if q.reward else 0)),
        "rate_bp": q.rate_bp,
        "lines": tuple([PricedLine(
            line_no=ln.line_no, sku=ln.sku, gross_minor=ln.gross_minor,
            discount_minor=(ln.till_discount_minor + ln.program_discount_minor
                            + ln.promotion_discount_minor + ln.coupon_discount_minor),
            program_discount_minor=ln.program_discount_minor,
            promotion_discount_minor=ln.promotion_discount_minor,
            coupon_discount_minor=ln.coupon_discount_minor, points_spent=ln.points_spent,
            points_discount_minor=ln.points_discount_minor, paid_minor=ln.paid_minor,
            points_earned=ln.points_earned) for ln in q.lines]),
        "promotions": tuple(PromotionApplied(id=p.id, version=p.version, name=p.name,
                                             discount_minor=p.discount_minor, points=p.points,
                                             cashback_minor=p.cashback_minor)
                            for p in q.promotions),
        "coupons": tuple(CouponApplied(series_id=c.series_id, name=c.name,
                                       discount_minor=c.discount_minor, points=c.points)
                         for c in q.coupons),
        "explanations": tuple([Explained(code=e.code, params=dict(e.params),
                                         text=explanation_text(e, tenant.locale, tenant.currency))
                               for e in reason_names.coupons_named(conn, tenant.id,
                                                                   explanations)]),
        "stamp_cards": stamp_till.progress(priced.stamps),
        "cashback_minor": cashback.total_minor if cashback else 0,
        "reward": None if q.reward is None else RewardApplied(
            id=q.reward.id, title=q.reward.title, points=q.reward.points,
            discount_minor=q.reward.discount_minor,
            line_nos=tuple(i for i, d in enumerate(q.reward.discount_by_line, start=1) if d)),
    }


def explanation_text(explanation: Explanation, locale: str, currency: str) -> str:
    """An explanation's sentence in ``locale`` (remembered, see :func:`_rendered`)."""
    try:
        return _rendered(explanation, locale, currency)
    except TypeError:  # parameters that cannot be hashed: rendered afresh
        return render(explanation, locale=locale, currency=currency)


@lru_cache(maxsize=4096)
def _rendered(explanation: Explanation, locale: str, currency: str) -> str:
    """:func:`render`, remembered: a sentence depends on nothing else, and the same few recur
    on every receipt of a program (formatting amounts through Babel was a tenth of a
    quote)."""
    return render(explanation, locale=locale, currency=currency)
