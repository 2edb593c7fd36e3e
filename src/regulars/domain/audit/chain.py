"""The audit log's hash chain, pure: what a row's hash is, and what is wrong with a chain.

Each tenant's rows are numbered ``seq`` 1, 2, 3...; row ``n`` stores the hash of row ``n - 1``
(``prev_hash``; 64 zeros for the first) and its own ``hash``, the SHA-256 of its fields and
``prev_hash`` in a canonical JSON form. Changing a row changes its hash; removing, inserting
or swapping rows breaks the numbering or the links; removing the last rows leaves the head
(the tenant's last ``seq`` and hash, kept apart) pointing past the end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64


@dataclass(frozen=True, kw_only=True)
class Filters:
    actor: str | None = None  # e.g. "staff 3" or "key 5", or a part of it
    action: str | None = None  # a prefix: "promotion" matches promotion.create, ...
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One row as stored."""

    tenant_id: int
    seq: int
    at: datetime
    actor_kind: str
    actor_id: int | None
    actor: str
    action: str
    subject: str
    detail: str  # canonical JSON
    prev_hash: str
    hash: str


def canonical(detail: dict[str, object]) -> str:
    """``detail`` as the one JSON text the hash covers (sorted keys, no spaces)."""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def entry_hash(*, tenant_id: int, seq: int, at: datetime, actor_kind: str,
               actor_id: int | None, actor: str, action: str, subject: str, detail: str,
               prev_hash: str) -> str:
    fields = [tenant_id, seq, at.isoformat(), actor_kind, actor_id, actor, action, subject,
              detail, prev_hash]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


def hash_of(entry: Entry) -> str:
    return entry_hash(tenant_id=entry.tenant_id, seq=entry.seq, at=entry.at,
                      actor_kind=entry.actor_kind, actor_id=entry.actor_id, actor=entry.actor,
                      action=entry.action, subject=entry.subject, detail=entry.detail,
                      prev_hash=entry.prev_hash)


def problems(tenant_id: int, entries: Iterable[Entry],
             head: tuple[int, str] | None) -> list[str]:
    """What is wrong with one tenant's chain (``entries`` in ``seq`` order; ``head`` its
    stored last ``seq`` and hash, ``None`` before its first row): each problem names the
    row, empty when the chain holds."""
    found: list[str] = []
    previous = GENESIS
    expected = 1
    for entry in entries:
        where = f"tenant {entry.tenant_id} row {entry.seq}"
        if entry.seq != expected:
            found.append(f"{where}: expected row {expected} here (a row removed or moved)")
        if entry.prev_hash != previous:
            found.append(f"{where}: does not follow the row before it (removed, reordered "
                         "or altered)")
        if hash_of(entry) != entry.hash:
            found.append(f"{where}: its content was altered")
        previous = entry.hash
        expected = entry.seq + 1
    last = (expected - 1, previous)
    if (head or (0, GENESIS)) != last:
        ends = (head or (0, GENESIS))[0]
        found.append(f"tenant {tenant_id} row {ends}: the chain's head is row {ends} but the "
                     f"rows end at {last[0]} (rows removed at the end, or the head altered)")
    return found
