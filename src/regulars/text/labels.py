"""Words for the codes the pages show: a receipt's status, an effect's kind and options, a
segment rule's kind, stacking, a promotion's status, consent, a role, an audit trail's action.
A page shows ``label(group, code)``, never the code itself.

:data:`CODES` lists every code each group can hold, taken from the domain's registries where
it has one, so that ``regulars i18n check`` (and the catalog test) fails when a code that can
reach a page has no label here (:func:`missing`); the labels themselves are gettext messages,
translated in the catalogs like any other.
"""

from __future__ import annotations

from dataclasses import fields

from regulars.domain.analytics.experiments import Verdict as ExperimentVerdict
from regulars.domain.imports.fields import FIELDS, Kind
from regulars.domain.promotions.effects import STRATEGIES
from regulars.domain.promotions.promotions import Stacking
from regulars.domain.promotions.segments import RFM_GROUPS, RULES
from regulars.domain.rewards.catalog import RewardKind
from regulars.domain.stamps.cards import GrantAt, Reward
from regulars.domain.stored_value.certificates import TenderKind
from regulars.text import i18n
from regulars.text.i18n import N_

CODES: dict[str, tuple[str, ...]] = {
    "receipt_status": ("committed", "partially_refunded", "refunded", "voided"),
    "refund_kind": ("refund", "void"),
    "promotion_status": ("active", "paused", "archived"),
    "stacking": tuple(s.value for s in Stacking),
    "effect": tuple(STRATEGIES),
    "effect_option": tuple(sorted({f.name for cls, _ in STRATEGIES.values()
                                   for f in fields(cls)})),
    "segment_rule": tuple(RULES),
    "rfm_group": tuple(sorted(RFM_GROUPS)),
    "consent": ("full", "earn_only", "none"),
    "role": ("owner", "marketer", "analyst", "cashier"),
    "uplift_verdict": ("too_small", "unclear", "up", "down"),
    "uplift_window": ("campaign", "follow_up"),
    "experiment_status": ("running", "stopped"),
    "experiment_verdict": tuple(v.value for v in ExperimentVerdict),
    "stamp_reward": tuple(r.value for r in Reward),
    "stamp_grant": tuple(g.value for g in GrantAt),
    "goods_entry": ("top_up", "tender", "refund_tender", "void"),
    "goods_status": ("active", "blocked"),
    "certificate_entry": ("issue", "tender", "refund_tender", "void", "expire", "deactivate"),
    "wallet_entry": ("top_up", "tender", "refund_tender", "void", "cashback", "refund_cashback",
                     "merge_wallet"),
    "tender_kind": tuple(k.value for k in TenderKind),
    "reward_kind": tuple(k.value for k in RewardKind),
    "claim_status": ("claimed", "used", "expired", "refunded"),
    "import_kind": tuple(k.value for k in Kind),
    "import_format": ("text", "xlsx"),
    "import_field": tuple(dict.fromkeys(f for kind in Kind for f in FIELDS[kind])),
}

