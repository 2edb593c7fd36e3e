"""``/v1/admin/promotions``: an owner's promotions. Every change saves a new version;
receipts keep the version that priced them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from regulars import errors
from regulars.api.deps import Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.promotion_answers import (
    BudgetBurnOut,
    BudgetSplitOut,
    GroupsOut,
    PromotionBurnOut,
    PromotionOut,
)
from regulars.api.promotion_schemas import BudgetIn, PromotionIn
from regulars.services.audit import audit
from regulars.services.promotions import budgets, promotions
from regulars.services.promotions.promotions import PromotionView

router = APIRouter(prefix="/v1/admin/promotions", tags=["admin"])
budget_router = APIRouter(prefix="/v1/admin/budget", tags=["admin"])
NF = responses(errors.NotFound)


@router.post("", response_model=PromotionOut,
             status_code=201, responses=responses(errors.InvalidInput))
def create_promotion(body: PromotionIn, owner: Owner, rt: RuntimeDep) -> PromotionView:
    """A new promotion (version 1). A condition that does not compile, reads an unknown
    variable or does not give a boolean answers 422 with ``field`` ``condition``."""
    return promotions.create(rt, owner.tenant_id, body.to_draft(), actor=audit.key(owner.key_id))


@router.get("", response_model=list[PromotionOut])
def list_promotions(owner: Reader, rt: RuntimeDep,
                    status: Literal["active", "paused", "archived"] | None = None
                    ) -> list[PromotionView]:
    return promotions.list_all(rt, owner.tenant_id, status=status)


@router.get("/{promotion_id}", response_model=PromotionOut, responses=NF)
def get_promotion(promotion_id: PathId, owner: Reader, rt: RuntimeDep) -> PromotionView:
    return promotions.get(rt, owner.tenant_id, promotion_id)


@router.put("/{promotion_id}", response_model=PromotionOut,
            responses=responses(errors.NotFound, errors.InvalidInput, errors.Conflict))
def put_promotion(promotion_id: PathId, body: PromotionIn, owner: Owner,
                  rt: RuntimeDep) -> PromotionView:
    """Replace the promotion's definition: saves the next version."""
    return promotions.update(rt, owner.tenant_id, promotion_id, body.to_draft(),
                             actor=audit.key(owner.key_id))


@router.post("/{promotion_id}/archive", response_model=PromotionOut, responses=NF)
def archive_promotion(promotion_id: PathId, owner: Owner, rt: RuntimeDep) -> PromotionView:
    """Stop the promotion for good; archiving it twice is harmless."""
    return promotions.archive(rt, owner.tenant_id, promotion_id, actor=audit.key(owner.key_id))


@router.post("/{promotion_id}/pause", response_model=PromotionOut,
             responses=responses(errors.NotFound, errors.Conflict))
def pause_promotion(promotion_id: PathId, owner: Owner, rt: RuntimeDep) -> PromotionView:
    """Stop offering the promotion until it is resumed; an archived one answers 409."""
    return promotions.pause(rt, owner.tenant_id, promotion_id, actor=audit.key(owner.key_id))


@router.post("/{promotion_id}/resume", response_model=PromotionOut,
             responses=responses(errors.NotFound, errors.Conflict))
def resume_promotion(promotion_id: PathId, owner: Owner, rt: RuntimeDep) -> PromotionView:
    """Offer a paused promotion again; an archived one answers 409."""
    return promotions.resume(rt, owner.tenant_id, promotion_id, actor=audit.key(owner.key_id))


@router.get("/{promotion_id}/burn", response_model=PromotionBurnOut, responses=NF)
def promotion_burn(promotion_id: PathId, owner: Reader, rt: RuntimeDep) -> budgets.PromotionBurn:
    """The promotion's budget over its life (cap, spent, remaining) and what receipts of the
    current local month got from it, net of refunds."""
    return budgets.promotion_burn(rt, owner.tenant_id, promotion_id)


@router.get("/{promotion_id}/groups", response_model=GroupsOut, responses=NF)
def promotion_groups(promotion_id: PathId, owner: Reader, rt: RuntimeDep) -> promotions.Groups:
    """Members recorded at commit in the promotion's ``test`` and ``control`` groups, and its
    current ``control_share_bp``."""
    return promotions.groups(rt, owner.tenant_id, promotion_id)


@budget_router.get("", response_model=BudgetSplitOut)
def get_budget(owner: Reader, rt: RuntimeDep) -> budgets.SplitView:
    """The monthly loyalty budget and its split (50/25/25 until set), with each bucket's
    cap."""
    return budgets.get_split(rt, owner.tenant_id)


@budget_router.put("", response_model=BudgetSplitOut, responses=responses(errors.InvalidInput))
def put_budget(body: BudgetIn, owner: Owner, rt: RuntimeDep) -> budgets.SplitView:
    """Replace the monthly loyalty budget; shares that do not add up to 10000 answer 422."""
    return budgets.put_split(rt, owner.tenant_id, total_minor=body.total_minor,
                             base_bp=body.base_bp, mass_bp=body.mass_bp,
                             targeted_bp=body.targeted_bp, actor=audit.key(owner.key_id))


@budget_router.get("/burn", response_model=BudgetBurnOut)
def budget_burn(owner: Reader, rt: RuntimeDep) -> budgets.BudgetBurn:
    """This local month's spend per bucket (base reports only; mass and targeted are
    enforced) and per promotion."""
    return budgets.burn(rt, owner.tenant_id)
