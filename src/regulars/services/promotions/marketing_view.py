"""Promotions, coupon series and segments for the console: lists with their figures and the
pages of one of each, assembled from the same services the admin API calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regulars.db.promotions import coupons as coupon_store
from regulars.db.promotions import marketing_view as store
from regulars.domain.messaging.addresses import masked_phone
from regulars.errors import NotFound
from regulars.services.members.members import words_for as member_words
from regulars.services.program import programs
from regulars.services.promotions import budgets, coupons, promotions, segments
from regulars.services.promotions.budgets import PromotionBurn
from regulars.services.promotions.promotions import PromotionView
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants

USES_SHOWN = 50


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


@dataclass(frozen=True, kw_only=True, slots=True)
class PromotionLine:
    """A promotion in the console's list, with its budget and burn."""

    promotion: PromotionView
    burn: PromotionBurn


def promotions_overview(rt: Runtime, tenant_id: int) -> list[PromotionLine]:
    """Every promotion with its budget and what it cost over its life and this month."""
    found = promotions.list_all(rt, tenant_id)
    return [PromotionLine(promotion=p, burn=budgets.promotion_burn(rt, tenant_id, p.id))
            for p in sorted(found, key=lambda p: (p.status != "active", -p.id))]


def promotion_page(rt: Runtime, tenant_id: int, promotion_id: int) -> dict[str, Any]:
    """A promotion, its versions (newest first), burn and control groups, and the coupon
    series' names by id (for the effects that issue a coupon). Raises :class:`NotFound`."""
    promotion = promotions.get(rt, tenant_id, promotion_id)
    with rt.db.read() as conn:
        versions = [_iso(v) for v in store.versions_of(conn, tenant_id, promotion_id)]
        series = {s.id: s.name for s in coupon_store.list_series(conn, tenant_id)}
    return {"promotion": promotion, "versions": versions, "series": series,
            "burn": budgets.promotion_burn(rt, tenant_id, promotion_id),
            "groups": promotions.groups(rt, tenant_id, promotion_id)}


@dataclass(frozen=True, kw_only=True, slots=True)
class Choice:
    id: int
    name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PromotionChoices:
    """What the promotion builder offers to pick: stores, segments, coupon series (by id
    and name) and the program's levels (by code and name)."""

    stores: tuple[Choice, ...]
    segments: tuple[Choice, ...]
    series: tuple[Choice, ...]
    levels: tuple[tuple[str, str], ...]


def promotion_choices(rt: Runtime, tenant_id: int) -> PromotionChoices:
    program = programs.current(rt, tenant_id).rules
    return PromotionChoices(
        stores=tuple(Choice(id=s.id, name=s.name) for s in tenants.list_stores(rt, tenant_id)),
        segments=tuple(Choice(id=s.id, name=s.name)
                       for s in segments.list_all(rt, tenant_id)),
        series=tuple(Choice(id=s.id, name=s.name) for s in coupons.list_series(rt, tenant_id)),
        levels=tuple((level.code, level.name) for level in program.levels))


def budget_page(rt: Runtime, tenant_id: int) -> dict[str, Any]:
    """The monthly loyalty budget, its split, this month's burn per bucket and per
    promotion, and the promotions' names."""
    return {"split": budgets.get_split(rt, tenant_id), "burn": budgets.burn(rt, tenant_id),
            "names": {p.id: p.name for p in promotions.list_all(rt, tenant_id)}}


def series_page(rt: Runtime, tenant_id: int, series_id: int) -> dict[str, Any]:
    """A coupon series with its counts and its latest uses. Raises :class:`NotFound`."""
    series = coupons.get_series(rt, tenant_id, series_id)
    with rt.db.read() as conn:
        uses = [_iso(u) for u in store.series_uses(conn, tenant_id, series_id,
                                                   limit=USES_SHOWN)]
    return {"series": series, "uses": uses}


def segment_page(rt: Runtime, tenant_id: int, segment_id: int, *, limit: int,
                 offset: int) -> dict[str, Any]:
    """A segment, its member count now, a page of its members (``id``, ``name``: the name or
    the phone's last four digits as every list shows a member, ``phone``: those digits,
    never the whole number), the stores' names by id and the program's level names by code
    (for the rules that name a store or levels)."""
    segment = segments.get(rt, tenant_id, segment_id)
    page = segments.members(rt, tenant_id, segment_id, limit=limit, offset=offset)
    with rt.db.read() as conn:
        people = store.members_brief(conn, tenant_id, list(page.member_ids))
    if segment.id != segment_id:
        raise NotFound("segment not found")
    listed = [{"id": p["id"],
               "name": member_words(p["first_name"], p["last_name"], p["phone"]),
               "phone": masked_phone(p["phone"]) if p["phone"] else None} for p in people]
    return {"segment": segment, "members": listed, "total": page.total,
            "has_more": offset + limit < page.total,
            "stores": {s.id: s.name for s in tenants.list_stores(rt, tenant_id)},
            "levels": {level.code: level.name
                       for level in programs.current(rt, tenant_id).rules.levels}}
