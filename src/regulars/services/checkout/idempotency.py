"""Keyed writes: the first request with a key does the work and stores its answer; a repeat
with the same body gets that answer back; the same key with another body is refused. A key is
its sender's: a till's keys never meet another till's (``terminal_id``).

The answer is stored as JSON (:func:`regulars.services.results.to_json` of the work's result)
and a replay returns that JSON, so the first call's caller gets the very same JSON as well."""

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
from regulars.errors import IdempotencyMismatch
from regulars.services.results import to_json

R = TypeVar("R")


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
    claim = idempotency_keys.claim_key(conn, tenant_id=tenant_id, scope=scope,
                                       terminal_id=terminal_id, key=key,
                                       request_hash=digest, now=now)
    if not claim.fresh:
        if claim.request_hash != digest or not isinstance(claim.response, dict):
            raise IdempotencyMismatch("this Idempotency-Key was used with a different request")
        return Outcome(claim.response, replayed=True)
    body = encode(work())
    idempotency_keys.store_response(conn, tenant_id=tenant_id, scope=scope,
                                    terminal_id=terminal_id, key=key, response=body)
    return Outcome(body)


def once(conn: Connection, *, tenant_id: int, scope: str, terminal_id: int, key: str,
         payload: dict[str, Any], now: datetime, work: Callable[[], object]) -> dict[str, Any]:
    """:func:`run_once` for callers that answer the same way to a first call and a replay.
    ``terminal_id`` is the sending till's (:data:`NO_TILL` for an owner key or the console):
    the key is that sender's."""
    return run_once(conn, tenant_id=tenant_id, scope=scope, key=key, payload=payload, now=now,
                    work=work, terminal_id=terminal_id).body
