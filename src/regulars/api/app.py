"""The FastAPI application: routers per audience and the one place errors become HTTP."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from regulars.api import (
    admin,
    analytics,
    audit,
    business,
    clv,
    coupons,
    events,
    feedback,
    fraud,
    goods,
    imports,
    member_messages,
    messaging,
    openapi,
    passes,
    pos,
    products,
    promotions,
    reward_catalog,
    scenarios,
    segments,
    staff_access,
    stamps,
    stored_value,
    uplift,
)
from regulars.api.admin_schemas import HealthOut, ReadinessOut
from regulars.api.body_limit import Scope
from regulars.api.edge import Edge
from regulars.config import Settings
from regulars.errors import (
    InvalidInput,
    InvalidRows,
    RegularsError,
    TooManyAttempts,
    Unavailable,
)
from regulars.services import readiness
from regulars.services.analytics import heap
from regulars.services.jobs.scheduler import Scheduler
from regulars.services.runtime import Runtime, open_runtime
from regulars.web import pages
from regulars.web.deps import SignInRequired


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The API over ``runtime`` (built from the environment's settings when not given)."""
    app = FastAPI(title="Regulars", version="0.1.0", lifespan=_lifespan,
                  description="Loyalty platform API: POS checkout (quote → commit → refund) "
                              "for tills, and administration for owners.")
    app.state.runtime = runtime
    app.include_router(pos.router)
    app.include_router(admin.router)
    app.include_router(business.router)
    app.include_router(staff_access.router)
    app.include_router(promotions.router)
    app.include_router(promotions.budget_router)
    app.include_router(coupons.router)
    app.include_router(segments.router)
    app.include_router(products.router)
    app.include_router(reward_catalog.router)
    app.include_router(events.router)
    app.include_router(stored_value.router)
    app.include_router(stored_value.pos_router)
    app.include_router(goods.router)
    app.include_router(goods.pos_router)
    app.include_router(messaging.router)
    app.include_router(member_messages.router)
    app.include_router(analytics.router)
    app.include_router(uplift.router)
    app.include_router(uplift.experiments_router)
    app.include_router(fraud.router)
    app.include_router(clv.router)
    app.include_router(scenarios.router)
    app.include_router(audit.router)
    app.include_router(imports.router)
    app.include_router(stamps.router)
    app.include_router(feedback.router)
    app.include_router(passes.router)

    pages.mount(app)
    app.include_router(_meta)
    # FastAPI adds its document and docs pages first, and every request was matched against
    # them before the till's routes; no other route answers their paths, so they go last.
    app.router.routes.sort(key=lambda route: getattr(route, "path", None) in _DOCS_PATHS)
    app.add_middleware(Edge, limits_of=_edge_limits)

    app.add_exception_handler(RegularsError, _regulars_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(SignInRequired, _sign_in_required)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]

    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    opened = getattr(app.state, "runtime", None) is None  # a server process of its own
    jobs: Scheduler | None = None
    if opened:
        heap.settle_large_blocks()  # the reports' member-wide arrays, unmapped once freed
        app.state.runtime = open_runtime()
        settings = app.state.runtime.settings
        if settings.scheduler:  # each process may run one: the jobs' locks keep runs single
            jobs = Scheduler(app.state.runtime, poll_seconds=settings.scheduler_poll_seconds)
            jobs.start()
        if settings.gc_freeze:
            gc.collect()
            gc.freeze()
    yield
    if jobs is not None:
        jobs.stop()
    if opened:  # the connections it opened close with it
        app.state.runtime.close()


_DOCS_PATHS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
_meta = APIRouter(tags=["meta"])


@_meta.get("/v1/health", response_model=HealthOut)
def health() -> HealthOut:
    """A trivial endpoint: no database, no auth (the benchmark's baseline)."""
    return HealthOut(status="ok")


@_meta.get("/v1/ready", response_model=ReadinessOut, responses={
    503: {"description": "Not ready", "model": ReadinessOut}})
def ready(request: Request) -> JSONResponse:
    """Whether this process can serve: the database answers and its schema is current.
    200 when it can, 503 with the reason when it cannot. No auth (for load balancers)."""
    found = readiness.check(request.app.state.runtime)
    return JSONResponse({"status": "ready" if found.ready else "not ready",
                         "reason": found.reason, "schema": found.schema,
                         "expected_schema": found.expected_schema},
                        status_code=200 if found.ready else 503)


async def _regulars_error(request: Request, exc: RegularsError) -> Response:
    if pages.is_page(request):
        return pages.error_page(request, exc)
    body: dict[str, Any] = {"error": exc.code, "detail": exc.detail}
    if exc.field:
        body["field"] = exc.field
    if isinstance(exc, InvalidRows):  # each bad row of an import file
        body["rows"] = [{"row": row, "column": column, "reason": reason}
                        for row, column, reason in exc.problems[:1000]]
    headers = None
    if isinstance(exc, TooManyAttempts | Unavailable):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return JSONResponse(body, status_code=exc.status, headers=headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """An unknown API path or method answers in the API's error shape; a 405 lists every
    method the path has (not only those of the first route that matched it)."""
    if not request.url.path.startswith("/v1/"):
        return await http_exception_handler(request, exc)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(openapi.methods_at(request.app, request.url.path))
    if exc.status_code == 400:
        # A body that could not be read at all (not JSON, not text): bad input like any.
        return JSONResponse({"error": "invalid_input", "detail": f"body: {exc.detail}",
                             "field": "body"}, status_code=422)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
    return JSONResponse({"error": code, "detail": str(exc.detail)},
                        status_code=exc.status_code, headers=headers)


async def _sign_in_required(request: Request, exc: SignInRequired) -> Response:
    return pages.sign_in_redirect(request, exc)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if pages.is_page(request):
        # The validator's own words are English only and name no field a person can see.
        return pages.error_page(request, InvalidInput(
            "this address is not one the pages make: check the link or go back"))
    errors = [
        {"field": ".".join(str(p) for p in err["loc"] if p not in ("body",)) or "body",
         "reason": err["msg"]}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "reason": "invalid request"}
    return JSONResponse({"error": "invalid_input",
                         "detail": f"{first['field']}: {first['reason']}",
                         "field": first["field"], "errors": errors}, status_code=422)


IMPORT_PATHS = ("/v1/admin/imports/", "/console/imports")


def _edge_limits(scope: Scope) -> tuple[int, bool]:
    """The runtime's cap on a request body (uploads of files to import have their own) and
    whether to believe ``X-Forwarded-Proto``; read per request: a server process opens its
    runtime at start-up."""
    settings: Settings = scope["app"].state.runtime.settings
    if scope.get("path", "").startswith(IMPORT_PATHS):
        return settings.max_import_bytes, settings.trust_forwarded_proto
    return settings.max_body_bytes, settings.trust_forwarded_proto
