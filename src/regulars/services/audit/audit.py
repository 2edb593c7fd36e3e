"""The audit trail: every change made by staff or an API key, recorded in the same
transaction as the change, in a per-tenant hash chain (:mod:`regulars.domain.audit.chain`).

Services that change something take an :class:`Actor` (a keyword with no default, so every
caller says who acts: the console the signed-in staff member, the admin API the key, the CLI
and scheduled work :data:`SYSTEM`) and call :func:`record` inside their unit of work.
Actors are named by id only (``staff 3``, ``key 5``): the log holds no personal data, and
``detail`` only ids, codes and amounts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.audit import log
from regulars.domain.audit.chain import Entry, Filters, canonical, problems
from regulars.services.runtime import Runtime

MAX_PAGE = 500


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who made a change: a staff member (console or built-in till), an API key, a till
    with nobody signed in, a member (their own page), or the system itself.

    Every act at a till (a sale, a refund or void, a top-up) is one rule's,
    :func:`at_till`: the cashier signed in there when there is one, else the till (whichever
    key it called with), else the key that acted with no till (an owner's); the till is then
    among the details.
    """

    kind: str  # staff, key, till, member or system
    id: int | None = None

    @property
    def label(self) -> str:
        return self.kind if self.id is None else f"{self.kind} {self.id}"


SYSTEM = Actor(kind="system")


def staff(staff_id: int | None) -> Actor:
    return SYSTEM if staff_id is None else Actor(kind="staff", id=staff_id)


def key(key_id: int) -> Actor:
    return Actor(kind="key", id=key_id)


def till(terminal_id: int | None) -> Actor:
    return Actor(kind="till", id=terminal_id)


def at_till(*, staff_id: int | None, terminal_id: int | None, key_id: int) -> Actor:
    """Who acts at a till, as :class:`Actor` says: the cashier ``staff_id`` signed in, else
    the till ``terminal_id``, else the key ``key_id`` that called without a till."""
    if staff_id is not None:
        return staff(staff_id)
    if terminal_id is not None:
        return till(terminal_id)
    return key(key_id) if key_id else SYSTEM


def record(conn: Connection, tenant_id: int, actor: Actor, action: str, subject: str, *,
           at: datetime, **detail: Any) -> None:
    """Append ``action`` on ``subject`` by ``actor`` to the tenant's trail, in ``conn``'s
    transaction."""
    log.append(conn, tenant_id, at=at, actor_kind=actor.kind, actor_id=actor.id,
               actor=actor.label, action=action[:60], subject=subject[:200],
               detail=canonical(detail))


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str


def _view(entry: Entry) -> AuditEntry:
    return AuditEntry(seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
                      subject=entry.subject, detail=entry.detail)


def entries(rt: Runtime, tenant_id: int, filters: Filters, *, limit: int = 100,
            offset: int = 0) -> list[AuditEntry]:
    """The tenant's entries that pass ``filters``, newest first."""
    with rt.db.read() as conn:
        return [_view(e) for e in log.entries(conn, tenant_id, filters,
                                              limit=max(1, min(limit, MAX_PAGE)),
                                              offset=max(0, offset))]


def export_csv(rt: Runtime, tenant_id: int, filters: Filters, actor: Actor) -> str:
    """The entries that pass ``filters`` as CSV (newest first); the export itself is
    recorded."""
    with rt.db.write() as conn:
        rows = log.entries(conn, tenant_id, filters, limit=1_000_000)
        record(conn, tenant_id, actor, "audit.export", "audit log", at=rt.now(),
               rows=len(rows))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["seq", "at", "actor", "action", "subject", "detail"])
    for e in rows:  # no hashes: nothing that looks like one leaves the server
        writer.writerow([e.seq, e.at.isoformat(), e.actor, e.action, e.subject, e.detail])
    return out.getvalue()


@dataclass(frozen=True, kw_only=True)
class Verification:
    tenants: int
    rows: int
    problems: tuple[str, ...]


def verify(rt: Runtime, tenant_id: int | None = None) -> Verification:
    """Check every tenant's chain (or one's): altered, removed or reordered rows."""
    found: list[str] = []
    rows = 0
    with rt.db.read() as conn:
        ids = [tenant_id] if tenant_id is not None else log.tenants(conn)
        for tid in ids:
            chain = log.chain(conn, tid)
            rows += len(chain)
            found += problems(tid, chain, log.head(conn, tid))
    return Verification(tenants=len(ids), rows=rows, problems=tuple(found))
