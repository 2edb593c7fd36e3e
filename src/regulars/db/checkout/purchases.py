"""Which receipts the figures count as purchases (visits), as a condition of a query."""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

from regulars.db.checkout.tables import receipts
from regulars.domain.analytics.days import SOLD


def purchased() -> ColumnElement[bool]:
    """The receipts the figures count as purchases: sold, with a basket
    (:func:`regulars.domain.analytics.days.is_purchase`); a receipt that only sold gift cards
    or prepaid goods is none."""
    return and_(receipts.c.status.in_(SOLD), receipts.c.gross_minor > 0)
