"""Apple's pass web service, served by Regulars at the ``webServiceURL`` its passes carry
(:func:`regulars.services.passes.passes.web_service_url`): a device registers for a pass's
updates, asks which of its passes changed since a tag, fetches the latest pass, and
unregisters. Offline: no push is sent (that needs Apple's network), but a later push service
finds every registered device and its push token here.

Authentication: the ``authenticationToken`` of the pass, stored only as its SHA-256 digest,
compared in constant time. An unknown business, pass type or serial, a pass of another
business and a wrong token all raise the same :class:`Unauthorized`, so an answer never tells
which serials exist. The pass served back carries the token the device presented: Apple does
not let an update change a pass's token or serial.

"Updated" is read from what the ledger already knows: a pass changed when its member's
latest ledger entry was recorded after it (its balance, and the level earned by the spend
behind it, only change with an entry), or when the pass was made. Nothing is written at
checkout. The tag a device gets back (``lastUpdated``) is that moment in microseconds since
the epoch, the latest over the device's passes.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from regulars.db.passes import passes as store
from regulars.errors import InvalidInput, NotFound, Unauthorized
from regulars.services.passes import passes
from regulars.services.runtime import Runtime

log = logging.getLogger("regulars.passes")

MAX_DEVICES_PER_PASS = 20
MAX_LOG_MESSAGES = 20
MAX_LOG_CHARS = 500
_PRINTABLE = re.compile(r"[^\x20-\x7e]")
_NO_DIGEST = "0" * 64


@dataclass(frozen=True, kw_only=True)
class UpdatedSerials:
    """The serials of the device's passes changed since the tag (empty: none), and the tag
    to ask with next time."""

    serials: tuple[str, ...]
    last_updated: str


@dataclass(frozen=True, kw_only=True)
class LatestPass:
    """The pass as it is now and when it last changed (to the second, as HTTP dates go);
    ``content`` is ``None`` when it did not change since the time the device gave."""

    modified_at: datetime
    content: bytes | None


def _refused() -> Unauthorized:
    return Unauthorized("this pass does not answer to this token")


def _configured_type(conn: Connection, tenant_id: int) -> str | None:
    row = store.settings_of(conn, tenant_id) or {}
    if not (row.get("apple_certificate_pem") and row.get("apple_key_pem")):
        return None
    return str(row["apple_pass_type_id"])


def _authenticated(conn: Connection, tenant_id: int, *, pass_type_id: str, serial: str,
                   token: str, lock: bool = False) -> dict[str, Any]:
    """The pass ``token`` opens. Raises :class:`Unauthorized` for any mismatch."""
    if _configured_type(conn, tenant_id) != pass_type_id:
        raise _refused()
    found = store.pass_of(conn, tenant_id, serial, lock=lock)
    # Compared even for an unknown serial, so the time taken does not tell either.
    stored = found["token_digest"] if found is not None else _NO_DIGEST
    if not hmac.compare_digest(stored, passes.token_digest(token)) or found is None:
        raise _refused()
    return found


def register(rt: Runtime, tenant_id: int, *, device: str, pass_type_id: str, serial: str,
             token: str, push_token: str) -> bool:
    """Register ``device`` (with its push token) for the pass's updates; ``True`` when it
    was not registered yet. A pass keeps its latest :data:`MAX_DEVICES_PER_PASS` devices.
    Raises :class:`Unauthorized`."""
    with rt.db.write() as conn:
        found = _authenticated(conn, tenant_id, pass_type_id=pass_type_id, serial=serial,
                               token=token, lock=True)
        return store.register_device(conn, tenant_id, found["id"], device=device,
                                     push_token=push_token,
                                     max_devices=MAX_DEVICES_PER_PASS, now=rt.now())


def unregister(rt: Runtime, tenant_id: int, *, device: str, pass_type_id: str, serial: str,
               token: str) -> None:
    """Forget ``device``'s registration for the pass (none: nothing to do). Raises
    :class:`Unauthorized`."""
    with rt.db.write() as conn:
        found = _authenticated(conn, tenant_id, pass_type_id=pass_type_id, serial=serial,
                               token=token, lock=True)
        store.unregister_device(conn, tenant_id, found["id"], device=device)


def _modified_at(conn: Connection, tenant_id: int, row: dict[str, Any]) -> datetime:
    entry_at = store.last_entry_at(conn, tenant_id, int(row["member_id"]))
    made_at: datetime = row["created_at"]
    return made_at if entry_at is None else max(made_at, entry_at)


def tag_of(at: datetime) -> str:
    """The tag of a moment: microseconds since the epoch, exact (no float)."""
    return str((at - _EPOCH) // timedelta(microseconds=1))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_tag(text: str | None) -> int | None:
    """A tag :func:`tag_of` gave (``None`` for none). Raises :class:`InvalidInput`."""
    if text is None or text == "":
        return None
    if not text.isdecimal() or len(text) > 19:
        raise InvalidInput("a tag this service gave", field="passesUpdatedSince")
    return int(text)


def updated_serials(rt: Runtime, tenant_id: int, *, device: str, pass_type_id: str,
                    since: str | None) -> UpdatedSerials:
    """The serials of ``device``'s passes of this type changed after the tag ``since`` (all
    of them without one). An unknown device, type or business has none. Raises
    :class:`InvalidInput` for a tag this service did not give."""
    since_us = parse_tag(since)
    with rt.db.read() as conn:
        if _configured_type(conn, tenant_id) != pass_type_id:
            return UpdatedSerials(serials=(), last_updated=since or "")
        changed = [(row["serial"], tag_of(_modified_at(conn, tenant_id, row)))
                   for row in store.passes_of_device(conn, tenant_id, device)]
    serials = tuple(serial for serial, tag in changed
                    if since_us is None or int(tag) > since_us)
    latest = max((int(tag) for _, tag in changed), default=since_us)
    return UpdatedSerials(serials=serials, last_updated="" if latest is None else str(latest))


def latest_pass(rt: Runtime, tenant_id: int, *, pass_type_id: str, serial: str, token: str,
                base_url: str, modified_since: datetime | None) -> LatestPass:
    """The pass as it is now, signed, with the token the device presented; no content when
    it did not change after ``modified_since``. Raises :class:`Unauthorized` (also for a
    member no longer active, or credentials removed since)."""
    with rt.db.read() as conn:
        found = _authenticated(conn, tenant_id, pass_type_id=pass_type_id, serial=serial,
                               token=token)
        settings = store.settings_of(conn, tenant_id)
        # Read before the card: a change in between is served again next time, never lost.
        modified_at = _modified_at(conn, tenant_id, found).replace(microsecond=0)
    if modified_since is not None and modified_at <= modified_since:
        return LatestPass(modified_at=modified_at, content=None)
    try:
        view = passes.member_card(rt, tenant_id, int(found["member_id"]))
    except NotFound as exc:
        raise _refused() from exc
    if view.status != "active" or settings is None:
        raise _refused()
    content = passes.signed_pass(rt, tenant_id, settings, view, serial=serial, token=token,
                                 base_url=base_url)
    return LatestPass(modified_at=modified_at, content=content)


def record_log(tenant_id: int, messages: list[str]) -> int:
    """Write what a device reports of the web service's failures to the application log:
    at most :data:`MAX_LOG_MESSAGES` messages of :data:`MAX_LOG_CHARS` printable characters
    each (the rest is dropped). Returns how many were written."""
    kept = messages[:MAX_LOG_MESSAGES]
    for message in kept:
        log.info("pass web service, tenant %s, device says: %s", tenant_id,
                 _PRINTABLE.sub("?", message[:MAX_LOG_CHARS]))
    return len(kept)
