"""The rewards catalogue: the business lists, changes and withdraws rewards members buy with
points, and lists their claims.

Every check runs before anything is written (:func:`check` reports every problem at once);
a use case refuses with :class:`~regulars.errors.InvalidInput` naming the first field as the
API spells it. Claiming a reward is in :mod:`regulars.services.rewards.claims`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regulars.db.rewards import catalog as store
from regulars.domain.rewards.catalog import (
    LANGUAGES,
    Claimable,
    Problem,
    RewardDraft,
    RewardKind,
    RewardTerms,
    problems,
)
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime

MAX_PAGE = 200

__all__ = ["Problem", "RewardDraft", "check"]


@dataclass(frozen=True, kw_only=True)
class Reward:
    """A catalogue reward as the business set it, and how many were issued so far."""

    id: int
    kind: str
    points_cost: int
    sku: str
    category: str
    max_price_minor: int | None
    amount_minor: int | None
    rate_bp: int | None
    cost_minor: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    store_ids: tuple[int, ...]
    level_codes: tuple[str, ...]
    stock_total: int | None
    stock_per_day: int | None
    issued: int
    titles: dict[str, str]
    descriptions: dict[str, str]
    picture_url: str
    claim_days: int
    refund_on_expiry: bool
    active: bool

    def title(self, language: str) -> str:
        """The title in ``language``, else in English, else the first one given."""
        return (self.titles.get(language) or self.titles.get("en")
                or next(iter(self.titles.values()), ""))

    def description(self, language: str) -> str:
        return self.descriptions.get(language) or self.descriptions.get("en") or ""

    @property
    def terms(self) -> RewardTerms:
        return RewardTerms(kind=RewardKind(self.kind), sku=self.sku, category=self.category,
                           max_price_minor=self.max_price_minor,
                           amount_minor=self.amount_minor, rate_bp=self.rate_bp)

    @property
    def claimable(self) -> Claimable:
        return Claimable(active=self.active, points_cost=self.points_cost,
                         valid_from=self.valid_from, valid_until=self.valid_until,
                         store_ids=self.store_ids, level_codes=self.level_codes)


@dataclass(frozen=True, kw_only=True)
class RewardPage:
    items: tuple[Reward, ...]
    total: int


@dataclass(frozen=True, kw_only=True)
class Claim:
    """One claim of a reward: at the till (``used`` at once) or in advance (``claimed``
    until a till uses its code, it expires, or a refund returns it)."""

    id: int
    reward_id: int
    reward_title: str
    member_id: int
    points: int
    status: str
    claimed_at: datetime
    expires_at: datetime | None
    used_at: datetime | None
    receipt_id: int | None
    line_no: int | None
    discount_minor: int
    cost_minor: int


@dataclass(frozen=True, kw_only=True)
class ClaimPage:
    items: tuple[Claim, ...]


def reward_of(row: dict[str, Any]) -> Reward:
    return Reward(
        id=int(row["id"]), kind=str(row["kind"]), points_cost=int(row["points_cost"]),
        sku=str(row["sku"] or ""), category=str(row["category"] or ""),
        max_price_minor=row["max_price_minor"], amount_minor=row["amount_minor"],
        rate_bp=row["rate_bp"], cost_minor=row["cost_minor"], valid_from=row["valid_from"],
        valid_until=row["valid_until"], store_ids=tuple(int(s) for s in row["store_ids"]),
        level_codes=tuple(str(c) for c in row["level_codes"]),
        stock_total=row["stock_total"], stock_per_day=row["stock_per_day"],
        issued=int(row["issued"]), titles=dict(row["titles"]),
        descriptions=dict(row["descriptions"]), picture_url=str(row["picture_url"] or ""),
        claim_days=int(row["claim_days"]), refund_on_expiry=bool(row["refund_on_expiry"]),
        active=bool(row["active"]))


def claim_of(row: dict[str, Any]) -> Claim:
    titles = dict(row["titles"])
    return Claim(id=int(row["id"]), reward_id=int(row["reward_id"]),
                 reward_title=titles.get("en") or next(iter(titles.values()), ""),
                 member_id=int(row["member_id"]), points=int(row["points"]),
                 status=str(row["status"]), claimed_at=row["claimed_at"],
                 expires_at=row["expires_at"], used_at=row["used_at"],
                 receipt_id=row["receipt_id"], line_no=row["line_no"],
                 discount_minor=int(row["discount_minor"]), cost_minor=int(row["cost_minor"]))


def check(draft: RewardDraft) -> list[Problem]:
    """Every problem of ``draft``, each naming its field as the API spells it."""
    return problems(draft)


def _texts(texts: dict[str, str]) -> dict[str, str]:
    return {lang: texts[lang].strip() for lang in LANGUAGES
            if lang in texts and texts[lang].strip()}


def _checked(draft: RewardDraft) -> dict[str, Any]:
    found = problems(draft)
    if found:
        first = found[0]
        raise InvalidInput(first.message, field=first.field,
                           params=dict(first.params) if first.params else None)
    kind = RewardKind(draft.kind)
    return {
        "kind": kind.value, "points_cost": draft.points_cost, "sku": draft.sku.strip(),
        "category": draft.category.strip(),
        "max_price_minor": draft.max_price_minor if kind is RewardKind.PRODUCT else None,
        "amount_minor": draft.amount_minor if kind is RewardKind.FIXED else None,
        "rate_bp": draft.rate_bp if kind is RewardKind.PERCENT else None,
        "cost_minor": draft.cost_minor, "valid_from": draft.valid_from,
        "valid_until": draft.valid_until, "store_ids": sorted(set(draft.store_ids)),
        "level_codes": sorted(set(draft.level_codes)),
        "stock_total": draft.stock_total, "stock_per_day": draft.stock_per_day,
        "titles": _texts(dict(draft.titles)), "descriptions": _texts(dict(draft.descriptions)),
        "picture_url": draft.picture_url.strip(), "claim_days": draft.claim_days,
        "refund_on_expiry": draft.refund_on_expiry}


def create(rt: Runtime, tenant_id: int, draft: RewardDraft,
           actor: audit.Actor) -> Reward:
    """A new, active catalogue reward. Raises :class:`InvalidInput` (the first problem)."""
    values = _checked(draft)
    now = rt.now()
    with rt.db.write() as conn:
        reward_id = store.insert_reward(conn, tenant_id, values, now)
        audit.record(conn, tenant_id, actor, "reward.create", f"reward {reward_id}", at=now,
                     points_cost=values["points_cost"], kind=values["kind"])
        row = store.get_reward(conn, tenant_id, reward_id)
    store.forget_offers(rt.db.engine, tenant_id)
    assert row is not None
    return reward_of(row)


def update(rt: Runtime, tenant_id: int, reward_id: int, draft: RewardDraft,
           actor: audit.Actor) -> Reward:
    """Replace a reward's terms (claims keep the points they were made for). Raises
    :class:`NotFound` and :class:`InvalidInput`. A stock lowered below what was issued
    is refused on ``stock_total``."""
    values = _checked(draft)
    now = rt.now()
    with rt.db.write() as conn:
        row = store.get_reward(conn, tenant_id, reward_id)
        if row is None:
            raise NotFound("reward not found")
        if values["stock_total"] is not None and values["stock_total"] < row["issued"]:
            raise InvalidInput("%(issued)s were issued already", field="stock_total",
                               params={"issued": row["issued"]})
        store.update_reward(conn, tenant_id, reward_id, values, now)
        audit.record(conn, tenant_id, actor, "reward.update", f"reward {reward_id}", at=now,
                     points_cost=values["points_cost"], kind=values["kind"])
        row = store.get_reward(conn, tenant_id, reward_id)
    store.forget_offers(rt.db.engine, tenant_id)
    assert row is not None
    return reward_of(row)


def set_active(rt: Runtime, tenant_id: int, reward_id: int, *, active: bool,
               actor: audit.Actor) -> Reward:
    """Withdraw a reward from the catalogue (``active=False``) or offer it again; codes
    already claimed stay valid. Raises :class:`NotFound`."""
    now = rt.now()
    with rt.db.write() as conn:
        if not store.update_reward(conn, tenant_id, reward_id, {"active": active}, now):
            raise NotFound("reward not found")
        audit.record(conn, tenant_id, actor,
                     "reward.activate" if active else "reward.deactivate",
                     f"reward {reward_id}", at=now)
        row = store.get_reward(conn, tenant_id, reward_id)
    store.forget_offers(rt.db.engine, tenant_id)
    assert row is not None
    return reward_of(row)


def get(rt: Runtime, tenant_id: int, reward_id: int) -> Reward:
    with rt.db.read() as conn:
        row = store.get_reward(conn, tenant_id, reward_id)
    if row is None:
        raise NotFound("reward not found")
    return reward_of(row)


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("must lie between 1 and %(limit)s", field="limit",
                           params={"limit": MAX_PAGE})
    if offset < 0:
        raise InvalidInput("must be 0 or more", field="offset")


def list_page(rt: Runtime, tenant_id: int, *, active_only: bool = False, limit: int = 50,
              offset: int = 0) -> RewardPage:
    """A page of the catalogue (active first, cheapest first) and how many rewards it has."""
    _page(limit, offset)
    with rt.db.read() as conn:
        rows = store.list_rewards(conn, tenant_id, active_only=active_only, limit=limit,
                                  offset=offset)
        total = store.count_rewards(conn, tenant_id)
    return RewardPage(items=tuple(reward_of(r) for r in rows), total=total)


def list_claims(rt: Runtime, tenant_id: int, *, member_id: int | None = None,
                reward_id: int | None = None, status: str | None = None, limit: int = 50,
                offset: int = 0) -> ClaimPage:
    """Claims, newest first, optionally of one member, one reward or in one status."""
    _page(limit, offset)
    if status is not None and status not in ("claimed", "used", "expired", "refunded"):
        raise InvalidInput("not a status of a claim", field="status")
    with rt.db.read() as conn:
        rows = store.list_claims(conn, tenant_id, member_id=member_id, reward_id=reward_id,
                                 status=status, limit=limit, offset=offset)
    return ClaimPage(items=tuple(claim_of(r) for r in rows))
