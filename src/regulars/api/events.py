"""``/v1/events``: the business reports what its members did (a review, a survey, a visit to
an event); each configured event type earns points, within a per-member limit per period.
Authenticated by an owner key."""

from __future__ import annotations

from fastapi import APIRouter

from regulars import errors
from regulars.api.deps import EventSender, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.reward_schemas import EventIn, EventOut
from regulars.services.rewards import rewards
from regulars.services.rewards.rewards import EventOutcome

router = APIRouter(prefix="/v1", tags=["events"])


@router.post("/events", response_model=EventOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.IdempotencyMismatch))
def post_event(body: EventIn, owner: EventSender, rt: RuntimeDep) -> EventOutcome:
    """Reward one event, once per ``event_id``. Over the type's limit for the period the
    event is recorded with 0 points and ``reason: limit_reached``."""
    return rewards.record_event(rt, owner.tenant_id, event_id=body.event_id,
                                member=body.member.to_ref(), type_=body.type, data=body.data,
                                payload=body.model_dump(mode="json"))
