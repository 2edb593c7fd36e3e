"""Cashback: a share of a member's purchase returned as money into their wallet, by the
program's rule (:attr:`~regulars.domain.program.program.Program.cashback_rate_bp`); pure.

The basis is the money paid on the receipt's lines after every discount and points, or the
program's earning basis, less the excluded categories, less the money the receipt took from
the member's wallet or settled with prepaid goods (that money was paid before: cashback on it
would return a share of the same money twice, and a wallet would feed itself); the amount is
``basis × rate / 10 000`` rounded once per receipt by the program's cashback rounding. A
refund takes back the share of the money it pays back, cumulatively
(``prorate(cashback, refunded after, paid) - prorate(cashback, refunded before, paid)``), so
refunds that end with the whole receipt take back exactly the cashback, once.

A promotion may give cashback too (the ``cashback`` effect of
:mod:`regulars.domain.promotions.effects`, priced with the promotion): it joins the program's
in the same wallet entry, each promotion's less its share of the money taken from the wallet
or settled with prepaid goods (``prorate(priced, paid - prepaid, paid)``, for the same
reason), and is taken back in proportion with it. What counts in a promotion's budget is what
the wallet got of it, as for the program's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from regulars.domain.checkout.quote import Explanation, Quote, QuoteLine
from regulars.domain.money import apply_rate, prorate
from regulars.domain.program.program import CashbackBasis, Program


@dataclass(frozen=True, kw_only=True)
class Cashback:
    """A receipt's cashback: the program's (``amount_minor``, ``rate_bp`` of
    ``basis_minor``) and the promotions' (``promotion_minor``, after the prepaid share)."""

    rate_bp: int
    basis_minor: int
    amount_minor: int
    promotion_minor: int = 0
    promotion_priced_minor: int = 0  # the promotions' cashback before the prepaid share
    prepaid_minor: int = 0  # what the program's basis left out, paid from the wallet or goods

    @property
    def total_minor(self) -> int:
        return self.amount_minor + self.promotion_minor

    def explanations(self) -> tuple[Explanation, ...]:
        """The program's rule, if it gave any (and the prepaid money its basis left out),
        and what the prepaid money took off the promotions' cashback, if anything (each
        promotion explains its own)."""
        found: list[Explanation] = []
        if self.rate_bp:
            found.append(Explanation(code="cashback", params=(
                ("rate_bp", self.rate_bp), ("basis_minor", self.basis_minor),
                ("amount_minor", self.amount_minor))))
            if self.prepaid_minor:
                found.append(Explanation(code="cashback_prepaid", params=(
                    ("prepaid_minor", self.prepaid_minor),)))
        if self.promotion_minor != self.promotion_priced_minor:
            found.append(Explanation(code="promotion_cashback_prepaid", params=(
                ("priced_minor", self.promotion_priced_minor),
                ("amount_minor", self.promotion_minor))))
        return tuple(found)


def promotion_share(priced_minor: int, *, paid_minor: int, prepaid_minor: int) -> int:
    """What a promotion's ``priced_minor`` cashback leaves after its share of the
    ``prepaid_minor`` of the receipt's ``paid_minor`` (nothing when nothing was paid)."""
    if priced_minor <= 0 or paid_minor <= 0:
        return 0
    return prorate(priced_minor, max(0, paid_minor - prepaid_minor), paid_minor)


def promotion_shares(quote: Quote, *, prepaid_minor: int) -> dict[int, int]:
    """Each promotion's cashback on ``quote`` after its share of ``prepaid_minor`` (by
    promotion id; those that give none left out): what the wallet gets of each, and what
    counts in its budget."""
    return {p.id: promotion_share(p.cashback_minor, paid_minor=quote.paid_minor,
                                  prepaid_minor=prepaid_minor)
            for p in quote.promotions if p.cashback_minor}


def cashback_of(program: Program, lines: Sequence[QuoteLine], *,
                prepaid_minor: int = 0) -> Cashback | None:
    """The cashback a member gets on these priced lines by the program's rule, of which
    ``prepaid_minor`` was paid from the wallet or by goods accounts (``None``: the program
    gives none)."""
    if not program.cashback_rate_bp:
        return None
    basis = sum(line.earn_basis_minor if program.cashback_basis is CashbackBasis.EARN_BASIS
                else line.paid_minor
                for line in lines if line.category not in program.cashback_excluded_categories)
    left_out = min(basis, max(0, prepaid_minor))
    basis -= left_out
    return Cashback(rate_bp=program.cashback_rate_bp, basis_minor=basis, prepaid_minor=left_out,
                    amount_minor=apply_rate(basis, program.cashback_rate_bp,
                                            program.cashback_rounding))


def of_member_sale(program: Program, quote: Quote, *,
                   prepaid_minor: int = 0) -> Cashback | None:
    """The cashback a member's priced sale gives by the program's rule and its promotions
    (``None`` when neither gives any), less the share of ``prepaid_minor`` paid from the
    wallet or by goods accounts: what the till credits, and what a replay counts."""
    found = cashback_of(program, quote.lines, prepaid_minor=prepaid_minor)
    priced = sum([p.cashback_minor for p in quote.promotions])
    if priced:
        found = replace(found or Cashback(rate_bp=0, basis_minor=0, amount_minor=0),
                        promotion_priced_minor=priced,
                        promotion_minor=sum(promotion_shares(
                            quote, prepaid_minor=prepaid_minor).values()))
    return found if found is not None and found.total_minor > 0 else None


def cashback_back(amount_minor: int, *, paid_minor: int, refunded_before: int,
                  refunded_after: int) -> int:
    """What a refund taking the receipt's refunded money from ``refunded_before`` to
    ``refunded_after`` (of ``paid_minor``) takes back of ``amount_minor`` cashback."""
    if paid_minor <= 0:
        return 0
    return (prorate(amount_minor, min(refunded_after, paid_minor), paid_minor)
            - prorate(amount_minor, min(refunded_before, paid_minor), paid_minor))
