"""The program's terms in plain language: what a member earns, how levels work, what points
are worth, when they expire.

:func:`terms` is pure: from a :class:`~regulars.domain.program.program.Program` it returns sentences
as
English source messages with ``%(name)s`` placeholders and typed values. The edge translates
each message into the reader's language and formats each value (money, percentages, numbers)
for the reader's locale, so no sentence is ever built by concatenation.
"""

from __future__ import annotations

from dataclasses import dataclass

from regulars.domain.money import BASIS_POINTS, Rounding
from regulars.domain.program.program import (
    DowngradePolicy,
    EarnMode,
    Level,
    LevelWindow,
    Program,
    RoundingScope,
)


@dataclass(frozen=True)
class Money:
    """An amount in the tenant's currency, in minor units."""

    amount_minor: int


@dataclass(frozen=True)
class Percent:
    rate_bp: int


Param = Money | Percent | int | str
"""A value in a sentence: money, a percentage, a whole number (points, days) or text."""


@dataclass(frozen=True, kw_only=True)
class Term:
    """One sentence. With ``plural``, the sentence has singular and plural forms chosen by
    the whole number named ``count``."""

    message: str
    params: tuple[tuple[str, Param], ...] = ()
    plural: str | None = None
    count: str | None = None

    def param(self, name: str) -> Param:
        return dict(self.params)[name]


_FIRST_LEVEL = {
    EarnMode.POINTS: "At the %(level)s level you earn %(rate)s of each purchase back in points.",
    EarnMode.DISCOUNT: "At the %(level)s level you get %(rate)s off each purchase.",
}
_ONLY_LEVEL = {
    EarnMode.POINTS: "You earn %(rate)s of each purchase back in points.",
    EarnMode.DISCOUNT: "You get %(rate)s off each purchase.",
}
_NEXT_LEVEL = {
    (EarnMode.POINTS, LevelWindow.LIFETIME):
        "Spend %(threshold)s in total to reach the %(level)s level: %(rate)s back in points.",
    (EarnMode.POINTS, LevelWindow.ROLLING_12_MONTHS):
        "Spend %(threshold)s within 12 months to reach the %(level)s level: %(rate)s back "
        "in points.",
    (EarnMode.POINTS, LevelWindow.CALENDAR_YEAR):
        "Spend %(threshold)s in a calendar year to reach the %(level)s level: %(rate)s back "
        "in points.",
    (EarnMode.DISCOUNT, LevelWindow.LIFETIME):
        "Spend %(threshold)s in total to reach the %(level)s level: %(rate)s off.",
    (EarnMode.DISCOUNT, LevelWindow.ROLLING_12_MONTHS):
        "Spend %(threshold)s within 12 months to reach the %(level)s level: %(rate)s off.",
    (EarnMode.DISCOUNT, LevelWindow.CALENDAR_YEAR):
        "Spend %(threshold)s in a calendar year to reach the %(level)s level: %(rate)s off.",
}
_ROUNDING = {
    (Rounding.FLOOR, RoundingScope.RECEIPT): "Points are rounded down on each receipt.",
    (Rounding.FLOOR, RoundingScope.LINE): "Points are rounded down on each line of a receipt.",
    (Rounding.HALF_UP, RoundingScope.RECEIPT): "Points are rounded to the nearest whole point "
                                               "on each receipt (halves up).",
    (Rounding.HALF_UP, RoundingScope.LINE): "Points are rounded to the nearest whole point on "
                                            "each line of a receipt (halves up).",
    (Rounding.HALF_EVEN, RoundingScope.RECEIPT): "Points are rounded to the nearest whole "
                                                 "point on each receipt (halves to even).",
    (Rounding.HALF_EVEN, RoundingScope.LINE): "Points are rounded to the nearest whole point "
                                              "on each line of a receipt (halves to even).",
    (Rounding.CEILING, RoundingScope.RECEIPT): "Points are rounded up on each receipt.",
    (Rounding.CEILING, RoundingScope.LINE): "Points are rounded up on each line of a receipt.",
}


