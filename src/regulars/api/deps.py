"""Typed dependencies: the runtime, the calling principal, the idempotency key.

They are ``async``: FastAPI runs a plain ``def`` dependency in the thread pool, a hand-off
to a worker thread and back per dependency, four of them before a commit's endpoint even
started. None of these waits on anything, except reading an API key the process does not
remember yet, which goes to the thread pool as a sync endpoint would.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from starlette.concurrency import run_in_threadpool

from regulars.api.schemas import MAX_ID
from regulars.errors import InvalidInput, TooManyAttempts, Unauthorized
from regulars.services.runtime import Runtime
from regulars.services.tenancy import throttle
from regulars.services.tenancy.api_keys import Principal, authenticate, remembered


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def runtime_of(request: Request) -> Runtime:
    """The app's runtime, for a hot route that takes the request rather than
    :data:`RuntimeDep`: FastAPI solves each dependency of every request anew (some sixty
    calls), the request it hands over as it is."""
    runtime: Runtime = request.app.state.runtime
    return runtime


bearer = HTTPBearer(
    scheme_name="apiKey", auto_error=False,
    description="An API key: `Authorization: Bearer <key>`. Each operation lists the scopes "
                "that may call it; a key needs one of them (owner keys: admin, analytics, "
                "events; till keys: pos).")


async def get_scoped(
        security_scopes: SecurityScopes, request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> Principal:
    """The key's principal if it has one of the route's scopes, else 403. One dependency
    (with the bearer scheme under it) rather than a chain of them: FastAPI resolves each
    dependency of every request anew."""
    principal = await principal_of(request.app.state.runtime, request, credentials)
    principal.require_scope(security_scopes.scopes)
    return principal


async def principal_of(runtime: Runtime, request: Request,
                       credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The key's principal. A client whose keys failed too often gets 429 (Retry-After)
    without its key being looked at, until its delay has run (services.throttle)."""
    token = credentials.credentials.strip() if credentials is not None else None
    found = remembered(runtime, token)
    if found is not None:
        return found
    keys = {"api:" + (request.client.host if request.client else ""):
            throttle.api_client(runtime.settings.api_auth_failures_free)}
    wait = runtime.throttle.wait_seconds(keys, runtime.now())
    if wait:
        raise TooManyAttempts("too many requests with a wrong key; try again in %(seconds)s "
                              "seconds", retry_after_seconds=wait, params={"seconds": wait})
    try:
        return await run_in_threadpool(authenticate, runtime, token)
    except Unauthorized:
        runtime.throttle.take(keys, runtime.now())
        raise


async def get_idempotency_key(
        idempotency_key: Annotated[str, Header(alias="Idempotency-Key")] = "") -> str:
    # ``str`` with an empty default, not ``str | None``: FastAPI looks into a union's members
    # on every request (about a hundred calls); the document declares the header either way.
    if not idempotency_key or not 1 <= len(idempotency_key) <= 200:
        raise InvalidInput("the Idempotency-Key header is required (1 to 200 characters)",
                           field="Idempotency-Key")
    return idempotency_key


Till = Annotated[Principal, Security(get_scoped, scopes=["pos"])]
"""A till key (scope ``pos``)."""
Owner = Annotated[Principal, Security(get_scoped, scopes=["admin"])]
"""An owner key with the scope ``admin``."""
Reader = Annotated[Principal, Security(get_scoped, scopes=["admin", "analytics"])]
"""An owner key that may read: ``admin`` or ``analytics``."""
EventSender = Annotated[Principal, Security(get_scoped, scopes=["admin", "events"])]
"""An owner key that may post events: ``admin`` or ``events``."""
IdempotencyKey = Annotated[str, Depends(get_idempotency_key)]

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""An id in a path: a positive 64-bit integer, else 422 before the database is asked."""
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]


ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
"""The pattern of a calendar day in a query (``from``, ``to``)."""


def query_day(text: str | None, field: str) -> date | None:
    """A calendar day written ``YYYY-MM-DD`` (a number is no day: 422 naming ``field``)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput("%(field)s: not a day (YYYY-MM-DD)", field=field,
                           params={"field": field}) from exc
