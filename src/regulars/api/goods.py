"""``/v1/admin/goods-accounts``: prepaid goods accounts (litres of fuel, cups of coffee,
visits) held by members or bearer cards; ``/v1/pos/goods-accounts``: a till sells units onto
one and checks a card's balance. A bearer card's number is shown once, in the answer that
opens it; only its keyed digest is stored."""

from __future__ import annotations

from fastapi import APIRouter, Response

from regulars import errors
from regulars.api.deps import IdempotencyKey, Owner, PathId, QueryId, Reader, RuntimeDep, Till
from regulars.api.errors_doc import responses
from regulars.api.goods_schemas import (
    GoodsAccountIn,
    GoodsAccountOut,
    GoodsCardIn,
    GoodsHistoryOut,
    GoodsLiabilityOut,
    GoodsOpenedOut,
    GoodsTopUpIn,
    GoodsTopUpOut,
)
from regulars.api.pos import stored_answer
from regulars.services.audit import audit
from regulars.services.stored_value import goods
from regulars.services.stored_value.goods import Opening
from regulars.services.stored_value.results import (
    GoodsAccountView,
    GoodsHistory,
    GoodsLiability,
    GoodsOpened,
)

router = APIRouter(prefix="/v1/admin", tags=["admin"])
pos_router = APIRouter(prefix="/v1/pos", tags=["pos"])
G = "/goods-accounts"


@router.post(G, status_code=201, response_model=GoodsOpenedOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.IdempotencyMismatch))
def open_account(body: GoodsAccountIn, owner: Owner, rt: RuntimeDep, key: IdempotencyKey,
                 response: Response) -> GoodsOpened:
    """Open a goods account for a member, or a bearer card (its number is in this answer
    only), once per Idempotency-Key: a replay with the same key and body opens nothing and
    answers the same account without the card's number (header
    ``Idempotent-Replayed: true``)."""
    done = goods.open_account(rt, owner.tenant_id, Opening(
        product_id=body.product_id, unit=body.unit,
        member=body.member.to_ref() if body.member else None), actor=audit.key(owner.key_id),
        key=key)
    if done.repeated:
        response.headers["Idempotent-Replayed"] = "true"
    return done


@router.get(G, response_model=list[GoodsAccountOut], responses=responses(errors.NotFound))
def list_accounts(owner: Reader, rt: RuntimeDep,
                  member_id: QueryId = None) -> tuple[GoodsAccountView, ...]:
    """The latest 500 goods accounts (a member's when ``member_id`` is given)."""
    return goods.list_accounts(rt, owner.tenant_id, member_id=member_id)


@router.get(G + "/liability", response_model=list[GoodsLiabilityOut])
def liability(owner: Reader, rt: RuntimeDep) -> tuple[GoodsLiability, ...]:
    """Per goods asset: the units held on accounts and their value at the average price
    paid."""
    return goods.liability(rt, owner.tenant_id)


@router.post("/goods-card-lookup", response_model=GoodsAccountOut,
             responses=responses(errors.InvalidInput))
def look_up(body: GoodsCardIn, owner: Owner, rt: RuntimeDep) -> GoodsAccountView:
    """Find a bearer card's goods account by its printed number."""
    return goods.look_up(rt, owner.tenant_id, body.code)


@router.get(G + "/{account_id}", response_model=GoodsHistoryOut,
            responses=responses(errors.NotFound))
def history(account_id: PathId, owner: Reader, rt: RuntimeDep) -> GoodsHistory:
    """A goods account's balance and latest movements."""
    return goods.history(rt, owner.tenant_id, account_id)


@router.post(G + "/{account_id}/top-ups", response_model=GoodsTopUpOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.IdempotencyMismatch))
def top_up(account_id: PathId, body: GoodsTopUpIn, owner: Owner, rt: RuntimeDep,
           key: IdempotencyKey) -> Response:
    """Add units bought in advance, once per Idempotency-Key."""
    return stored_answer(goods.top_up(rt, owner, account_id, body.to_terms(), key=key,
                                      payload=body.model_dump(mode="json")))


@router.post(G + "/{account_id}/block", response_model=GoodsAccountOut,
             responses=responses(errors.NotFound))
def block(account_id: PathId, owner: Owner, rt: RuntimeDep) -> GoodsAccountView:
    """Block a lost card: refused as a tender and for top-ups until unblocked."""
    return goods.set_blocked(rt, owner.tenant_id, account_id, blocked=True,
                             actor=audit.key(owner.key_id))


@router.post(G + "/{account_id}/unblock", response_model=GoodsAccountOut,
             responses=responses(errors.NotFound))
def unblock(account_id: PathId, owner: Owner, rt: RuntimeDep) -> GoodsAccountView:
    return goods.set_blocked(rt, owner.tenant_id, account_id, blocked=False,
                             actor=audit.key(owner.key_id))


@pos_router.post(G + "/{account_id}/top-ups", response_model=GoodsTopUpOut,
                 responses=responses(errors.InvalidInput, errors.NotFound,
                                     errors.IdempotencyMismatch))
def till_top_up(account_id: PathId, body: GoodsTopUpIn, till: Till, rt: RuntimeDep,
                key: IdempotencyKey) -> Response:
    """Units the customer paid for at the till onto a goods account, once per
    Idempotency-Key."""
    return stored_answer(goods.top_up(rt, till, account_id, body.to_terms(), key=key,
                                      payload=body.model_dump(mode="json")))


@pos_router.post("/goods-cards/lookup", response_model=GoodsAccountOut,
                 responses=responses(errors.InvalidInput))
def check_card(body: GoodsCardIn, till: Till, rt: RuntimeDep) -> GoodsAccountView:
    """A bearer card's goods account, balance and status, by its printed number."""
    return goods.look_up(rt, till.tenant_id, body.code)
