"""The business's look on the customer page: ``/c/{tenant_id}/brand.css``, a stylesheet that
only sets custom properties (regulars.css draws with them; the policy forbids inline styles),
and ``/c/{tenant_id}/logo``, the logo with the content type it was recognised as. Both are
public; with the version the page links them with (``?v=``), browsers keep them for a year,
since a change makes a new version."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from regulars.services.tenancy import business
from regulars.services.tenancy.business import Brand
from regulars.services.tenancy.tenants import get_tenant
from regulars.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
KEEP = "public, max-age=31536000, immutable"
CHECK = "no-cache"


def stylesheet(brand: Brand) -> str:
    p = brand.palette
    return (f"body.customer {{ --brand: {p.brand}; --brand-ink: {p.brand_ink}; "
            f"--link: {p.link}; --header: {p.header}; --header-ink: {p.header_ink}; }}\n")


@router.get("/{tenant_id}/brand.css")
def brand_css(runtime: RuntimeDep, tenant_id: int, v: str = "") -> Response:
    get_tenant(runtime, tenant_id)  # 404 for an unknown business
    brand = business.brand(runtime, tenant_id)
    cache = KEEP if v == brand.colours_version else CHECK
    return Response(stylesheet(brand), media_type="text/css",
                    headers={"Cache-Control": cache})


@router.get("/{tenant_id}/logo")
def logo(runtime: RuntimeDep, tenant_id: int, v: str = "") -> Response:
    found = business.logo(runtime, tenant_id)
    cache = KEEP if v == found.version else CHECK
    return Response(found.data, media_type=found.content_type,
                    headers={"Cache-Control": cache, "Content-Disposition": "inline"})
