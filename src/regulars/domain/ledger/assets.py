"""What the ledger counts: assets.

An asset has a kind (points; money in the tenant's currency; goods: units of a product, such
as litres or cups of a prepaid goods account; the stamps of one stamp card), the unit its
integer amounts are in, and its own system accounts per tenant. Every amount is an integer of
the asset's unit (points, minor units of the currency, thousandths of a litre, stamps). Assets
never mix: an entry's postings are all of one asset, and each (tenant, asset) sums to zero on
its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from regulars.domain.ledger.ledger import SystemAccount


class AssetKind(StrEnum):
    POINTS = "points"
    MONEY = "money"
    GOODS = "goods"
    STAMPS = "stamps"


@dataclass(frozen=True, kw_only=True)
class Asset:
    """An asset as the ledger stores it: ``code`` is the value of the accounts' ``asset``
    column, unique per tenant (``points``, ``money:EUR``, ``goods:17``)."""

    code: str
    kind: AssetKind
    unit: str
    system_accounts: tuple[SystemAccount, ...] = tuple(SystemAccount)

    def __post_init__(self) -> None:
        if not self.code or len(self.code) > 20:
            raise ValueError("an asset code has 1 to 20 characters")
        if (self.kind is AssetKind.POINTS) != (self.code == "points"):
            raise ValueError("the points asset, and only it, has the code 'points'")


POINTS = Asset(code="points", kind=AssetKind.POINTS, unit="point")


def money(currency: str) -> Asset:
    """Money in ``currency`` (ISO 4217), counted in its minor units."""
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ValueError("a currency is three capital letters")
    return Asset(code=f"money:{currency}", kind=AssetKind.MONEY, unit=f"{currency} minor")


def goods(product: str, unit: str) -> Asset:
    """Units of a product, counted in thousandths as basket lines are (``goods("17", "l")``
    for the product of id 17 sold by the litre: 1 000 is one litre). The code names the
    product by its id, which stays short and never changes."""
    if not product or not unit:
        raise ValueError("goods need a product and a unit")
    return Asset(code=f"goods:{product}", kind=AssetKind.GOODS, unit=unit)


def stamps(card_id: int) -> Asset:
    """The stamps of one stamp card (``stamps:12``), counted in whole stamps."""
    if card_id <= 0:
        raise ValueError("a stamp card id is positive")
    return Asset(code=f"stamps:{card_id}", kind=AssetKind.STAMPS, unit="stamp")


class MixedAssets(ValueError):
    """An entry's postings name accounts of another asset (or another tenant)."""
