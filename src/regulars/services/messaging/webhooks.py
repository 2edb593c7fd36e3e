"""Webhooks: a tenant's subscriptions to its events, delivered at least once, signed the
Standard Webhooks way, with exponential backoff for up to three days.

The ``webhooks`` job fans each new event out to the endpoints subscribed to its type (one
pending delivery per endpoint and event), then sends the due deliveries: each is claimed in a
transaction, POSTed outside any, and marked delivered on a 2xx answer or given another
attempt. A worker killed between the POST and the mark sends the delivery again once its claim
lapses, with the same ``webhook-id``, so the receiver can tell a repeat.

Outbound addresses are checked when an endpoint is saved and again before each delivery:
only ``http``/``https`` to public addresses, unless the operator allows private ones
(``REGULARS_WEBHOOK_PRIVATE_ADDRESSES_ALLOWED``). A delivery looks its host up once, checks
every address found and connects to a checked one (the ``Host`` header and the TLS server
name staying the host's), so a name that answers differently a moment later cannot steer it
to a private address.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from regulars.db.messaging import events as event_store
from regulars.db.messaging import webhooks as store
from regulars.db.tenancy import tenancy
from regulars.domain.messaging import webhooks as signing
from regulars.domain.messaging.delivery import WEBHOOKS
from regulars.errors import InvalidInput, NotFound
from regulars.services.messaging.events import TYPES, event_of
from regulars.services.results import to_json
from regulars.services.runtime import Runtime

log = logging.getLogger("regulars.webhooks")

CLAIM = timedelta(minutes=2)
ROTATION_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    created_at: datetime
    previous_secret_until: datetime | None


@dataclass(frozen=True, kw_only=True)
class EndpointWithSecret:
    endpoint: Endpoint
    secret: str
    """Shown once, when the endpoint is made or its secret rotated."""


@dataclass(frozen=True, kw_only=True)
class Delivery:
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None


def check_url(rt: Runtime, url: str, *, field: str = "url") -> None:
    """Refuse an address a webhook may not go to (see the module's docstring)."""
    parsed = _parsed(url, field=field)
    if not rt.settings.webhook_private_addresses_allowed:
        _addresses(rt, parsed, field=field)


def _parsed(url: str, *, field: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise InvalidInput("the URL must start with https:// (or http://) and name a host",
                           field=field)
    return parsed


def _addresses(rt: Runtime, parsed: httpx.URL, *, field: str) -> list[str]:
    """The host's addresses, looked up once, each of them public unless the operator allows
    private ones."""
    host = parsed.raw_host.decode("ascii")
    try:
        found = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            found = rt.resolver(host)
        except (OSError, UnicodeError) as exc:
            raise InvalidInput("the URL's host does not resolve", field=field) from exc
    if not found:
        raise InvalidInput("the URL's host does not resolve", field=field)
    if not rt.settings.webhook_private_addresses_allowed and not all(
            signing.is_public(address) for address in found):
        raise InvalidInput("the URL's host is a loopback, link-local or private address",
                           field=field)
    return found


def _post(rt: Runtime, url: str, *, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST to an address the check passed, never to one a second lookup gives (a name can
    answer a public address to the check and a private one a moment later): the connection
    goes to the checked IP, the ``Host`` header and, over https, the server name sent and
    verified in the certificate stay the URL's host. The addresses are tried in turn while
    they cannot be connected to; proxies set in the environment are not used."""
    parsed = _parsed(url, field="url")
    addresses = _addresses(rt, parsed, field="url")
    pinned = {**headers, "host": parsed.netloc.decode("ascii")}
    extensions = {"sni_hostname": parsed.raw_host.decode("ascii")}
    # No proxy from the environment: through a proxy's tunnel the certificate would be
    # checked against the address, not the name. SSL_CERT_FILE and SSL_CERT_DIR still count.
    with httpx.Client(timeout=rt.settings.webhook_timeout_seconds, follow_redirects=False,
                      trust_env=False, verify=httpx.create_ssl_context()) as client:
        for address in addresses[:-1]:
            try:
                return client.post(parsed.copy_with(host=address), content=body,
                                   headers=pinned, extensions=extensions)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                continue
        return client.post(parsed.copy_with(host=addresses[-1]), content=body,
                           headers=pinned, extensions=extensions)


def _types(event_types: list[str]) -> list[str]:
    if not event_types:
        raise InvalidInput("choose at least one event type (or \"*\" for all)",
                           field="event_types")
    for name in event_types:
        if name != "*" and name not in TYPES:
            raise InvalidInput(f"unknown event type {name!r}", field="event_types")
    return sorted(set(event_types))


def _endpoint(row: dict[str, Any]) -> Endpoint:
    return Endpoint(**row)


def create(rt: Runtime, tenant_id: int, *, url: str, event_types: list[str],
           description: str = "") -> EndpointWithSecret:
    chosen = _types(event_types)
    check_url(rt, url)
    secret = signing.new_secret()
    with rt.db.write() as conn:
        endpoint_id = store.create(conn, tenant_id, url=url, description=description,
                                   event_types=chosen, secret=secret, now=rt.now())
        row = store.get(conn, tenant_id, endpoint_id)
    assert row is not None
    return EndpointWithSecret(endpoint=_endpoint(row), secret=secret)


def list_endpoints(rt: Runtime, tenant_id: int) -> list[Endpoint]:
    with rt.db.read() as conn:
        return [_endpoint(r) for r in store.list_endpoints(conn, tenant_id)]


def get(rt: Runtime, tenant_id: int, endpoint_id: int) -> Endpoint:
    with rt.db.read() as conn:
        row = store.get(conn, tenant_id, endpoint_id)
    if row is None:
        raise NotFound("no such webhook endpoint")
    return _endpoint(row)


def update(rt: Runtime, tenant_id: int, endpoint_id: int, *, url: str | None = None,
           event_types: list[str] | None = None, active: bool | None = None,
           description: str | None = None) -> Endpoint:
    values: dict[str, Any] = {}
    if event_types is not None:
        values["event_types"] = _types(event_types)
    if url is not None:
        check_url(rt, url)
        values["url"] = url
    if active is not None:
        values["active"] = active
    if description is not None:
        values["description"] = description
    with rt.db.write() as conn:
        if not (store.change(conn, tenant_id, endpoint_id, values) if values
                else store.get(conn, tenant_id, endpoint_id)):
            raise NotFound("no such webhook endpoint")
    return get(rt, tenant_id, endpoint_id)


def rotate_secret(rt: Runtime, tenant_id: int, endpoint_id: int) -> EndpointWithSecret:
    """A new secret; the previous one keeps signing too for :data:`ROTATION_OVERLAP`, so the
    receiver can switch without losing a delivery."""
    secret = signing.new_secret()
    with rt.db.write() as conn:
        if not store.rotate(conn, tenant_id, endpoint_id, secret=secret,
                            overlap_until=rt.now() + ROTATION_OVERLAP):
            raise NotFound("no such webhook endpoint")
    return EndpointWithSecret(endpoint=get(rt, tenant_id, endpoint_id), secret=secret)


def deliveries(rt: Runtime, tenant_id: int, endpoint_id: int, *, limit: int = 50,
               before_id: int | None = None) -> list[Delivery]:
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must lie between 1 and 500", field="limit")
    get(rt, tenant_id, endpoint_id)
    with rt.db.read() as conn:
        rows = store.deliveries(conn, tenant_id, endpoint_id, limit=limit, before_id=before_id)
    return [Delivery(**{**r, "event_id": f"evt_{r['event_id']}",
                        "next_attempt_at": r["next_attempt_at"] if r["status"] == "pending"
                        else None}) for r in rows]


def redeliver(rt: Runtime, tenant_id: int, endpoint_id: int, delivery_id: int) -> None:
    """Send a delivery again at the next run (also one given up or already delivered)."""
    with rt.db.write() as conn:
        if not store.redeliver(conn, tenant_id, endpoint_id, delivery_id, rt.now()):
            raise NotFound("no such delivery")


# The job -------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class RunReport:
    fanned_out: int
    delivered: int
    retrying: int
    failed: int


def run(rt: Runtime, *, batch_size: int = 500) -> RunReport:
    """Fan out new events, then send every due delivery, for every tenant."""
    counts = {"fanned": 0, "delivered": 0, "pending": 0, "failed": 0, "busy": 0}
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    for tenant_id in tenant_ids:
        counts["fanned"] += fan_out(rt, tenant_id, batch_size=batch_size)
        while True:
            with rt.db.read() as conn:
                due = store.due_ids(conn, tenant_id, rt.now(), batch_size)
            for delivery_id in due:
                counts[deliver(rt, tenant_id, delivery_id)] += 1
            if len(due) < batch_size:
                break
    return RunReport(fanned_out=counts["fanned"], delivered=counts["delivered"],
                     retrying=counts["pending"], failed=counts["failed"])


def fan_out(rt: Runtime, tenant_id: int, *, batch_size: int = 500) -> int:
    """A pending delivery for each new event and each active endpoint subscribed to its type;
    the events are marked dispatched in the same transaction."""
    queued = 0
    while True:
        with rt.db.write() as conn:
            found = event_store.undispatched(conn, tenant_id, batch_size)
            if not found:
                return queued
            endpoints = store.active_endpoints(conn, tenant_id)
            pairs = [(ep["id"], ev["id"]) for ev in found for ep in endpoints
                     if "*" in ep["event_types"] or ev["type"] in ep["event_types"]]
            store.queue_deliveries(conn, tenant_id, pairs, rt.now())
            event_store.mark_dispatched(conn, tenant_id, [ev["id"] for ev in found], rt.now())
        queued += len(pairs)


def _secrets(claimed: dict[str, Any], now: datetime) -> list[str]:
    found = [claimed["secret"]]
    until = claimed["previous_secret_until"]
    if claimed["previous_secret"] and until is not None and until > now:
        found.append(claimed["previous_secret"])
    return found


def deliver(rt: Runtime, tenant_id: int, delivery_id: int) -> str:
    """Send one due delivery; return its status after (``delivered``, ``pending`` for
    another attempt, ``failed`` given up, ``busy`` when another sender has it)."""
    now = rt.now()
    with rt.db.write() as conn:
        claimed = store.claim(conn, tenant_id, delivery_id, now=now, until=now + CLAIM)
        event = event_store.get(conn, tenant_id, claimed["event_id"]) if claimed else None
    if claimed is None or event is None:
        return "busy"
    body = json.dumps(to_json(event_of(event)), separators=(",", ":")).encode()
    msg_id, timestamp = f"evt_{event['id']}", int(now.timestamp())
    headers = {"content-type": "application/json", "webhook-id": msg_id,
               "webhook-timestamp": str(timestamp),
               "webhook-signature": signing.signature_header(
                   _secrets(claimed, now), msg_id=msg_id, timestamp=timestamp, body=body)}
    status_code: int | None = None
    try:
        if not claimed["active"]:
            raise _Refused("the endpoint is disabled")
        answer = _post(rt, claimed["url"], body=body, headers=headers)
        status_code = answer.status_code
        error = None if answer.is_success else f"the endpoint answered {status_code}"
    except (httpx.HTTPError, httpx.InvalidURL, InvalidInput, _Refused) as exc:
        error = getattr(exc, "detail", None) or f"{type(exc).__name__}: could not deliver"
    return _record(rt, tenant_id, claimed, status_code=status_code, error=error)


class _Refused(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _record(rt: Runtime, tenant_id: int, claimed: dict[str, Any], *, status_code: int | None,
            error: str | None) -> str:
    now = rt.now()
    values: dict[str, Any] = {"last_status_code": status_code,
                              "last_error": error[:300] if error else None}
    if error is None:
        values.update(status="delivered", delivered_at=now)
    else:
        retry_at = WEBHOOKS.retry_at(attempts=claimed["attempts"],
                                     first_at=claimed["created_at"], now=now)
        if retry_at is None:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = retry_at
        log.warning("webhook delivery %s failed (attempt %s): %s", claimed["id"],
                    claimed["attempts"], error)
    with rt.db.write() as conn:
        store.mark(conn, tenant_id, claimed["id"], values)
    return str(values.get("status", "pending"))
