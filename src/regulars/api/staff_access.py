"""``/v1/admin/staff/{id}``: an owner's key gives a staff member a set-password link (shown in
that answer only), changes their role, name or store, or removes them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from regulars import errors
from regulars.api.admin_schemas import StaffOut
from regulars.api.deps import Owner, PathId, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.schemas import Id, Strict
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import staff_access
from regulars.services.tenancy.results import StaffMember

router = APIRouter(prefix="/v1/admin/staff", tags=["admin"])


class StaffPatch(Strict):
    """What to change; a field left out stays as it is."""

    role: Literal["owner", "marketer", "analyst", "cashier"] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    store_id: Id | None = Field(default=None, description=(
        "the store whose tills a cashier signs in at; null: every store"))


class InvitationOut(BaseModel):
    staff_id: int
    url: str
    expires_at: str


def public_base(request: Request, rt: Runtime) -> str:
    """Where links point: ``REGULARS_PUBLIC_URL`` when set, else this request's address."""
    return str(rt.settings.public_url or request.base_url)


@router.post("/{staff_id}/invitation", status_code=201, response_model=InvitationOut,
             responses=responses(errors.NotFound, errors.InvalidInput))
def invite(staff_id: PathId, request: Request, owner: Owner,
           rt: RuntimeDep) -> InvitationOut:
    """A link with which an owner, marketer or analyst sets their console password: it works
    once, for 72 hours, and replaces their earlier links. The link is in this answer only
    (only a hash of it is stored). A cashier (422 on ``role``) uses a PIN instead."""
    made = staff_access.invite(rt, owner.tenant_id, staff_id, actor=audit.key(owner.key_id))
    return InvitationOut(staff_id=made.staff_id, url=made.url(public_base(request, rt)),
                         expires_at=made.expires_at.isoformat())


@router.patch("/{staff_id}", response_model=StaffOut, responses=responses(
    errors.NotFound, errors.InvalidInput, errors.Conflict))
def change(staff_id: PathId, body: StaffPatch, owner: Owner, rt: RuntimeDep) -> StaffMember:
    """Change the staff member's role (at once, in their open sessions too), name or store
    (a cashier's store decides at which tills they sign in), all at once or none; each on the
    audit trail. 422 names the field (``store_id`` for a store that is not the business's);
    the business's last active owner stays an owner (409 on ``role``)."""
    given = body.model_fields_set
    return staff_access.edit(rt, owner.tenant_id, staff_id, staff_access.StaffChange(
        role=body.role, name=body.name, store_id=body.store_id,
        store_given="store_id" in given), actor=audit.key(owner.key_id))


class PhoneIn(Strict):
    phone: Annotated[str, Field(max_length=40)] | None = Field(
        description="the staff member's own phone (any usual format); null clears it")


@router.put("/{staff_id}/phone", status_code=204, responses=responses(
    errors.NotFound, errors.InvalidInput))
def set_phone(staff_id: PathId, body: PhoneIn, owner: Owner, rt: RuntimeDep) -> Response:
    """The staff member's own phone, kept so that the fraud scan flags members who share it
    (``/v1/admin/analytics/fraud``)."""
    staff_access.set_phone(rt, owner.tenant_id, staff_id, body.phone)
    return Response(status_code=204)


@router.delete("/{staff_id}", status_code=204, responses=responses(errors.NotFound,
                                                                   errors.Conflict))
def remove(staff_id: PathId, owner: Owner, rt: RuntimeDep) -> Response:
    """Take the staff member's access away: no more sign-in, every session ends now. The
    business's last active owner stays (409)."""
    staff_access.remove(rt, owner.tenant_id, staff_id, by_staff_id=None,
                        actor=audit.key(owner.key_id))
    return Response(status_code=204)

