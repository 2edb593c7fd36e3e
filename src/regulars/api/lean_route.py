"""A route class for the till's hottest routes: an ordinary request skips FastAPI's solving of
dependencies, which it does anew for every request (cache keys, scope checks and parameter
passes for each dependency, the body decoded into Python objects and validated from them).

A route qualifies when its endpoint is a plain function returning a ``Response`` and takes
nothing but one JSON body model, the calling principal (:data:`regulars.api.deps.Till` and its
kin), optionally the ``Idempotency-Key`` header and the request. For such a route an ordinary
request (an ``application/json`` body that the model validates) has its body validated straight
from its bytes, and its principal and key computed by the same dependency functions FastAPI
would call, in the same order. Anything else (no body, another content type, a body that does
not validate, a body that could not be read) goes through FastAPI's own handler, so every
error answers exactly as before. Any other route gets FastAPI's handler unchanged; the route's
dependant, and so ``/openapi.json``, is FastAPI's either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from inspect import iscoroutinefunction
from typing import Any, get_type_hints

from fastapi import HTTPException, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _effective_route_context_var
from fastapi.security import SecurityScopes
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from regulars.api.deps import bearer, get_idempotency_key, get_scoped

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_Value = Callable[[Request], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class LeanPlan:
    """What an ordinary request of a qualifying route needs: the body's parameter and model,
    each dependency's parameter with the function computing it, the request's parameter."""

    endpoint: Callable[..., Response]
    body_name: str
    body_model: type[BaseModel]
    dependencies: tuple[tuple[str, _Value], ...]
    request_name: str | None

    async def values(self, request: Request) -> dict[str, Any] | None:
        """The endpoint's arguments, or ``None`` when FastAPI's handler should answer. The
        dependencies raise as they do under FastAPI (a wrong key, a missing header)."""
        try:
            body = await request.body()
        except HTTPException:
            raise
        except Exception:  # FastAPI's handler turns a failed read into its own answer
            return None
        content_type = request.headers.get("content-type", "")
        if not body or content_type.partition(";")[0].strip().lower() != "application/json":
            return None
        try:
            model = self.body_model.model_validate_json(body)
        except Exception:  # ValidationError, or a validator's own error: FastAPI raises each
            return None    # only once the principal is known
        values: dict[str, Any] = {self.body_name: model}
        for name, compute in self.dependencies:
            values[name] = await compute(request)
        if self.request_name is not None:
            values[self.request_name] = request
        return values


class LeanRoute(APIRoute):
    """An ``APIRoute`` that serves ordinary requests through its :class:`LeanPlan` when it
    qualifies (see the module's docstring), and through FastAPI's handler otherwise."""

    def get_route_handler(self) -> Handler:
        full = super().get_route_handler()
        plan = lean_plan(_effective_dependant(self))
        if plan is None:
            return full

        async def handler(request: Request) -> Response:
            values = await plan.values(request)
            if values is None:
                return await full(request)
            return await run_in_threadpool(plan.endpoint, **values)

        handler.lean_plan = plan  # type: ignore[attr-defined]
        return handler


def _effective_dependant(route: APIRoute) -> Dependant:
    """The dependant FastAPI's handler is built from: an included route's own, with the
    dependencies of the routers it was included through."""
    context = _effective_route_context_var.get()
    if context is not None and context.original_route is route:
        dependant: Dependant = context.dependant
        return dependant
    return route.dependant


def lean_plan(dependant: Dependant) -> LeanPlan | None:
    """The plan for a route whose dependant qualifies, else ``None``."""
    call = dependant.call
    if (call is None or dependant.path_params or dependant.query_params
            or dependant.header_params or dependant.cookie_params
            or len(dependant.body_params) != 1 or _takes_special(dependant)
            or iscoroutinefunction(call) or get_type_hints(call).get("return") is not Response):
        return None
    (body,) = dependant.body_params
    model = body.field_info.annotation
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or body.alias != body.name:
        return None
    dependencies = []
    for sub in dependant.dependencies:
        compute = _compute(sub)
        if compute is None or sub.name is None:
            return None
        dependencies.append((sub.name, compute))
    return LeanPlan(endpoint=call, body_name=body.name, body_model=model,
                    dependencies=tuple(dependencies),
                    request_name=dependant.request_param_name)


def _takes_special(dependant: Dependant) -> bool:
    return any(name is not None for name in (
        dependant.websocket_param_name, dependant.http_connection_param_name,
        dependant.response_param_name, dependant.background_tasks_param_name,
        dependant.security_scopes_param_name))


def _compute(sub: Dependant) -> _Value | None:
    """How to compute a dependency the plan knows, as FastAPI would: the principal with the
    route's scopes, the Idempotency-Key header (empty when absent, as declared)."""
    if sub.call is get_scoped:
        scopes = list(dict.fromkeys([*(sub.parent_oauth_scopes or []),
                                     *(sub.own_oauth_scopes or [])]))

        async def principal(request: Request) -> Any:
            return await get_scoped(SecurityScopes(scopes=scopes), request,
                                    await bearer(request))

        return principal
    if sub.call is get_idempotency_key:

        async def key(request: Request) -> str:
            return await get_idempotency_key(request.headers.get("idempotency-key", ""))

        return key
    return None
