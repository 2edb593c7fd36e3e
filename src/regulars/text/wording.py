"""Sentences for the reasons behind each figure, in the reader's language.

The engine returns :class:`~regulars.domain.checkout.quote.Explanation` values (a code and numbers);
this module turns them into text with Babel formatting money, numbers and percentages for the
locale. The English sentences below are the sources of the gettext catalogs
(``regulars/text/locales``), which hold every other language; a language without a catalog reads
English. A sentence with a counted noun (points, stamps) has a second English sentence for a count
of one (:data:`COUNTED`): the catalogs hold the pair as a plural message with every form of the
language, and the count chooses the form ("1 балл", "2 балла", "5 баллов").
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, format_decimal, get_currency_precision

from regulars.domain.checkout.quote import Explanation
from regulars.text import i18n

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "program_discount": "{level} level: {rate} off {basis} = {discount} discount.",
        "spend_limit": "Up to {max_points} points can be spent here: spendable balance "
                       "{spendable}, and points may pay at most {share} of the bill "
                       "(1 point = {point_value}).",
        "spend_limit_min_balance": "No points can be spent yet: spending starts at a balance "
                                   "of {min_balance_points} points, and the spendable balance is "
                                   "{spendable}.",
        "points_spent": "{points} points pay {money} of this bill.",
        "points_earned": "{level} level: {rate} of {basis} paid = {points} points "
                         "(1 point = {point_value}, rounded {rounding} per {scope}).",
        "earn_excluded": "No points on: {categories}.",
        "earn_after_points": "Points are earned on what is paid after points.",
        "no_earn_consent": "This member has opted out of earning points.",
        "anonymous": "No member on this receipt, so no points are earned.",
        "level_progress": "Level {level}: {to_next} more to reach {next_level} "
                          "({next_rate} back).",
        "level_reached": "This purchase reaches {next_level} ({next_rate} back from the next "
                         "one).",
        "level_top": "Level {level}, the highest.",
        "welcome": "Welcome bonus: {points} points.",
        "adjust": "Manual adjustment of {points} points: {reason}.",
        "merge": "{points} points moved in from member {source}.",
        "merge_wallet": "{amount} in the wallet moved in from member {source}.",
        "merge_goods": "The {product} account of member {source} moved in.",
        "merge_stamps": "{stamps} stamps of the card \u201c{card}\u201d moved in from member "
                        "{source}.",
        "expire": "{points} points expired.",
        "refund_returned": "{points} points spent on the returned goods came back.",
        "refund_reversed": "{points} points earned on the returned goods were taken back.",
        "refund_forgiven": "{points} of the points earned on the returned goods had already "
                           "expired, so they are not taken back again.",
        "void_returned": "Receipt voided: {points} spent points came back.",
        "void_reversed": "Receipt voided: {points} earned points were taken back.",
        "promotion_discount": "Promotion \u201c{promotion}\u201d, version "
                              "{version}: {discount} off.",
        "promotion_points": "Promotion \u201c{promotion}\u201d, version "
                            "{version}: {points} extra points.",
        "promotion_gift": "Promotion \u201c{promotion}\u201d, version "
                          "{version}: {gifts} \u00d7 {gift_sku} free as a gift.",
        "promotion_coupon": "Promotion \u201c{promotion}\u201d, version "
                            "{version}: you will receive a coupon \u201c{series}\u201d for your "
                            "next visit.",
        "promotion_cashback": "Promotion \u201c{promotion}\u201d, version "
                              "{version}: cashback {rate} of {basis} = {amount} into the "
                              "wallet.",
        "promotion_cashback_prepaid": "Promotions' cashback of {priced}, less the share of "
                                      "the money paid from the wallet or with prepaid goods: "
                                      "{amount} into the wallet.",
        "promotion_skipped_budget": "Promotion \u201c{promotion}\u201d, version {version}, "
                                    "did not apply: its budget is used up.",
        "promotion_skipped_member_cap": "Promotion \u201c{promotion}\u201d, version {version}, "
                                        "did not apply: this member has reached its limit.",
        "promotion_skipped_uses_per_day": "Promotion \u201c{promotion}\u201d, "
                                          "version {version}, did not apply: already used as "
                                          "often as allowed today.",
        "promotion_skipped_uses_per_period": "Promotion \u201c{promotion}\u201d, "
                                             "version {version}, did not apply: already used "
                                             "as often as allowed this period.",
        "promotion_skipped_members_only": "Promotion \u201c{promotion}\u201d, "
                                          "version {version}, is limited per member, so it "
                                          "needs a member on the receipt.",
        "promotion_skipped_bucket": "Promotion \u201c{promotion}\u201d, version {version}, "
                                    "did not apply: this month's promotions budget is used "
                                    "up.",
        "coupon_discount": "Coupon \u201c{series}\u201d: {discount} off.",
        "coupon_points": "Coupon \u201c{series}\u201d: {points} extra points.",
        "reward_claimed": "Reward \u201c{reward}\u201d for {points} points: {discount} off.",
        "reward_redeemed": "Reward \u201c{reward}\u201d, claimed ahead for {points} points: "
                           "{discount} off.",
        "reward_claimed_ahead": "Reward \u201c{reward}\u201d claimed ahead for {points} "
                                "points.",
        "reward_refunded": "Reward \u201c{reward}\u201d: its goods were returned, so the "
                           "points it cost came back.",
        "reward_expired": "Reward \u201c{reward}\u201d: its code was not used in time, so "
                          "the points it cost came back.",
        "referral_referrer": "Referral bonus: {points} points for inviting member "
                             "{member}.",
        "referral_referred": "Referral bonus: {points} points for joining by invitation.",
        "referral_chain": "Referral bonus, level {level}: {points} points for member "
                          "{member} joining through your invitations.",
        "referral_reversed": "{points} referral points taken back: the first purchase of "
                             "member {member} was returned.",
        "birthday": "Happy birthday! {points} bonus points.",
        "profile_reward": "{points} points for completing the profile.",
        "reward_event": "{points} points for \u201c{event_type}\u201d.",
        "stamp_reward": "Stamp card \u201c{card}\u201d complete ({per_card} stamps): "
                        "{discount} off.",
        "stamp_progress": "Stamp card \u201c{card}\u201d: {added} stamps added, {stamps} of "
                          "{per_card} now, rewards waiting for the next visit: {ready}.",
        "stamp_refund": "Stamp card \u201c{card}\u201d: {stamps} stamps of the returned "
                        "goods taken back.",
        "stamp_reward_undone": "Stamp card \u201c{card}\u201d: the free item came back, so "
                               "the {stamps} stamps it used are on the card again.",
        "cashback": "Cashback: {rate} of {basis} = {amount} into the wallet.",
        "cashback_prepaid": "The {prepaid} paid from the wallet or with prepaid goods is "
                            "not counted in the cashback.",
        "cashback_reversed": "{amount} of cashback on the returned goods was taken back "
                             "from the wallet.",
    },
}

COUNTED: dict[str, tuple[str, str]] = {
    # code: (the parameter that counts the sentence's noun, the sentence for a count of one);
    # the sentence in TEMPLATES is the plural.
    "spend_limit": ("max_points", "Up to {max_points} point can be spent here: spendable "
                    "balance {spendable}, and points may pay at most {share} of the bill "
                    "(1 point = {point_value})."),
    "spend_limit_min_balance": ("min_balance_points", "No points can be spent yet: "
                                "spending starts at a balance of {min_balance_points} point, "
                                "and the spendable balance is {spendable}."),
    "points_spent": ("points", "{points} point pays {money} of this bill."),
    "points_earned": ("points", "{level} level: {rate} of {basis} paid = {points} point "
                      "(1 point = {point_value}, rounded {rounding} per {scope})."),
    "welcome": ("points", "Welcome bonus: {points} point."),
    "adjust": ("points", "Manual adjustment of {points} point: {reason}."),
    "merge": ("points", "{points} point moved in from member {source}."),
    "merge_stamps": ("stamps", "{stamps} stamp of the card \u201c{card}\u201d moved in from "
                     "member {source}."),
    "expire": ("points", "{points} point expired."),
    "refund_returned": ("points", "{points} point spent on the returned goods came back."),
    "refund_reversed": ("points", "{points} point earned on the returned goods was taken "
                        "back."),
    "refund_forgiven": ("points", "{points} of the points earned on the returned goods had "
                        "already expired, so it is not taken back again."),
    "void_returned": ("points", "Receipt voided: {points} spent point came back."),
    "void_reversed": ("points", "Receipt voided: {points} earned point was taken back."),
    "promotion_points": ("points", "Promotion \u201c{promotion}\u201d, "
                         "version {version}: {points} extra point."),
    "coupon_points": ("points", "Coupon \u201c{series}\u201d: {points} extra point."),
    "reward_claimed": ("points", "Reward \u201c{reward}\u201d for {points} point: "
                       "{discount} off."),
    "reward_redeemed": ("points", "Reward \u201c{reward}\u201d, claimed ahead for "
                        "{points} point: {discount} off."),
    "reward_claimed_ahead": ("points", "Reward \u201c{reward}\u201d claimed ahead for "
                             "{points} point."),
    "referral_referrer": ("points", "Referral bonus: {points} point for inviting member "
                          "{member}."),
    "referral_referred": ("points", "Referral bonus: {points} point for joining by "
                          "invitation."),
    "referral_chain": ("points", "Referral bonus, level {level}: {points} point for member "
                       "{member} joining through your invitations."),
    "referral_reversed": ("points", "{points} referral point taken back: the first purchase "
                          "of member {member} was returned."),
    "birthday": ("points", "Happy birthday! {points} bonus point."),
    "profile_reward": ("points", "{points} point for completing the profile."),
    "reward_event": ("points", "{points} point for \u201c{event_type}\u201d."),
    "stamp_reward": ("per_card", "Stamp card \u201c{card}\u201d complete ({per_card} stamp): "
                     "{discount} off."),
    "stamp_progress": ("added", "Stamp card \u201c{card}\u201d: {added} stamp added, {stamps} "
                       "of {per_card} now, rewards waiting for the next visit: {ready}."),
    "stamp_refund": ("stamps", "Stamp card \u201c{card}\u201d: {stamps} stamp of the returned "
                     "goods taken back."),
    "stamp_reward_undone": ("stamps", "Stamp card \u201c{card}\u201d: the free item came back, "
                            "so the {stamps} stamp it used is on the card again."),
}

NAMED = {"source_id": "source", "member_id": "member", "reward_id": "reward",
         "series_id": "series"}
"""An id a sentence speaks of: the parameter that names it. The reader of a sentence knows the
member, reward or coupon series by name; the caller looks the name up
(:mod:`regulars.services.checkout.reason_names`), and only an id left with no name (an erased
member's) reads as ``#id``."""

WORDS = {
    "en": {"floor": "down", "half_up": "half up", "half_even": "half to even",
           "ceiling": "up", "receipt": "receipt", "line": "line"},
}


@lru_cache(maxsize=4096)
def money(amount_minor: int, currency: str, locale: str) -> str:
    digits = int(get_currency_precision(currency))
    return str(format_currency(Decimal(amount_minor).scaleb(-digits), currency, locale=locale))


@lru_cache(maxsize=1024)
def percent(rate_bp: int, locale: str) -> str:
    return str(format_decimal(Decimal(rate_bp).scaleb(-2), locale=locale)) + "\u00a0%"


def render(explanation: Explanation, *, locale: str, currency: str) -> str:
    return render_code(explanation.code, dict(explanation.params), locale=locale,
                       currency=currency)


def render_code(code: str, params: Mapping[str, int | str], *, locale: str,
                currency: str) -> str:
    language = i18n.language_of(locale) or "en"
    template = _template(_sentence(code, params), params, language)
    values: dict[str, str] = {}
    for name, value in params.items():
        if isinstance(value, str):
            word = WORDS["en"].get(value)
            values[name] = i18n.translate(language, word) if word else value
        elif name.endswith("_id") or name == "version":
            values[name] = str(value)  # an identifier, not a quantity: no digit grouping
        elif name.endswith("_minor"):
            values[name] = money(value, currency, locale)
        elif name.endswith("_bp"):
            values[name] = percent(value, locale)
        else:
            values[name] = str(format_decimal(value, locale=locale))
    aliases = {"rate": "rate_bp", "basis": "basis_minor", "discount": "discount_minor",
               "share": "share_bp", "point_value": "point_value_minor", "money": "money_minor",
               "to_next": "to_next_minor", "next_rate": "next_rate_bp",
               "spendable": "spendable_points", "amount": "amount_minor",
               "priced": "priced_minor", "prepaid": "prepaid_minor"}
    for alias, source in aliases.items():
        if source in values:
            values[alias] = values[source]
    for id_name, name in NAMED.items():
        if name not in values and id_name in values:
            values[name] = "#" + values[id_name]
    try:
        return template.format(**values)
    except KeyError:
        return TEMPLATES["en"].get(code, code).format_map(_Missing(values))


def _sentence(code: str, params: Mapping[str, int | str]) -> str:
    """The sentence that explains ``code`` with these figures: a limit of nothing because the
    balance is below the least one to start spending names that rule, not the share of the
    bill."""
    if code == "spend_limit" and params.get("max_points") == 0:
        spendable, least = params.get("spendable_points"), params.get("min_balance_points")
        if isinstance(spendable, int) and isinstance(least, int) and spendable < least:
            return "spend_limit_min_balance"
    return code


def _template(code: str, params: Mapping[str, int | str], language: str) -> str:
    """The sentence of ``code`` in ``language``; a counted one in the form its count takes
    (the magnitude's: a manual adjustment of -2 points reads as one of 2)."""
    source = TEMPLATES["en"].get(code) or code
    counted = COUNTED.get(code)
    count = params.get(counted[0]) if counted else None
    if counted is None or not isinstance(count, int):
        return i18n.translate(language, source)
    return i18n.translations(language).ngettext(counted[1], source, abs(count))


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"
