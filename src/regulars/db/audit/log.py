"""Appending to and reading the audit log (see :mod:`regulars.db.audit.tables`).

:func:`append` runs in the caller's transaction, so a change and its record commit together
or not at all. Writers of one tenant are serialised on its head row: PostgreSQL locks it
(``SELECT ... FOR UPDATE``), SQLite has one writer at a time anyway; the head is then moved by
an update conditional on the ``seq`` read, so two writers can never both append after the
same row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.audit.tables import audit_heads, audit_log
from regulars.domain.audit.chain import GENESIS, Entry, Filters, entry_hash


class ChainMoved(RuntimeError):
    """The head moved under a writer that held its lock: never expected."""


def _lock_head(conn: Connection, tenant_id: int) -> tuple[int, str]:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(audit_heads).values(tenant_id=tenant_id, seq=0, hash=GENESIS)
                 .on_conflict_do_nothing(index_elements=["tenant_id"]))
    row = conn.execute(select(audit_heads.c.seq, audit_heads.c.hash)
                       .where(audit_heads.c.tenant_id == tenant_id).with_for_update()).one()
    return int(row.seq), str(row.hash)


def append(conn: Connection, tenant_id: int, *, at: datetime, actor_kind: str,
           actor_id: int | None, actor: str, action: str, subject: str, detail: str) -> int:
    """Append one row to the tenant's chain; its ``seq``."""
    seq, previous = _lock_head(conn, tenant_id)
    seq += 1
    digest = entry_hash(tenant_id=tenant_id, seq=seq, at=at, actor_kind=actor_kind,
                        actor_id=actor_id, actor=actor, action=action, subject=subject,
                        detail=detail, prev_hash=previous)
    conn.execute(insert(audit_log).values(
        tenant_id=tenant_id, seq=seq, at=at, actor_kind=actor_kind, actor_id=actor_id,
        actor=actor, action=action, subject=subject, detail=detail, prev_hash=previous,
        hash=digest))
    moved = conn.execute(update(audit_heads).where(
        audit_heads.c.tenant_id == tenant_id, audit_heads.c.seq == seq - 1)
        .values(seq=seq, hash=digest)).rowcount
    if moved != 1:
        raise ChainMoved(f"audit head of tenant {tenant_id} moved")
    return seq


def _entry(row: object) -> Entry:
    m = row._mapping  # type: ignore[attr-defined]
    return Entry(tenant_id=m["tenant_id"], seq=m["seq"], at=m["at"],
                 actor_kind=m["actor_kind"], actor_id=m["actor_id"], actor=m["actor"],
                 action=m["action"], subject=m["subject"], detail=m["detail"],
                 prev_hash=m["prev_hash"], hash=m["hash"])


def _where(tenant_id: int, filters: Filters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [audit_log.c.tenant_id == tenant_id]
    if filters.actor:
        found.append(audit_log.c.actor.contains(filters.actor, autoescape=True))
    if filters.action:
        found.append(audit_log.c.action.startswith(filters.action, autoescape=True))
    if filters.since is not None:
        found.append(audit_log.c.at >= filters.since)
    if filters.until is not None:
        found.append(audit_log.c.at < filters.until)
    return found


def entries(conn: Connection, tenant_id: int, filters: Filters, *, limit: int,
            offset: int = 0) -> list[Entry]:
    """The tenant's rows that pass ``filters``, newest first."""
    query = (select(audit_log).where(and_(*_where(tenant_id, filters)))
             .order_by(audit_log.c.seq.desc()).limit(limit).offset(offset))
    return [_entry(r) for r in conn.execute(query)]


def chain(conn: Connection, tenant_id: int) -> list[Entry]:
    """Every row of the tenant, in ``seq`` order (for verifying)."""
    return [_entry(r) for r in conn.execute(select(audit_log).where(
        audit_log.c.tenant_id == tenant_id).order_by(audit_log.c.seq, audit_log.c.id))]


def head(conn: Connection, tenant_id: int) -> tuple[int, str] | None:
    row = conn.execute(select(audit_heads.c.seq, audit_heads.c.hash)
                       .where(audit_heads.c.tenant_id == tenant_id)).one_or_none()
    return None if row is None else (int(row.seq), str(row.hash))


def tenants(conn: Connection) -> list[int]:
    """Every tenant with a chain or a head."""
    logged = conn.execute(select(audit_log.c.tenant_id).distinct()).scalars()
    headed = conn.execute(select(audit_heads.c.tenant_id)).scalars()
    return sorted({int(t) for t in logged} | {int(t) for t in headed})
