"""The business as its owner sets it: name, language (a locale such as ``ru_RU``), time zone
(IANA), the two colours of the customer page and its logo.

Every change is on the audit trail in its own transaction. The currency and the country of
phone numbers are fixed when the business is made (the ledger's money is in that currency).
The name, language and time zone are read on every request from a copy kept a few seconds
(:func:`regulars.services.tenancy.tenants.get_tenant`); the brand likewise (:func:`brand`).

Failure modes: :class:`InvalidInput` naming ``name``, ``locale``, ``timezone``,
``brand_colour``, ``header_colour`` or ``logo``; :class:`NotFound` for an unknown business or
a business without a logo (:func:`logo`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from regulars.db.analytics import days as day_totals
from regulars.db.checkout import receipts as receipt_store
from regulars.db.engine import forget, remembered
from regulars.db.rewards import costs as reward_costs
from regulars.db.tenancy import brand as store
from regulars.db.tenancy import tenancy
from regulars.domain.tenancy import brand as rules
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant, validate_settings

NAME_MAX = 200
DEFAULT_BRAND = "#0f766e"
"""Regulars' own colours (``--brand`` and the header's ``--ink`` in regulars.css)."""
DEFAULT_HEADER = rules.INK
LOGO_MAX_BYTES = rules.LOGO_MAX_BYTES
BRAND_SECONDS = 5.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Business:
    """The business's settings; ``logo_version`` names the current logo (none: no logo)."""

    id: int
    name: str
    currency: str
    locale: str
    timezone: str
    phone_region: str
    brand_colour: str | None
    header_colour: str | None
    logo_type: str | None
    logo_version: str | None
    updated_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Changes:
    """What to change; ``None`` leaves a setting as it is, an empty colour goes back to
    Regulars' own."""

    name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    brand_colour: str | None = None
    header_colour: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Brand:
    """What the customer page draws with: its colours and the logo's version."""

    palette: rules.Palette
    logo_version: str | None

    @property
    def colours_version(self) -> str:
        """Changes with any of the colours (the stylesheet's URL carries it)."""
        p = self.palette
        return "".join(c.lstrip("#") for c in (p.brand, p.link, p.header))


@dataclass(frozen=True, kw_only=True, slots=True)
class Logo:
    content_type: str
    data: bytes
    version: str


def get(rt: Runtime, tenant_id: int) -> Business:
    tenant = get_tenant(rt, tenant_id)
    with rt.db.read() as conn:
        row = store.get_brand(conn, tenant_id) or {}
    return Business(id=tenant.id, name=tenant.name, currency=tenant.currency,
                    locale=tenant.locale, timezone=tenant.timezone,
                    phone_region=tenant.phone_region, brand_colour=row.get("brand_colour"),
                    header_colour=row.get("header_colour"), logo_type=row.get("logo_type"),
                    logo_version=_version(row.get("logo_sha256")),
                    updated_at=row.get("updated_at"))


def _version(sha256: str | None) -> str | None:
    return sha256[:16] if sha256 else None


def _colour(text: str | None, field: str) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return rules.parse_colour(text)
    except rules.BadColour as exc:
        raise InvalidInput("enter a colour like #0f766e", field=field) from exc


def problems(changes: Changes) -> list[InvalidInput]:
    """Every problem of ``changes`` at once (a form shows each beside its field)."""
    found: list[InvalidInput] = []
    if changes.name is not None and not changes.name.strip():
        found.append(InvalidInput("enter the name of the business", field="name"))
    if changes.name is not None and len(changes.name.strip()) > NAME_MAX:
        found.append(InvalidInput("at most %(count)s characters", field="name",
                                  params={"count": NAME_MAX}))
    for field, value in (("locale", changes.locale), ("timezone", changes.timezone)):
        if value is None:
            continue
        try:
            _check_one(field, value)
        except InvalidInput as exc:
            found.append(exc)
    for field, value in (("brand_colour", changes.brand_colour),
                         ("header_colour", changes.header_colour)):
        try:
            _colour(value, field)
        except InvalidInput as exc:
            found.append(exc)
    return found


def _check_one(field: str, value: str) -> None:
    known = {"currency": "EUR", "locale": "en_GB", "timezone": "UTC", "phone_region": "GB"}
    validate_settings(**{**known, field: value.strip()})


