"""Bodies and answers of the prepaid goods routes (see :mod:`regulars.api.pos_schemas` for
the conventions of the ``…Out`` models). Quantities are thousandths of the product's unit."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from regulars.api.pos_schemas import Instant, Out, examples
from regulars.api.schemas import Id, MemberRefIn, Strict
from regulars.domain.stored_value.goods import (
    MAX_QUANTITY_MILLI,
    MAX_UNIT_CHARS,
    MAX_VALID_DAYS,
    PurchaseTerms,
)

Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY_MILLI)]

_ACCOUNT = {"id": 4, "product_id": 12, "sku": "A95", "product_name": "Petrol A-95",
            "unit": "l", "asset": "goods:12", "member_id": None, "card_ending": "7K2M",
            "status": "active", "balance_milli": 100000,
            "created_at": "2026-03-01T12:00:00+00:00"}


class GoodsAccountIn(Strict):
    """A goods account of ``product_id`` for ``member``, or without one a bearer card (a
    fleet card) whose number the answer shows once. ``unit`` (``l``, ``cup``, ``visit``) is
    needed the first time a product is sold as goods."""

    model_config = examples({"product_id": 12, "unit": "l"},
                            {"product_id": 7, "member": {"phone": "+7 916 123-45-67"}})

    product_id: Id
    unit: Annotated[str, Field(min_length=1, max_length=MAX_UNIT_CHARS)] | None = None
    member: MemberRefIn | None = None


class GoodsTopUpIn(Strict):
    """Units bought in advance: ``quantity_milli`` (thousandths: 100 000 is 100 l) for
    ``paid_minor``; ``lock_price`` keeps the unit price of the day with the purchase;
    ``valid_days``: the units bought expire that many days later (left out: never)."""

    model_config = examples({"quantity_milli": 100000, "paid_minor": 550000,
                             "lock_price": True},
                            {"quantity_milli": 10000, "paid_minor": 3400,
                             "valid_days": 90})

    quantity_milli: Quantity
    paid_minor: Annotated[int, Field(ge=0, le=10 ** 12)]
    lock_price: bool = False
    valid_days: Annotated[int, Field(ge=1, le=MAX_VALID_DAYS)] | None = None

    def to_terms(self) -> PurchaseTerms:
        return PurchaseTerms(quantity_milli=self.quantity_milli, paid_minor=self.paid_minor,
                             lock_price=self.lock_price, valid_days=self.valid_days)


class GoodsCardIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="the card's number as printed (case, dashes and spaces do not matter)")


class GoodsAccountOut(Out):
    """A goods account: a member's, or a bearer card's (only its number's last four
    characters)."""

    model_config = examples(_ACCOUNT)

    id: int
    product_id: int
    sku: str
    product_name: str
    unit: str
    asset: str
    member_id: int | None
    card_ending: str | None
    status: str
    balance_milli: int
    created_at: Instant


class GoodsOpenedOut(Out):
    """A goods account just opened; a bearer card's number, shown in this answer only."""

    model_config = examples({"account": _ACCOUNT, "card_number": "7Q2D-M0XA-4HBT-7K2M"})

    account: GoodsAccountOut
    card_number: str | None


class GoodsTopUpOut(Out):
    model_config = examples({"account_id": 4, "quantity_milli": 100000, "paid_minor": 550000,
                             "unit_price_minor": 5500, "balance_milli": 100000,
                             "entry_id": 91})

    account_id: int
    quantity_milli: int
    paid_minor: int
    unit_price_minor: int | None
    balance_milli: int
    entry_id: int


class GoodsLineOut(Out):
    entry_id: int
    code: str
    quantity_milli: int
    receipt_id: int | None
    occurred_at: Instant
    paid_minor: int | None
    unit_price_minor: int | None


class GoodsHistoryOut(Out):
    """A goods account and its latest movements (top-ups with what was paid, tenders,
    refunds), newest first."""

    model_config = examples({"account": _ACCOUNT, "lines": [
        {"entry_id": 91, "code": "top_up", "quantity_milli": 100000, "receipt_id": None,
         "occurred_at": "2026-03-01T12:00:00+00:00", "paid_minor": 550000,
         "unit_price_minor": 5500}]})

    account: GoodsAccountOut
    lines: list[GoodsLineOut]


class GoodsLiabilityOut(Out):
    """What the business owes in one goods asset: the units held and their value at the
    average price paid; the units expired unused (breakage, income) and their value at the
    same price."""

    model_config = examples({"asset": "goods:12", "sku": "A95", "unit": "l", "accounts": 3,
                             "balance_milli": 240000, "value_minor": 1320000,
                             "expired_milli": 5000, "expired_minor": 27500})

    asset: str
    sku: str
    unit: str
    accounts: int
    balance_milli: int
    value_minor: int
    expired_milli: int
    expired_minor: int
