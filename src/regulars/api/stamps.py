"""``/v1/admin/stamp-cards``: the business's stamp cards ("buy 9, the 10th is free"), and
``/v1/admin/members/{id}/stamp-cards``: how far a member got on each."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from regulars import errors
from regulars.api.deps import Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.pos_schemas import Out, examples
from regulars.api.schemas import Strict
from regulars.domain.stamps.cards import (
    MAX_EXPIRY_DAYS,
    MAX_PER_CARD,
    GrantAt,
    Reward,
    StampCard,
)
from regulars.services.audit import audit
from regulars.services.stamps import cards, members_cards
from regulars.services.stamps.members_cards import MemberStampCard

router = APIRouter(prefix="/v1/admin", tags=["admin"])
NF = responses(errors.NotFound)
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")]
Language = Literal["en", "ru", "uk", "bg"]
EXAMPLE: dict[str, Any] = {
    "name": "Coffee", "skus": [], "categories": ["coffee"], "per_visit": False,
    "per_card": 10, "reward": "free_item", "discount_minor": 0, "grant_at": "completing",
    "expiry_days": 180, "active": True, "titles": {"en": "Coffee card", "ru": "Кофейная карта"}}


class StampCardIn(Strict):
    """A stamp card: each whole item of ``skus`` or ``categories`` (or, ``per_visit``, each
    receipt) adds a stamp; ``per_card`` stamps complete it. ``reward``: ``free_item`` (the
    cheapest qualifying item free) or ``discount`` (``discount_minor`` off the qualifying
    lines); granted at the purchase that completes the card (``completing``) or at the next
    (``next``). Stamps expire after ``expiry_days`` (none: never)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              json_schema_extra={"examples": [EXAMPLE]})

    name: Annotated[str, Field(min_length=1, max_length=80)]
    skus: Annotated[list[Code], Field(max_length=100)] = []
    categories: Annotated[list[Code], Field(max_length=20)] = []
    per_visit: bool = False
    per_card: Annotated[int, Field(ge=2, le=MAX_PER_CARD)]
    reward: Literal["free_item", "discount"]
    discount_minor: Annotated[int, Field(ge=0, le=10**9)] = 0
    grant_at: Literal["completing", "next"] = "completing"
    expiry_days: Annotated[int, Field(ge=1, le=MAX_EXPIRY_DAYS)] | None = None
    active: bool = True
    titles: dict[Language, Annotated[str, Field(min_length=1, max_length=80)]] = {}

    def to_card(self) -> StampCard:
        return StampCard(id=0, name=self.name, skus=frozenset(self.skus),
                         categories=frozenset(self.categories), per_visit=self.per_visit,
                         per_card=self.per_card, reward=Reward(self.reward),
                         discount_minor=self.discount_minor, grant_at=GrantAt(self.grant_at),
                         expiry_days=self.expiry_days, active=self.active,
                         titles={str(k): v for k, v in self.titles.items()})


class StampCardOut(Out):
    model_config = examples({"id": 3, **EXAMPLE})

    id: int
    name: str
    skus: list[str]
    categories: list[str]
    per_visit: bool
    per_card: int
    reward: str
    discount_minor: int
    grant_at: str
    expiry_days: int | None
    active: bool
    titles: dict[str, str]


class MemberStampCardOut(Out):
    """A card as the member sees it: ``stamps`` of ``per_card`` ("7 of 10") and ``ready``
    rewards waiting for the next purchase."""

    model_config = examples({"card_id": 3, "title": "Coffee card", "stamps": 7,
                             "per_card": 10, "ready": 0, "reward": "free_item",
                             "discount_minor": 0})

    card_id: int
    title: str
    stamps: int
    per_card: int
    ready: int
    reward: str
    discount_minor: int


def _out(card: StampCard) -> StampCardOut:
    return StampCardOut(id=card.id, name=card.name, skus=sorted(card.skus),
                        categories=sorted(card.categories), per_visit=card.per_visit,
                        per_card=card.per_card, reward=card.reward.value,
                        discount_minor=card.discount_minor, grant_at=card.grant_at.value,
                        expiry_days=card.expiry_days, active=card.active,
                        titles=dict(card.titles))


@router.post("/stamp-cards", status_code=201, response_model=StampCardOut,
             responses=responses(errors.InvalidInput, errors.Conflict))
def create_stamp_card(body: StampCardIn, owner: Owner, rt: RuntimeDep) -> StampCardOut:
    """A new stamp card; 409 on ``name`` when the business has a card of that name."""
    return _out(cards.create(rt, owner.tenant_id, body.to_card(), audit.key(owner.key_id)))


@router.get("/stamp-cards", response_model=list[StampCardOut])
def list_stamp_cards(owner: Reader, rt: RuntimeDep) -> list[StampCardOut]:
    return [_out(c) for c in cards.list_all(rt, owner.tenant_id)]


@router.get("/stamp-cards/{card_id:int}", response_model=StampCardOut, responses=NF)
def get_stamp_card(card_id: PathId, owner: Reader, rt: RuntimeDep) -> StampCardOut:
    return _out(cards.get(rt, owner.tenant_id, card_id))


@router.put("/stamp-cards/{card_id:int}", response_model=StampCardOut, responses=responses(
    errors.NotFound, errors.InvalidInput, errors.Conflict))
def put_stamp_card(card_id: PathId, body: StampCardIn, owner: Owner,
                   rt: RuntimeDep) -> StampCardOut:
    """Replace the card's definition; stamps already given stay on the members' cards.
    ``active: false`` stops it adding stamps and granting rewards."""
    return _out(cards.update(rt, owner.tenant_id, card_id, body.to_card(),
                             audit.key(owner.key_id)))


@router.get("/members/{member_id:int}/stamp-cards", response_model=list[MemberStampCardOut],
            responses=NF)
def member_stamp_cards(member_id: PathId, owner: Reader, rt: RuntimeDep,
                       language: Language = "en") -> list[MemberStampCard]:
    """Every active card with the member's stamps on it, titled in ``language``."""
    return list(members_cards.cards_of(rt, owner.tenant_id, member_id, language=language))