def terms(program: Program) -> list[Term]:
    """The program's terms, in the order a member reads them."""
    out = _earning(program)
    if program.earn_mode is EarnMode.POINTS:
        out += _spending(program)
        out += _expiry(program)
        if program.welcome_bonus_points:
            out.append(Term(message="New members get %(points)s point as a welcome bonus.",
                            plural="New members get %(points)s points as a welcome bonus.",
                            count="points",
                            params=(("points", program.welcome_bonus_points),)))
        out.append(Term(message=_ROUNDING[(program.rounding, program.rounding_scope)]))
    return out


def _level_params(level: Level) -> tuple[tuple[str, Param], ...]:
    return (("level", level.name), ("rate", Percent(level.rate_bp)),
            ("threshold", Money(level.threshold_minor)))


def _earning(program: Program) -> list[Term]:
    mode = program.earn_mode
    first, *higher = program.levels
    if not higher:
        out = [Term(message=_ONLY_LEVEL[mode], params=(("rate", Percent(first.rate_bp)),))]
    else:
        out = [Term(message=_FIRST_LEVEL[mode], params=_level_params(first))]
        out += [Term(message=_NEXT_LEVEL[(mode, program.level_window)],
                     params=_level_params(level)) for level in higher]
        out += _keeping(program)
    if program.earn_excluded_categories:
        message = ("No points are earned on: %(categories)s." if mode is EarnMode.POINTS
                   else "No discount on: %(categories)s.")
        out.append(Term(message=message, params=(
            ("categories", ", ".join(sorted(program.earn_excluded_categories))),)))
    return out


def _keeping(program: Program) -> list[Term]:
    if program.downgrade_policy is DowngradePolicy.NEVER:
        return [Term(message="A level, once reached, is kept for good.")]
    if program.level_window is LevelWindow.ROLLING_12_MONTHS:
        return [Term(message="A level lasts while your spend over the last 12 months "
                             "holds it.")]
    if program.level_window is LevelWindow.CALENDAR_YEAR:
        return [Term(message="A level reached in a calendar year is kept to the end of the "
                             "next one.")]
    return []  # lifetime spend never falls: a level is never lost


def _spending(program: Program) -> list[Term]:
    out = [Term(message="1 point = %(value)s.",
                params=(("value", Money(program.point_value_minor)),))]
    share = program.redeem_share_max_bp
    if share == 0:
        return out + [Term(message="Points cannot be used to pay.")]
    if share >= BASIS_POINTS:
        out.append(Term(message="Points can pay a whole bill."))
    else:
        out.append(Term(message="Points can pay up to %(share)s of a bill.",
                        params=(("share", Percent(share)),)))
    if program.redeem_min_balance_points > 1:
        out.append(Term(message="Points can be spent once you have at least %(points)s.",
                        params=(("points", program.redeem_min_balance_points),)))
    if program.redeem_excluded_categories:
        out.append(Term(message="Points cannot pay for: %(categories)s.", params=(
            ("categories", ", ".join(sorted(program.redeem_excluded_categories))),)))
    if program.otp_above_points == 0:
        out.append(Term(message="Spending points needs a one-time code sent to your phone."))
    elif program.otp_above_points is not None:
        out.append(Term(
            message="Spending more than %(points)s point on one receipt needs a one-time code "
                    "sent to your phone.",
            plural="Spending more than %(points)s points on one receipt needs a one-time code "
                   "sent to your phone.",
            count="points", params=(("points", program.otp_above_points),)))
    return out


def _expiry(program: Program) -> list[Term]:
    out: list[Term] = []
    if program.pending_days:
        out.append(Term(
            message="Points become spendable %(days)s day after the purchase.",
            plural="Points become spendable %(days)s days after the purchase.",
            count="days", params=(("days", program.pending_days),)))
    if program.expire_after_days is None:
        out.append(Term(message="Points never expire."))
    else:
        out.append(Term(
            message="Points expire %(days)s day after they are earned; the soonest-expiring "
                    "are spent first.",
            plural="Points expire %(days)s days after they are earned; the soonest-expiring "
                   "are spent first.",
            count="days", params=(("days", program.expire_after_days),)))
    return out
