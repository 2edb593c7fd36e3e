"""``/v1/admin/segments``: an owner's saved member segments, their counts and members."""

from __future__ import annotations

from fastapi import APIRouter

from regulars import errors
from regulars.api.deps import Offset, Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.promotion_answers import SegmentMembersOut, SegmentOut
from regulars.api.promotion_schemas import SegmentIn
from regulars.services.promotions import segments
from regulars.services.promotions.segments import SegmentMembers, SegmentView

router = APIRouter(prefix="/v1/admin/segments", tags=["admin"])
NF = responses(errors.NotFound)


@router.post("", response_model=SegmentOut,
             status_code=201, responses=responses(errors.InvalidInput))
def create_segment(body: SegmentIn, owner: Owner, rt: RuntimeDep) -> SegmentView:
    """A new segment, with ``members_count`` at the clock's now."""
    return segments.create(rt, owner.tenant_id, body.to_draft())


@router.get("", response_model=list[SegmentOut])
def list_segments(owner: Reader, rt: RuntimeDep) -> list[SegmentView]:
    return segments.list_all(rt, owner.tenant_id)


@router.get("/{segment_id}", response_model=SegmentOut, responses=NF)
def get_segment(segment_id: PathId, owner: Reader, rt: RuntimeDep) -> SegmentView:
    return segments.get(rt, owner.tenant_id, segment_id)


@router.put("/{segment_id}", response_model=SegmentOut,
            responses=responses(errors.NotFound, errors.InvalidInput))
def put_segment(segment_id: PathId, body: SegmentIn, owner: Owner,
                rt: RuntimeDep) -> SegmentView:
    """Replace the segment's name and rules; promotions naming it follow at once."""
    return segments.update(rt, owner.tenant_id, segment_id, body.to_draft())


@router.get("/{segment_id}/members", response_model=SegmentMembersOut,
            responses=responses(errors.NotFound, errors.InvalidInput))
def segment_members(segment_id: PathId, owner: Reader, rt: RuntimeDep, limit: int = 100,
                    offset: Offset = 0) -> SegmentMembers:
    """A page of the member ids in the segment now, by id, and the total."""
    return segments.members(rt, owner.tenant_id, segment_id, limit=limit, offset=offset)
