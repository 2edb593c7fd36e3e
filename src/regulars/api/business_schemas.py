"""Requests and answers of ``/v1/admin/business`` (see :mod:`regulars.api.pos_schemas` for
the conventions)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from regulars.api.pos_schemas import Instant, Out, examples
from regulars.api.schemas import Strict

Colour = Annotated[str, Field(max_length=7, description=(
    "``#rrggbb`` (``#rgb`` is read as its long form); empty: Regulars' own colour"))]


class BusinessIn(Strict):
    """What to change; a field left out stays as it is."""

    name: Annotated[str | None, Field(max_length=200)] = None
    locale: Annotated[str | None, Field(max_length=20, description=(
        "language and formatting, such as ``ru_RU`` or ``en_GB``"))] = None
    timezone: Annotated[str | None, Field(max_length=64, description=(
        "an IANA time zone such as ``Europe/Sofia``: report days and dates shown"))] = None
    brand_colour: Colour | None = None
    header_colour: Colour | None = None


class BusinessOut(Out):
    """The business: name, currency, language, time zone, country of phone numbers, and the
    customer page's colours (null: Regulars' own) and logo (``logo_url`` null: none)."""

    model_config = examples({
        "id": 1, "name": "Bean & Leaf", "currency": "EUR", "locale": "bg_BG",
        "timezone": "Europe/Sofia", "phone_region": "BG", "brand_colour": "#7c2d12",
        "header_colour": "#1d2330", "logo_type": "image/png",
        "logo_url": "/c/1/logo?v=3f2a9c0d1e2b4a5c", "updated_at": "2026-12-06T10:00:00Z"})

    id: int
    name: str
    currency: str
    locale: str
    timezone: str
    phone_region: str
    brand_colour: str | None
    header_colour: str | None
    logo_type: str | None
    logo_url: str | None
    updated_at: Instant | None
