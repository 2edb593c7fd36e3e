"""``/v1/admin/rewards/catalog``: the rewards members buy with points (a product, a fixed or
percentage discount, or a perk), their claims, and a claim in advance for a member (the
one-time code a till redeems as ``reward_code``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import ConfigDict, Field

from regulars import errors
from regulars.api.deps import Offset, Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.pos_schemas import Instant, Out, examples
from regulars.api.schemas import Id, IsoDateTime, Strict
from regulars.domain.rewards import catalog as rules
from regulars.services.audit import audit
from regulars.services.rewards import catalog, claims
from regulars.services.rewards.catalog import Claim, ClaimPage, Reward, RewardDraft, RewardPage
from regulars.services.rewards.claims import ClaimedCode

router = APIRouter(prefix="/v1/admin/rewards/catalog", tags=["admin"])
NF = responses(errors.NotFound)
_IN: dict[str, Any] = {
    "kind": "product", "points_cost": 200, "sku": "CAP-M", "category": "",
    "max_price_minor": 400, "titles": {"en": "Free coffee", "ru": "Кофе в подарок"},
    "descriptions": {"en": "Any medium coffee"}, "stock_per_day": 50, "claim_days": 14,
    "refund_on_expiry": True}
EXAMPLE: dict[str, Any] = {
    "id": 4, **_IN, "amount_minor": None, "rate_bp": None, "cost_minor": None,
    "valid_from": None, "valid_until": None, "store_ids": [], "level_codes": [],
    "stock_total": None, "issued": 12, "picture_url": "", "active": True}

Titles = Annotated[dict[Literal["en", "ru", "uk", "bg"],
                        Annotated[str, Field(max_length=rules.MAX_TITLE_CHARS)]],
                   Field(max_length=4)]
Descriptions = Annotated[dict[Literal["en", "ru", "uk", "bg"],
                              Annotated[str, Field(max_length=rules.MAX_DESCRIPTION_CHARS)]],
                         Field(max_length=4)]
Minor = Annotated[int, Field(ge=0, le=rules.MAX_AMOUNT_MINOR)]
Stock = Annotated[int, Field(ge=1, le=rules.MAX_STOCK)]


class RewardIn(Strict):
    """A catalogue reward. ``kind``: ``product`` (one unit of ``sku``, or of any product of
    ``category``, free up to ``max_price_minor``), ``fixed`` (``amount_minor`` off the
    matching lines, every line when neither ``sku`` nor ``category`` is given), ``percent``
    (``rate_bp`` off them) or ``perk`` (no basket line). Amounts in minor units."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              json_schema_extra={"examples": [_IN]})

    kind: Literal["product", "fixed", "percent", "perk"]
    points_cost: Annotated[int, Field(ge=1, le=rules.MAX_POINTS)]
    titles: Titles
    descriptions: Descriptions = {}
    sku: Annotated[str, Field(max_length=rules.MAX_SKU_CHARS)] = ""
    category: Annotated[str, Field(max_length=rules.MAX_CATEGORY_CHARS)] = ""
    max_price_minor: Minor | None = None
    amount_minor: Minor | None = None
    rate_bp: Annotated[int, Field(ge=1, le=10_000)] | None = None
    cost_minor: Minor | None = Field(default=None, description="the reward's cost to the "
                                     "business; absent: what it takes off the bill")
    valid_from: IsoDateTime | None = None
    valid_until: IsoDateTime | None = None
    store_ids: Annotated[list[Id], Field(max_length=rules.MAX_STORES)] = []
    level_codes: Annotated[list[Annotated[str, Field(min_length=1,
                                                     max_length=rules.MAX_LEVEL_CHARS)]],
                           Field(max_length=rules.MAX_LEVELS)] = []
    stock_total: Stock | None = None
    stock_per_day: Stock | None = None
    picture_url: Annotated[str, Field(max_length=rules.MAX_URL_CHARS)] = ""
    claim_days: Annotated[int, Field(ge=1, le=rules.MAX_CLAIM_DAYS)] = 30
    refund_on_expiry: bool = True

    def to_draft(self) -> RewardDraft:
        return RewardDraft(
            kind=self.kind, points_cost=self.points_cost,
            titles={str(k): v for k, v in self.titles.items()},
            descriptions={str(k): v for k, v in self.descriptions.items()}, sku=self.sku,
            category=self.category,
            max_price_minor=self.max_price_minor, amount_minor=self.amount_minor,
            rate_bp=self.rate_bp, cost_minor=self.cost_minor, valid_from=self.valid_from,
            valid_until=self.valid_until, store_ids=tuple(self.store_ids),
            level_codes=tuple(self.level_codes), stock_total=self.stock_total,
            stock_per_day=self.stock_per_day, picture_url=self.picture_url,
            claim_days=self.claim_days, refund_on_expiry=self.refund_on_expiry)


class RewardOut(Out):
    """A catalogue reward; ``issued`` counts its claims so far."""

    model_config = examples(EXAMPLE)

    id: int
    kind: str
    points_cost: int
    sku: str
    category: str
    max_price_minor: int | None
    amount_minor: int | None
    rate_bp: int | None
    cost_minor: int | None
    valid_from: Instant | None
    valid_until: Instant | None
    store_ids: list[int]
    level_codes: list[str]
    stock_total: int | None
    stock_per_day: int | None
    issued: int
    titles: dict[str, str]
    descriptions: dict[str, str]
    picture_url: str
    claim_days: int
    refund_on_expiry: bool
    active: bool


