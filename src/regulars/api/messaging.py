"""``/v1/admin``: the outbound side an owner's key manages: events to pull, webhook
endpoints and their deliveries, the message log, the scheduled jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from regulars import errors
from regulars.api.deps import Owner, PathId, QueryId, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.messaging_schemas import (
    DeliveryOut,
    EventPageOut,
    JobOut,
    MessageLogOut,
    QueuedOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    WebhookSecretOut,
)
from regulars.services.jobs import scheduler
from regulars.services.messaging import events, outbox, webhooks

router = APIRouter(prefix="/v1/admin", tags=["outbound"])
NF = responses(errors.NotFound)
Limit = Annotated[int, Query(ge=1, le=500)]
JobName = Annotated[str, Path(min_length=1, max_length=40)]


@router.get("/events", response_model=EventPageOut,
            responses=responses(errors.InvalidInput))
def list_events(owner: Owner, rt: RuntimeDep,
                after: Annotated[str | None, Query(max_length=24,
                                                   description="an event id, e.g. evt_42")]
                = None,
                limit: Limit = 100,
                type: Annotated[list[Annotated[str, Query(max_length=40)]] | None,
                                Query(max_length=20)] = None) -> events.EventPage:
    """The tenant's events after ``after``, oldest first: the same bodies as webhooks."""
    return events.page(rt, owner.tenant_id, after=after, limit=limit, types=type)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(owner: Owner, rt: RuntimeDep) -> list[webhooks.Endpoint]:
    return webhooks.list_endpoints(rt, owner.tenant_id)


@router.post("/webhooks", status_code=201, response_model=WebhookSecretOut,
             responses=responses(errors.InvalidInput))
def create_webhook(body: WebhookIn, owner: Owner, rt: RuntimeDep
                   ) -> webhooks.EndpointWithSecret:
    """Subscribe an address to event types. The signing secret is in this answer only."""
    return webhooks.create(rt, owner.tenant_id, url=body.url, event_types=body.event_types,
                           description=body.description)


@router.get("/webhooks/{endpoint_id}", response_model=WebhookOut, responses=NF)
def get_webhook(endpoint_id: PathId, owner: Owner, rt: RuntimeDep) -> webhooks.Endpoint:
    return webhooks.get(rt, owner.tenant_id, endpoint_id)


@router.patch("/webhooks/{endpoint_id}", response_model=WebhookOut,
              responses=responses(errors.InvalidInput, errors.NotFound))
def change_webhook(endpoint_id: PathId, body: WebhookPatch, owner: Owner,
                   rt: RuntimeDep) -> webhooks.Endpoint:
    """Change the address, the event types or the description, or pause it (``active``)."""
    return webhooks.update(rt, owner.tenant_id, endpoint_id, url=body.url,
                           event_types=body.event_types, active=body.active,
                           description=body.description)


@router.post("/webhooks/{endpoint_id}/rotate-secret", response_model=WebhookSecretOut,
             responses=NF)
def rotate_webhook_secret(endpoint_id: PathId, owner: Owner, rt: RuntimeDep
                          ) -> webhooks.EndpointWithSecret:
    """A new signing secret, shown this once; for 24 hours deliveries carry the signatures
    of both the new and the previous secret."""
    return webhooks.rotate_secret(rt, owner.tenant_id, endpoint_id)


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=list[DeliveryOut],
            responses=NF)
def list_deliveries(endpoint_id: PathId, owner: Owner, rt: RuntimeDep, limit: Limit = 50,
                    before_id: QueryId = None) -> list[webhooks.Delivery]:
    """The endpoint's deliveries, newest first."""
    return webhooks.deliveries(rt, owner.tenant_id, endpoint_id, limit=limit,
                               before_id=before_id)


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             response_model=QueuedOut, responses=NF)
def redeliver(endpoint_id: PathId, delivery_id: PathId, owner: Owner,
              rt: RuntimeDep) -> QueuedOut:
    """Send a delivery again at the webhooks job's next run."""
    webhooks.redeliver(rt, owner.tenant_id, endpoint_id, delivery_id)
    return QueuedOut()


@router.get("/messages", response_model=list[MessageLogOut])
def message_log(owner: Owner, rt: RuntimeDep, limit: Limit = 50,
                before_id: QueryId = None) -> list[outbox.DeliveryLogLine]:
    """Messages to members, newest first, with their delivery status (not their text)."""
    return outbox.delivery_log(rt, owner.tenant_id, limit=limit, before_id=before_id)


@router.get("/jobs", response_model=list[JobOut])
def list_jobs(owner: Owner, rt: RuntimeDep) -> list[scheduler.JobState]:  # noqa: ARG001
    """The scheduled jobs: next run, last run and its outcome."""
    return scheduler.states(rt)


@router.post("/jobs/{name}/run", status_code=202, response_model=QueuedOut, responses=NF)
def run_job(name: JobName, owner: Owner, rt: RuntimeDep) -> QueuedOut:  # noqa: ARG001
    """Run a job at the scheduler's next tick (in whichever process holds its lock)."""
    scheduler.request_run(rt, name)
    return QueuedOut()
