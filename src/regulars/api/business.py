"""``/v1/admin/business``: the business's name, language, time zone and the customer page's
colours (the logo is uploaded in the console)."""

from __future__ import annotations

from fastapi import APIRouter

from regulars import errors
from regulars.api.business_schemas import BusinessIn, BusinessOut
from regulars.api.deps import Owner, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.services.audit import audit
from regulars.services.tenancy import business
from regulars.services.tenancy.business import Business, Changes

router = APIRouter(prefix="/v1/admin", tags=["admin"])


def _out(found: Business) -> BusinessOut:
    logo_url = (f"/c/{found.id}/logo?v={found.logo_version}" if found.logo_version else None)
    return BusinessOut(id=found.id, name=found.name, currency=found.currency,
                       locale=found.locale, timezone=found.timezone,
                       phone_region=found.phone_region, brand_colour=found.brand_colour,
                       header_colour=found.header_colour, logo_type=found.logo_type,
                       logo_url=logo_url, updated_at=found.updated_at)


@router.get("/business", response_model=BusinessOut)
def get_business(owner: Reader, rt: RuntimeDep) -> BusinessOut:
    return _out(business.get(rt, owner.tenant_id))


@router.patch("/business", response_model=BusinessOut,
              responses=responses(errors.InvalidInput))
def patch_business(body: BusinessIn, owner: Owner, rt: RuntimeDep) -> BusinessOut:
    """Change the name, language, time zone or colours (on the audit trail); every other
    setting stays as it is."""
    changes = Changes(name=body.name, locale=body.locale, timezone=body.timezone,
                      brand_colour=body.brand_colour, header_colour=body.header_colour)
    return _out(business.update(rt, owner.tenant_id, changes, actor=audit.key(owner.key_id)))
