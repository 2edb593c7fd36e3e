"""The console for owners, marketers and analysts. Each module adds its pages to ``router``;
every route after sign-in depends on ``needs(Permission...)`` (a test audits that)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/console", include_in_schema=False)

from regulars.web.console import (  # noqa: E402,F401  (routes register on import)
    access,
    analytics,
    analytics_files,
    analytics_groups,
    audit,
    budget,
    business,
    certificate_series,
    clv,
    feedback,
    fraud,
    goods,
    home,
    imports,
    invitations,
    marketing,
    member_identifiers,
    members,
    message_settings,
    messages,
    outbound,
    privacy,
    products,
    program,
    promotion_pages,
    receipts,
    reward_settings,
    rewards,
    scenario_edit,
    scenario_promotions,
    scenarios,
    settings,
    stamps,
    stored_value,
    till_policy,
    uplift,
    wallet_passes,
)
