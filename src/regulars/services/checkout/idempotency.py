"""Keyed writes: the first request with a key does the work and stores its answer; a repeat
with the same body gets that answer back; the same key with another body is refused. A key is
its sender's: a till's keys never meet another till's (``terminal_id``).

The answer is stored as JSON (:func:`regulars.services.results.to_json` of the work's result)
and a replay returns that JSON, so the first call's caller gets the very same JSON as well.
What identifies a member (phone, names, e-mail, birthday, QR token, cards, profile) is
withheld from the stored copy (:func:`withhold_personal`) and filled in again from the member's
row on a replay (:func:`restore_personal`): stored answers hold no phone number, and an erased
member's replays answer with the anonymous shell."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from regulars.db.checkout import idempotency_keys
from regulars.db.checkout.idempotency_keys import NO_TILL as NO_TILL
from regulars.db.members import members
from regulars.errors import IdempotencyMismatch
from regulars.services.results import to_json

R = TypeVar("R")

PERSONAL_FIELDS = ("phone", "first_name", "last_name", "email", "birthday", "qr_token", "cards",
                   "profile")
_WITHHELD = "personal_withheld"


def withhold_personal(body: Any) -> Any:
    """``body`` with every member in it (an object with an ``id`` and a ``phone``) stripped of
    what identifies the person, and marked for :func:`restore_personal`."""
    if isinstance(body, list):
        return [withhold_personal(v) if isinstance(v, dict | list) else v for v in body]
    if not isinstance(body, dict):
        return body
    out = {k: withhold_personal(v) if isinstance(v, dict | list) else v
           for k, v in body.items()}
    if "id" in out and "phone" in out:
        for name in PERSONAL_FIELDS:
            if name in out:
                out[name] = [] if name == "cards" else None
        out[_WITHHELD] = True
    return out


def withhold_member(body: dict[str, Any]) -> dict[str, Any]:
    """:func:`withhold_personal` for an answer whose only person is its top-level ``member``
    (a commit's: its lines, promotions and tenders name nobody), without walking the rest."""
    member = body.get("member")
    if not isinstance(member, dict):
        return body
    return {**body, "member": withhold_personal(member)}


def restore_personal(conn: Connection, tenant_id: int, body: Any) -> Any:
    """``body`` as first answered: each member :func:`withhold_personal` marked gets its
    fields back from the member's row as it is now (an erased member's are empty)."""
    if isinstance(body, list):
        return [restore_personal(conn, tenant_id, v) for v in body]
    if not isinstance(body, dict):
        return body
    out = {k: restore_personal(conn, tenant_id, v) for k, v in body.items()}
    if out.pop(_WITHHELD, False) and isinstance(out.get("id"), int):
        row = members.member_record(conn, tenant_id, out["id"]) or {}
        for name in PERSONAL_FIELDS:
            if name == "cards" and "cards" in out:
                out["cards"] = [i["value"] for i in members.identifiers_of(
                    conn, tenant_id, out["id"]) if i["kind"] == "card"]
            elif name == "birthday" and "birthday" in out:
                born = row.get("birthday")
                out["birthday"] = born.isoformat() if born is not None else None
            elif name in out:
                out[name] = row.get(name)
    return out


def request_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """A write's answer as JSON (what is stored for replays) and whether it is the stored
    answer to an earlier identical call."""

    body: dict[str, Any]
    replayed: bool = False


def run_once(conn: Connection, *, tenant_id: int, scope: str, key: str,
             payload: dict[str, Any], now: datetime, work: Callable[[], R],
             terminal_id: int = NO_TILL, encode: Callable[[R], dict[str, Any]] = to_json
             ) -> Outcome:
    """Run ``work`` in the caller's transaction unless ``key`` was used in ``scope`` by the
    same sender (the till ``terminal_id``, or a caller that is no till) before; a repeat gets
    the stored answer back, marked ``replayed``. ``encode`` turns the work's result into the
    JSON stored and answered (the API passes its ``…Out`` model's; by default
    :func:`~regulars.services.results.to_json`).

    Raises :class:`IdempotencyMismatch` when the key was used with a different payload.
    """
    digest = request_hash(payload)
    held = idempotency_keys.held_key(conn, tenant_id=tenant_id, scope=scope,
                                     terminal_id=terminal_id, key=key)
    if held is not None:
        if held.request_hash != digest or not isinstance(held.response, dict):
            raise IdempotencyMismatch("this Idempotency-Key was used with a different request")
        return Outcome(restore_personal(conn, tenant_id, held.response), replayed=True)
    body = encode(work())
    # Inserted once with its answer: a row updated in the transaction that inserted it has
    # its foreign keys checked again.
    idempotency_keys.store_key(conn, tenant_id=tenant_id, scope=scope,
                               terminal_id=terminal_id, key=key, request_hash=digest,
                               now=now, response=withhold_personal(body))
    return Outcome(body)


def first_or_stored(conn: Connection, *, tenant_id: int, scope: str, key: str,
                    payload: dict[str, Any], now: datetime, work: Callable[[], R],
                    encode: Callable[[R], dict[str, Any]]) -> tuple[list[R], dict[str, Any]]:
    """:func:`run_once` for an answer that shows something once (a code, a card's number)
    that ``encode`` leaves out of the stored copy: the work's own result on the first call
    (in a list of one; an empty list on a repeat), and the JSON stored (the stored answer on
    a repeat). Raises :class:`IdempotencyMismatch` as :func:`run_once` does."""
    done: list[R] = []

    def keep() -> R:
        done.append(work())
        return done[0]

    outcome = run_once(conn, tenant_id=tenant_id, scope=scope, key=key, payload=payload,
                       now=now, work=keep, encode=encode)
    return done, outcome.body


def once(conn: Connection, *, tenant_id: int, scope: str, terminal_id: int, key: str,
         payload: dict[str, Any], now: datetime, work: Callable[[], object]) -> dict[str, Any]:
    """:func:`run_once` for callers that answer the same way to a first call and a replay.
    ``terminal_id`` is the sending till's (:data:`NO_TILL` for an owner key or the console):
    the key is that sender's."""
    return run_once(conn, tenant_id=tenant_id, scope=scope, key=key, payload=payload, now=now,
                    work=work, terminal_id=terminal_id).body
