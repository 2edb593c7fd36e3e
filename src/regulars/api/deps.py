"""Typed dependencies: the runtime, the calling principal, the idempotency key.

They are ``async``: FastAPI runs a plain ``def`` dependency in the thread pool, a hand-off
to a worker thread and back per dependency, four of them before a commit's endpoint even
started. None of these waits on anything, except reading an API key the process does not
remember yet, which goes to the thread pool as a sync endpoint would.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from regulars.api.schemas import MAX_ID
from regulars.errors import Forbidden, InvalidInput, TooManyAttempts, Unauthorized
from regulars.services.runtime import Runtime
from regulars.services.tenancy import throttle
from regulars.services.tenancy.api_keys import Principal, authenticate, remembered


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_principal(request: Request, runtime: RuntimeDep,
                        authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The key's principal. A client whose keys failed too often gets 429 (Retry-After)
    without its key being looked at, until its delay has run (services.throttle)."""
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
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


async def get_till(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.kind != "till":
        raise Forbidden("this call needs a till key")
    return principal


async def get_owner(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.kind != "owner":
        raise Forbidden("this call needs an owner key")
    return principal


async def get_idempotency_key(
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> str:
    if not idempotency_key or not 1 <= len(idempotency_key) <= 200:
        raise InvalidInput("the Idempotency-Key header is required (1 to 200 characters)",
                           field="Idempotency-Key")
    return idempotency_key


Till = Annotated[Principal, Depends(get_till)]
Owner = Annotated[Principal, Depends(get_owner)]
IdempotencyKey = Annotated[str, Depends(get_idempotency_key)]

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""An id in a path: a positive 64-bit integer, else 422 before the database is asked."""
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
