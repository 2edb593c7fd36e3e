"""The console for owners, marketers and analysts. Each module adds its pages to ``router``;
every route after sign-in depends on ``needs(Permission...)`` (a test audits that)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/console", include_in_schema=False)

from regulars.web.console import (  # noqa: E402,F401  (routes register on import)
    access,
    analytics,
    audit,
    budget,
    fraud,
    home,
    invitations,
    marketing,
    member_identifiers,
    members,
    outbound,
    products,
    program,
    promotion_pages,
    receipts,
    rewards,
    settings,
    stored_value,
    till_policy,
)
