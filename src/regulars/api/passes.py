"""Apple's pass web service at ``/v1/passes/apple/{tenant_id}``, the ``webServiceURL`` the
business's passes carry; Apple's paths follow it (``/v1/devices/…``, ``/v1/passes/…``,
``/v1/log``). See :mod:`regulars.services.passes.web_service`.

Left out of the OpenAPI document: the protocol is Apple's, not ours (its callers are phones,
its paths, status codes and bodies are fixed by Apple, its credential is a pass's token
rather than an API key), so it is not part of the API a business integrates with. Its own
tests cover authentication, isolation between businesses and bad input
(tests/integration/test_pass_web_service.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from regulars.api.deps import PathId, RuntimeDep
from regulars.api.staff_access import public_base
from regulars.errors import Unauthorized
from regulars.services.passes import web_service

router = APIRouter(prefix="/v1/passes/apple/{tenant_id}", include_in_schema=False)

_NAME = r"^[A-Za-z0-9._-]+$"
Device = Annotated[str, Path(min_length=1, max_length=64, pattern=_NAME)]
PassType = Annotated[str, Path(min_length=1, max_length=200, pattern=_NAME)]
Serial = Annotated[str, Path(min_length=1, max_length=64, pattern=_NAME)]
AuthorizationHeader = Annotated[str | None, Header(max_length=300)]
PKPASS = "application/vnd.apple.pkpass"


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pushToken: Annotated[str, Field(min_length=1, max_length=200)]  # noqa: N815 (Apple's)


class LogIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    logs: Annotated[list[Annotated[str, StringConstraints(max_length=5000)]],
                    Field(max_length=100)]


def _token(authorization: str | None) -> str:
    """The pass token of ``Authorization: ApplePass <token>``. Raises :class:`Unauthorized`."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme != "ApplePass" or not token.strip():
        raise Unauthorized("Authorization: ApplePass <authenticationToken>")
    return token.strip()


@router.post("/v1/devices/{device}/registrations/{pass_type}/{serial}")
def register(tenant_id: PathId, device: Device, pass_type: PassType, serial: Serial,
             body: RegistrationIn, rt: RuntimeDep,
             authorization: AuthorizationHeader = None) -> Response:
    """201 when the device was registered for the pass's updates, 200 when it already was,
    401 when the token does not open the pass."""
    created = web_service.register(rt, tenant_id, device=device, pass_type_id=pass_type,
                                   serial=serial, token=_token(authorization),
                                   push_token=body.pushToken)
    return Response(status_code=201 if created else 200)


@router.delete("/v1/devices/{device}/registrations/{pass_type}/{serial}")
def unregister(tenant_id: PathId, device: Device, pass_type: PassType, serial: Serial,
               rt: RuntimeDep, authorization: AuthorizationHeader = None) -> Response:
    """200 once the device no longer gets the pass's updates, 401 for a wrong token."""
    web_service.unregister(rt, tenant_id, device=device, pass_type_id=pass_type,
                           serial=serial, token=_token(authorization))
    return Response(status_code=200)


@router.get("/v1/devices/{device}/registrations/{pass_type}")
def updated(tenant_id: PathId, device: Device, pass_type: PassType, rt: RuntimeDep,
            passesUpdatedSince: Annotated[str | None, Query(max_length=40)] = None,  # noqa: N803
            ) -> Response:
    """200 with ``serialNumbers`` and ``lastUpdated`` for the device's passes changed since
    the tag, 204 when none did."""
    found = web_service.updated_serials(rt, tenant_id, device=device, pass_type_id=pass_type,
                                        since=passesUpdatedSince)
    if not found.serials:
        return Response(status_code=204)
    return JSONResponse({"serialNumbers": list(found.serials),
                         "lastUpdated": found.last_updated})


def _since(header: str | None) -> datetime | None:
    if not header:
        return None
    try:
        parsed = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None  # not a date: answer with the pass, as HTTP says
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@router.get("/v1/passes/{pass_type}/{serial}")
def latest(tenant_id: PathId, pass_type: PassType, serial: Serial, request: Request,
           rt: RuntimeDep, authorization: AuthorizationHeader = None,
           if_modified_since: Annotated[str | None, Header(max_length=100)] = None
           ) -> Response:
    """200 with the pass as it is now (``Last-Modified``), 304 when it did not change
    since ``If-Modified-Since``, 401 for a wrong token."""
    found = web_service.latest_pass(rt, tenant_id, pass_type_id=pass_type, serial=serial,
                                    token=_token(authorization),
                                    base_url=public_base(request, rt),
                                    modified_since=_since(if_modified_since))
    headers = {"Last-Modified": format_datetime(found.modified_at.astimezone(UTC),
                                                usegmt=True)}
    if found.content is None:
        return Response(status_code=304, headers=headers)
    return Response(found.content, media_type=PKPASS, headers=headers)


@router.post("/v1/log")
def device_log(tenant_id: PathId, body: LogIn) -> Response:
    """200: the device's messages are in the application log (bounded)."""
    web_service.record_log(tenant_id, body.logs)
    return Response(status_code=200)
