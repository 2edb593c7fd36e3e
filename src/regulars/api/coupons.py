"""``/v1/admin/coupon-series``: an owner's coupon series and their codes. Codes are shown
once, in the answer that generates them; only their keyed digests are stored."""

from __future__ import annotations

from fastapi import APIRouter

from regulars import errors
from regulars.api.deps import Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.promotion_answers import CouponCodesOut, CouponSeriesOut
from regulars.api.promotion_schemas import CouponCodesIn, CouponSeriesIn
from regulars.services.audit import audit
from regulars.services.promotions import coupons
from regulars.services.promotions.coupons import IssuedCodes, SeriesView

router = APIRouter(prefix="/v1/admin/coupon-series", tags=["admin"])


@router.post("", response_model=CouponSeriesOut,
             status_code=201, responses=responses(errors.InvalidInput))
def create_series(body: CouponSeriesIn, owner: Owner, rt: RuntimeDep) -> SeriesView:
    """A new series: its effect, uses per code and validity dates (local, inclusive)."""
    return coupons.create_series(rt, owner.tenant_id, body.to_draft(),
                                 actor=audit.key(owner.key_id))


@router.get("", response_model=list[CouponSeriesOut])
def list_series(owner: Reader, rt: RuntimeDep) -> list[SeriesView]:
    return coupons.list_series(rt, owner.tenant_id)


@router.get("/{series_id}", response_model=CouponSeriesOut, responses=responses(errors.NotFound))
def get_series(series_id: PathId, owner: Reader, rt: RuntimeDep) -> SeriesView:
    """The series with how many codes it issued and how many uses they took."""
    return coupons.get_series(rt, owner.tenant_id, series_id)


@router.post("/{series_id}/codes", response_model=CouponCodesOut, status_code=201,
             responses=responses(errors.NotFound, errors.InvalidInput))
def generate_codes(series_id: PathId, body: CouponCodesIn, owner: Owner,
                   rt: RuntimeDep) -> IssuedCodes:
    """Issue ``count`` new codes (bound to ``member_id`` when given). The codes are in this
    answer only: they cannot be read back later."""
    return coupons.generate_codes(rt, owner.tenant_id, series_id, count=body.count,
                                  member_id=body.member_id, actor=audit.key(owner.key_id))