class RewardPageOut(Out):
    model_config = examples({"items": [EXAMPLE], "total": 1})

    items: list[RewardOut]
    total: int


_CLAIM: dict[str, Any] = {
    "id": 9, "reward_id": 4, "reward_title": "Free coffee", "member_id": 7, "points": 200,
    "status": "used", "claimed_at": "2026-03-01T12:00:00+00:00", "expires_at": None,
    "used_at": "2026-03-01T12:00:00+00:00", "receipt_id": 12, "line_no": 1,
    "discount_minor": 350, "cost_minor": 350}


class ClaimOut(Out):
    """A claim: ``claimed`` (a code claimed in advance, not used yet), ``used`` (by the
    receipt ``receipt_id``), ``expired`` or ``refunded``."""

    model_config = examples(_CLAIM)

    id: int
    reward_id: int
    reward_title: str
    member_id: int
    points: int
    status: str
    claimed_at: Instant
    expires_at: Instant | None
    used_at: Instant | None
    receipt_id: int | None
    line_no: int | None
    discount_minor: int
    cost_minor: int


class ClaimPageOut(Out):
    model_config = examples({"items": [_CLAIM]})

    items: list[ClaimOut]


class ClaimIn(Strict):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              json_schema_extra={"examples": [{"member_id": 7}]})

    member_id: Id


class ClaimedCodeOut(Out):
    """A reward claimed in advance: its points are spent, and ``code`` (shown only here) is
    what a till sends as ``reward_code`` until ``expires_at``."""

    model_config = examples({"claim_id": 9, "reward_id": 4, "title": "Free coffee",
                             "points": 200, "code": "7K3M-Q9PD-2XWA-R4TB",
                             "expires_at": "2026-03-15T12:00:00+00:00"})

    claim_id: int
    reward_id: int
    title: str
    points: int
    code: str
    expires_at: Instant


def _actor(owner: Owner) -> audit.Actor:
    return audit.key(owner.key_id)


@router.post("", status_code=201, response_model=RewardOut,
             responses=responses(errors.InvalidInput))
def create_reward(body: RewardIn, owner: Owner, rt: RuntimeDep) -> Reward:
    """A new, active reward in the catalogue."""
    return catalog.create(rt, owner.tenant_id, body.to_draft(), actor=_actor(owner))


@router.get("", response_model=RewardPageOut, responses=responses(errors.InvalidInput))
def list_rewards(owner: Reader, rt: RuntimeDep,
                 limit: Annotated[int, Query(ge=1, le=catalog.MAX_PAGE)] = 50,
                 offset: Offset = 0) -> RewardPage:
    """The catalogue, active rewards first, cheapest first."""
    return catalog.list_page(rt, owner.tenant_id, limit=limit, offset=offset)


@router.get("/claims", response_model=ClaimPageOut, responses=responses(errors.InvalidInput))
def list_claims(owner: Reader, rt: RuntimeDep, member_id: Annotated[int | None, Query(
                    ge=1, le=2**63 - 1)] = None,
                reward_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
                status: Literal["claimed", "used", "expired", "refunded"] | None = None,
                limit: Annotated[int, Query(ge=1, le=catalog.MAX_PAGE)] = 50,
                offset: Offset = 0) -> ClaimPage:
    """Claims, newest first, optionally of one member, one reward or in one status."""
    return catalog.list_claims(rt, owner.tenant_id, member_id=member_id, reward_id=reward_id,
                               status=status, limit=limit, offset=offset)


@router.get("/{reward_id:int}", response_model=RewardOut, responses=NF)
def get_reward(reward_id: PathId, owner: Reader, rt: RuntimeDep) -> Reward:
    return catalog.get(rt, owner.tenant_id, reward_id)


@router.put("/{reward_id:int}", response_model=RewardOut,
            responses=responses(errors.NotFound, errors.InvalidInput))
def put_reward(reward_id: PathId, body: RewardIn, owner: Owner, rt: RuntimeDep) -> Reward:
    """Replace the reward's terms (claims keep the points they were made for)."""
    return catalog.update(rt, owner.tenant_id, reward_id, body.to_draft(),
                          actor=_actor(owner))


@router.post("/{reward_id:int}/deactivate", response_model=RewardOut, responses=NF)
def deactivate_reward(reward_id: PathId, owner: Owner, rt: RuntimeDep) -> Reward:
    """Withdraw the reward; codes already claimed stay valid."""
    return catalog.set_active(rt, owner.tenant_id, reward_id, active=False,
                              actor=_actor(owner))


@router.post("/{reward_id:int}/activate", response_model=RewardOut, responses=NF)
def activate_reward(reward_id: PathId, owner: Owner, rt: RuntimeDep) -> Reward:
    return catalog.set_active(rt, owner.tenant_id, reward_id, active=True,
                              actor=_actor(owner))


@router.post("/{reward_id:int}/claim", status_code=201, response_model=ClaimedCodeOut,
             responses=responses(errors.NotFound, errors.RewardRefused,
                                 errors.InsufficientPoints))
def claim_reward(reward_id: PathId, body: ClaimIn, owner: Owner,
                 rt: RuntimeDep) -> ClaimedCode:
    """Claim the reward in advance for a member: the points are spent now, and the answer
    carries the one-time code (shown only here) a till redeems as ``reward_code``."""
    return claims.claim_in_advance(rt, owner.tenant_id, body.member_id, reward_id)


__all__ = ["Claim", "router"]
