"""``/v1/admin/segments``: an owner's saved member segments, their counts and members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from regulars import errors
from regulars.api.deps import Offset, Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.promotion_schemas import SegmentIn
from regulars.services.promotions import segments

router = APIRouter(prefix="/v1/admin/segments", tags=["admin"])
NF = responses(errors.NotFound)


@router.post("", status_code=201, responses=responses(errors.InvalidInput))
def create_segment(body: SegmentIn, owner: Owner, rt: RuntimeDep) -> dict[str, Any]:
    """A new segment, with ``members_count`` at the clock's now."""
    return segments.create(rt, owner.tenant_id, body.to_draft())


@router.get("")
def list_segments(owner: Reader, rt: RuntimeDep) -> list[dict[str, Any]]:
    return segments.list_all(rt, owner.tenant_id)


@router.get("/{segment_id}", responses=NF)
def get_segment(segment_id: PathId, owner: Reader, rt: RuntimeDep) -> dict[str, Any]:
    return segments.get(rt, owner.tenant_id, segment_id)


@router.put("/{segment_id}", responses=responses(errors.NotFound, errors.InvalidInput))
def put_segment(segment_id: PathId, body: SegmentIn, owner: Owner,
                rt: RuntimeDep) -> dict[str, Any]:
    """Replace the segment's name and rules; promotions naming it follow at once."""
    return segments.update(rt, owner.tenant_id, segment_id, body.to_draft())


@router.get("/{segment_id}/members", responses=responses(errors.NotFound,
                                                         errors.InvalidInput))
def segment_members(segment_id: PathId, owner: Reader, rt: RuntimeDep, limit: int = 100,
                    offset: Offset = 0) -> dict[str, Any]:
    """A page of the member ids in the segment now, by id, and the total."""
    return segments.members(rt, owner.tenant_id, segment_id, limit=limit, offset=offset)