LABELS: dict[str, dict[str, str]] = {
    "receipt_status": {"committed": N_("paid"), "partially_refunded": N_("partly refunded"),
                       "refunded": N_("refunded"), "voided": N_("voided")},
    "refund_kind": {"refund": N_("refund"), "void": N_("void")},
    "promotion_status": {"active": N_("running"), "paused": N_("paused"),
                         "archived": N_("archived")},
    "stacking": {"stackable": N_("stacks with others"),
                 "best_of": N_("best of the competing ones"), "exclusive": N_("exclusive")},
    "effect": {
        "percent_discount": N_("percent off"), "fixed_discount": N_("fixed amount off"),
        "set_price": N_("a set unit price"), "bonus_points": N_("bonus points"),
        "points_percent": N_("points as a percent of the amount"),
        "points_multiplier": N_("multiplied points"),
        "cheapest_free": N_("every n-th item free"), "volume_steps": N_("volume discount"),
        "gift_with_purchase": N_("a gift with a purchase"),
        "issue_coupon": N_("a coupon for the next visit"),
        "cashback": N_("cashback into the wallet")},
    "effect_option": {
        "amount_minor": N_("amount"), "basis": N_("basis"), "buy_milli": N_("quantity to buy"),
        "max_minor": N_("most per receipt"), "rounding": N_("rounding"),
        "categories": N_("categories"), "every_n": N_("every n-th"),
        "factor_percent": N_("factor"), "gift_sku": N_("gift"), "max_gifts": N_("most gifts"),
        "points": N_("points"), "rate_bp": N_("rate"), "series_id": N_("coupon series"),
        "skus": N_("products"), "steps": N_("steps"), "unit_price_minor": N_("unit price")},
    "segment_rule": {
        "recency": N_("last visit"), "frequency": N_("number of visits"),
        "spend": N_("amount spent"), "store_share": N_("share of one store"),
        "tags": N_("tags"), "profile": N_("profile field"), "birthday": N_("birthday known"),
        "consent": N_("consent"), "level": N_("level"), "rfm": N_("RFM group")},
    "rfm_group": {
        "champions": N_("Champions"), "loyal": N_("Loyal"),
        "potential_loyalist": N_("Potential loyalists"), "new": N_("New"),
        "promising": N_("Promising"), "need_attention": N_("Need attention"),
        "about_to_sleep": N_("About to sleep"), "at_risk": N_("At risk"),
        "cannot_lose": N_("Cannot lose them"), "hibernating": N_("Hibernating"),
        "lost": N_("Lost")},
    "consent": {"full": N_("earns points and gets offers"), "earn_only": N_("earns points only"),
                "none": N_("no consent")},
    "uplift_verdict": {"too_small": N_("too few members to tell"),
                       "unclear": N_("no clear difference"), "up": N_("higher, clearly"),
                       "down": N_("lower, clearly")},
    "uplift_window": {"campaign": N_("during the campaign"),
                      "follow_up": N_("after the campaign")},
    "experiment_status": {"running": N_("running"), "stopped": N_("stopped")},
    "experiment_verdict": {"winner": N_("a winner is clear"),
                           "no_winner_yet": N_("no winner yet"),
                           "no_best_yet": N_("no best variant yet: some beat the first, none "
                                             "beats all the others"),
                           "too_small": N_("too few members to tell")},
    "role": {"owner": N_("owner"), "marketer": N_("marketer"), "analyst": N_("analyst"),
             "cashier": N_("cashier")},
    "stamp_reward": {"free_item": N_("the cheapest qualifying item free"),
                     "discount": N_("a fixed discount")},
    "stamp_grant": {"completing": N_("at the purchase that completes the card"),
                    "next": N_("at the next purchase")},
    "goods_entry": {"top_up": N_("bought in advance"), "tender": N_("taken at the till"),
                    "refund_tender": N_("given back by a refund"),
                    "void": N_("given back by a void")},
    "goods_status": {"active": N_("active"), "blocked": N_("blocked")},
    "certificate_entry": {"issue": N_("Loaded onto the card"),
                          "tender": N_("Paid with the card"),
                          "refund_tender": N_("Refund onto the card"),
                          "void": N_("Cancelled receipt"), "expire": N_("Expired unused"),
                          "deactivate": N_("Card taken back")},
    "wallet_entry": {"top_up": N_("Top-up"), "tender": N_("Paid from the wallet"),
                     "refund_tender": N_("Refund into the wallet"),
                     "void": N_("Cancelled receipt"), "cashback": N_("Cashback"),
                     "refund_cashback": N_("Cashback taken back"),
                     "merge_wallet": N_("Accounts merged")},
    "tender_kind": {"certificate": N_("gift card"), "wallet": N_("wallet"),
                    "goods": N_("prepaid goods")},
    "reward_kind": {"product": N_("a product free"), "fixed": N_("an amount off"),
                    "percent": N_("a percentage off"), "perk": N_("a perk (no basket line)")},
    "claim_status": {"claimed": N_("claimed, not used yet"), "used": N_("used"),
                     "expired": N_("expired"), "refunded": N_("refunded")},
    "audit_action": {
        "audit.export": N_("exported the audit trail"),
        "budget.split": N_("changed the budget split"),
        "campaign.cancel": N_("cancelled a campaign"),
        "campaign.create": N_("created a campaign"),
        "certificate.block": N_("blocked a gift card"),
        "coupon_codes.generate": N_("generated coupon codes"),
        "coupon_series.create": N_("created a coupon series"),
        "certificate.issue": N_("issued gift cards"),
        "certificate.relink": N_("gave a gift card a new balance page link"),
        "certificate.sell": N_("sold a gift card at the till"),
        "certificate.unblock": N_("unblocked a gift card"),
        "certificate_series.change": N_("changed a gift card series"),
        "certificate_series.open": N_("opened a gift card series"),
        "experiment.start": N_("started an experiment"),
        "experiment.stop": N_("stopped an experiment"),
        "export.ledger": N_("exported the points ledger"),
        "export.members": N_("exported the members"),
        "export.receipts": N_("exported the receipts"),
        "faq.add": N_("added a question"), "faq.change": N_("changed a question"),
        "faq.delete": N_("deleted a question"), "faq.move": N_("moved a question"),
        "feedback.answer": N_("answered feedback"),
        "goods.block": N_("blocked a prepaid goods account"),
        "goods.open": N_("opened a prepaid goods account"),
        "goods.top_up": N_("topped up prepaid goods"),
        "goods.unblock": N_("unblocked a prepaid goods account"),
        "holdout.set": N_("set the holdout share"),
        "import.members": N_("imported members"), "import.receipts": N_("imported receipts"),
        "import.products": N_("imported products"),
        "key.create": N_("created an API key"), "key.revoke": N_("revoked an API key"),
        "member.erase": N_("erased a member's data"),
        "member.export": N_("exported a member's data"),
        "passes.apple": N_("changed the Apple Wallet settings"),
        "passes.google": N_("changed the Google Wallet settings"),
        "points.adjust": N_("adjusted points by hand"),
        "product.activate": N_("put a product back on sale"),
        "product.create": N_("added a product"), "product.update": N_("changed a product"),
        "product.deactivate": N_("took a product off sale"),
        "program.version": N_("saved a program version"),
        "promotion.archive": N_("archived a promotion"),
        "promotion.create": N_("created a promotion"),
        "promotion.pause": N_("paused a promotion"),
        "promotion.resume": N_("resumed a promotion"),
        "promotion.version": N_("saved a promotion version"),
        "receipt.refund": N_("refunded a receipt"), "receipt.void": N_("voided a receipt"),
        "reward.activate": N_("turned a reward on"), "reward.create": N_("created a reward"),
        "reward.deactivate": N_("turned a reward off"),
        "reward.update": N_("changed a reward"),
        "scenario.create": N_("created a scenario"),
        "scenario.delete": N_("deleted a scenario"),
        "scenario.update": N_("changed a scenario"),
        "settings.business": N_("changed the business settings"),
        "settings.fraud": N_("changed the fraud thresholds"),
        "settings.logo": N_("changed the logo"),
        "settings.messages": N_("changed the message settings"),
        "settings.retention": N_("changed how long data is kept"),
        "settings.rewards": N_("changed the reward settings"),
        "settings.till_policy": N_("changed the till policy"),
        "staff.create": N_("added a staff member"),
        "staff.deactivate": N_("took a staff member's access away"),
        "staff.invite": N_("made a staff member a set-password link"),
        "staff.password": N_("set a staff member's password"),
        "staff.pin": N_("set a staff member's PIN"),
        "staff.role": N_("changed a staff member's role"),
        "staff.update": N_("changed a staff member's name or store"),
        "stamp_card.create": N_("created a stamp card"),
        "stamp_card.update": N_("changed a stamp card"),
        "store.create": N_("added a store"), "store.update": N_("renamed a store"),
        "template.reset": N_("reset a message template"),
        "template.save": N_("saved a message template"),
        "till.create": N_("added a till"), "till.key": N_("gave a till a new key"),
        "till.revoke": N_("took a till out of use")},
    "import_kind": {"receipts": N_("receipts"), "members": N_("members")},
    "import_format": {"text": N_("text (values separated by a delimiter)"),
                      "xlsx": N_("an Excel workbook")},
    "import_field": {
        "external_id": N_("your customer number"), "phone": N_("phone number"),
        "card": N_("card number"), "date": N_("date"), "amount": N_("amount"),
        "quantity": N_("number of items"), "receipt": N_("receipt number"),
        "store": N_("store code"), "first_name": N_("first name"),
        "last_name": N_("last name"), "email": N_("e-mail"), "birthday": N_("birthday")},
}


def label(language: str, group: str, code: object) -> str:
    """The words for ``code`` of ``group`` in ``language``; a code with no label shows as
    itself (and :func:`missing` reports it)."""
    english = LABELS.get(group, {}).get(str(code))
    return i18n.translate(language, english) if english else str(code)


def missing() -> list[str]:
    """Every code that can reach a page and has no label: ``"group: code"``."""
    return [f"{group}: {code}" for group, codes in CODES.items() for code in codes
            if code not in LABELS.get(group, {})]