def update(rt: Runtime, tenant_id: int, changes: Changes, *, actor: audit.Actor) -> Business:
    """Apply ``changes`` (all checked before anything is written); raises the first of
    :func:`problems`."""
    found = problems(changes)
    if found:
        raise found[0]
    before = get(rt, tenant_id)
    name = changes.name.strip() if changes.name is not None else before.name
    locale = changes.locale.strip() if changes.locale is not None else before.locale
    zone = changes.timezone.strip() if changes.timezone is not None else before.timezone
    colours = {field: _colour(value, field) for field, value in
               (("brand_colour", changes.brand_colour),
                ("header_colour", changes.header_colour)) if value is not None}
    now = rt.now()
    with rt.db.write() as conn:
        if tenancy.update_tenant(conn, tenant_id, name=name, locale=locale,
                                 timezone=zone) != 1:
            raise NotFound("tenant not found")
        if colours:
            store.put_brand(conn, tenant_id, now=now, **colours)
        if zone != before.timezone:  # level spend and daily figures are kept per local day
            receipt_store.rebuild_spend_days(conn, tenant_id, ZoneInfo(zone))
            day_totals.rebuild(conn, tenant_id, ZoneInfo(zone),
                               reward_costs.rewards_by_receipt(conn, tenant_id))
        audit.record(conn, tenant_id, actor, "settings.business", "business", at=now,
                     name=name, locale=locale, timezone=zone, **colours,
                     was=[before.name, before.locale, before.timezone, before.brand_colour,
                          before.header_colour])
    _forget(rt, tenant_id)
    return get(rt, tenant_id)


def logo_problem(data: bytes) -> InvalidInput | None:
    """What is wrong with ``data`` as a logo, if anything (a form shows it beside the file
    field together with the other fields' problems)."""
    try:
        rules.logo_type(data)
    except rules.BadLogo as exc:
        messages = {"empty": "choose an image file",
                    "too large": "the image is larger than %(kib)s KiB",
                    "not an image": "choose a PNG, JPEG, WebP or GIF image"}
        return InvalidInput(messages[exc.reason], field="logo",
                            params={"kib": rules.LOGO_MAX_BYTES // 1024})
    return None


def set_logo(rt: Runtime, tenant_id: int, data: bytes, *, actor: audit.Actor) -> Business:
    """Keep ``data`` as the logo (PNG, JPEG, WebP or GIF, at most
    :data:`regulars.domain.tenancy.brand.LOGO_MAX_BYTES`); raises :func:`logo_problem`."""
    problem = logo_problem(data)
    if problem is not None:
        raise problem
    content_type = rules.logo_type(data)
    digest = hashlib.sha256(data).hexdigest()
    get_tenant(rt, tenant_id)
    now = rt.now()
    with rt.db.write() as conn:
        store.put_brand(conn, tenant_id, now=now, logo_type=content_type, logo=data,
                        logo_sha256=digest)
        audit.record(conn, tenant_id, actor, "settings.logo", "business", at=now,
                     content_type=content_type, bytes=len(data), sha256=digest)
    _forget(rt, tenant_id)
    return get(rt, tenant_id)


def remove_logo(rt: Runtime, tenant_id: int, *, actor: audit.Actor) -> Business:
    get_tenant(rt, tenant_id)
    now = rt.now()
    with rt.db.write() as conn:
        store.put_brand(conn, tenant_id, now=now, logo_type=None, logo=None, logo_sha256=None)
        audit.record(conn, tenant_id, actor, "settings.logo", "business", at=now,
                     content_type=None)
    _forget(rt, tenant_id)
    return get(rt, tenant_id)


def logo(rt: Runtime, tenant_id: int) -> Logo:
    with rt.db.read() as conn:
        found = store.get_logo(conn, tenant_id)
    if found is None:
        raise NotFound("no logo")
    content_type, data, digest = found
    return Logo(content_type=content_type, data=data, version=digest[:16])


def brand(rt: Runtime, tenant_id: int) -> Brand:
    """The customer page's colours and logo version, kept :data:`BRAND_SECONDS`."""

    def read() -> Brand:
        with rt.db.read() as conn:
            row = store.get_brand(conn, tenant_id) or {}
        return Brand(palette=rules.palette(brand_colour=row.get("brand_colour"),
                                           header_colour=row.get("header_colour"),
                                           default_brand=DEFAULT_BRAND,
                                           default_header=DEFAULT_HEADER),
                     logo_version=_version(row.get("logo_sha256")))

    return remembered(rt.db.engine, ("brand", tenant_id), BRAND_SECONDS, read)


def _forget(rt: Runtime, tenant_id: int) -> None:
    forget(rt.db.engine, ("brand", tenant_id))
    forget(rt.db.engine, ("tenant", tenant_id))
