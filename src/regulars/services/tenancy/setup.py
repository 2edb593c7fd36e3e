"""First-run set-up from the console: the business and its owner's account, in one step.

Allowed only while the server has no business yet (afterwards owners add staff, stores and
tills from the console, and new businesses come from ``regulars tenant create``).
"""

from __future__ import annotations

from dataclasses import dataclass

from regulars.errors import Conflict, InvalidInput
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.web_sessions import sessions as web_auth
from regulars.services.web_sessions.sessions import NewSession


@dataclass(frozen=True, kw_only=True)
class FirstRun:
    business: str
    currency: str
    locale: str
    timezone: str
    phone_region: str
    owner_name: str
    email: str
    password: str


def first_run(rt: Runtime, form: FirstRun) -> NewSession:
    """Create the business with its owner (who can sign in with ``email`` and ``password``,
    which is on the audit trail as set by the owner) and return the owner's console
    session. Raises :class:`InvalidInput` naming the field."""
    if web_auth.tenant_exists(rt):
        raise Conflict("this server already has a business; sign in instead")
    # In the order of the form, so the first error is the first wrong field.
    if not form.business.strip():
        raise InvalidInput("enter the business's name", field="business")
    tenants.validate_settings(currency=form.currency, locale=form.locale,
                              timezone=form.timezone, phone_region=form.phone_region)
    if not form.owner_name.strip():
        raise InvalidInput("enter your name", field="owner_name")
    if "@" not in form.email or len(form.email) > 254:
        raise InvalidInput("enter an e-mail address", field="email")
    web_auth.check_password(form.password)
    created = tenants.create_tenant(rt, name=form.business, currency=form.currency,
                                    locale=form.locale, timezone=form.timezone,
                                    phone_region=form.phone_region)
    owner = tenants.create_staff(rt, created.tenant_id, name=form.owner_name.strip(),
                                 email=form.email.strip(), role="owner", store_id=None,
                                 actor=audit.SYSTEM)
    web_auth.set_password(rt, created.tenant_id, owner.id, form.password,
                          actor=audit.staff(owner.id))
    return web_auth.staff_sign_in(rt, email=form.email, password=form.password,
                                  tenant_id=created.tenant_id)
