"""The prepaid goods top-up form as the till's and the console's pages read it: the account
(its number as listed, or a bearer card's printed number), the units bought in the
product's unit, what was paid, the price of the day locked or not, and a validity in days.
Errors name the service's fields (``account``, ``quantity_milli``, ``paid_minor``,
``valid_days``), which the templates show beside the form's."""

from __future__ import annotations

from typing import Any

from regulars.domain.stored_value.goods import MAX_VALID_DAYS, PurchaseTerms
from regulars.errors import InvalidInput
from regulars.services.runtime import Runtime
from regulars.services.stored_value import goods
from regulars.web.forms import parse_money

TOP_UP_FIELDS = ("account", "quantity", "paid", "lock_price", "valid_days", "key")


def account_id(runtime: Runtime, tenant_id: int, text: str) -> int:
    """An account number as listed (``#12`` or ``12``), or a card's printed number (field
    ``account``)."""
    text = text.replace("#", "")
    if text.isdigit():
        return int(text)
    if not text:
        raise InvalidInput("enter the card number or the account number", field="account")
    return goods.look_up(runtime, tenant_id, text).id


def _days(text: str) -> int | None:
    """The validity typed in days (empty: never expires). Raises :class:`InvalidInput`."""
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("a validity is 1 to %(most)s days", field="valid_days",
                           params={"most": MAX_VALID_DAYS})
    return int(text)


def purchase_terms(values: dict[str, str], *, minor_digits: int) -> PurchaseTerms:
    """The purchase the form describes. Raises :class:`InvalidInput` naming the field."""
    return PurchaseTerms(
        quantity_milli=parse_money(values["quantity"], digits=3, field="quantity_milli"),
        paid_minor=parse_money(values["paid"], digits=minor_digits, field="paid_minor"),
        lock_price=bool(values["lock_price"]), valid_days=_days(values["valid_days"]))


def replay_payload(values: dict[str, str], terms: PurchaseTerms) -> dict[str, Any]:
    """What the form's key is bound to: sent again with other values, it is refused."""
    return {"quantity": values["quantity"], "paid": values["paid"],
            "lock_price": terms.lock_price, "valid_days": terms.valid_days}
