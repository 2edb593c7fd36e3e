"""Campaigns to a segment and their recipients (control group included). Scoped by
``tenant_id``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, text, update

from regulars.db.promotions.tables import campaign_recipients as r
from regulars.db.promotions.tables import campaigns as c


def create(conn: Connection, tenant_id: int, *, name: str, segment_id: int,
           texts: dict[str, Any], control_percent: int, seed: str, repeat_days: int | None,
           starts_at: datetime, now: datetime) -> int:
    return int(conn.execute(c.insert().values(
        tenant_id=tenant_id, name=name, segment_id=segment_id, texts=texts,
        control_percent=control_percent, seed=seed, repeat_days=repeat_days,
        status="scheduled", next_run_at=starts_at, runs=0, created_at=now)
        .returning(c.c.id)).scalar_one())


def get(conn: Connection, tenant_id: int, campaign_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(c).where(c.c.tenant_id == tenant_id, c.c.id == campaign_id)
                       ).one_or_none()
    return dict(row._mapping) if row else None


def list_all(conn: Connection, tenant_id: int, limit: int) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(
        select(c).where(c.c.tenant_id == tenant_id).order_by(c.c.id.desc()).limit(limit))]


def due(conn: Connection, tenant_id: int, now: datetime) -> list[int]:
    """Campaigns whose next run is due, and those a crash left running (to resume)."""
    return [int(i) for i in conn.execute(select(c.c.id).where(
        c.c.tenant_id == tenant_id,
        ((c.c.status == "scheduled") & (c.c.next_run_at <= now)) | (c.c.status == "running"))
        .order_by(c.c.id)).scalars()]


def start_run(conn: Connection, tenant_id: int, campaign_id: int, now: datetime
              ) -> int | None:
    """Take a due campaign for its next run (one conditional update: of two schedulers one
    gets it); the run's number, or the current one of a run a crash left unfinished."""
    taken = conn.execute(update(c).where(
        c.c.tenant_id == tenant_id, c.c.id == campaign_id, c.c.status == "scheduled",
        c.c.next_run_at <= now).values(status="running", runs=c.c.runs + 1)
        .returning(c.c.runs)).scalar_one_or_none()
    if taken is not None:
        return int(taken)
    running = conn.execute(select(c.c.runs).where(
        c.c.tenant_id == tenant_id, c.c.id == campaign_id, c.c.status == "running")
    ).scalar_one_or_none()
    return None if running is None else int(running)


def finish_run(conn: Connection, tenant_id: int, campaign_id: int, *,
               next_run_at: datetime | None) -> None:
    conn.execute(update(c).where(c.c.tenant_id == tenant_id, c.c.id == campaign_id,
                                 c.c.status == "running").values(
        status="scheduled" if next_run_at else "done", next_run_at=next_run_at))


def cancel(conn: Connection, tenant_id: int, campaign_id: int) -> bool:
    return conn.execute(update(c).where(
        c.c.tenant_id == tenant_id, c.c.id == campaign_id, c.c.status == "scheduled"
    ).values(status="cancelled", next_run_at=None)).rowcount > 0


def record_recipients(conn: Connection, tenant_id: int, campaign_id: int, run: int,
                      outcomes: dict[int, str]) -> None:
    """Record each member's outcome of a run (``{member id: outcome}``), one statement an
    outcome: the ids travel as one JSON array of numbers (cheaper to read than a row of
    objects); a member already recorded for the run is kept as it was."""
    by_outcome: dict[str, list[int]] = {}
    for member_id, outcome in outcomes.items():
        by_outcome.setdefault(outcome, []).append(member_id)
    sqlite = conn.dialect.name == "sqlite"
    ids = "SELECT value FROM json_each(:ids)" if sqlite else \
        "SELECT CAST(value AS bigint) AS value FROM json_array_elements_text(CAST(:ids AS json))"
    statement = text(
        "INSERT INTO campaign_recipients (tenant_id, campaign_id, run, member_id, outcome) "
        f"SELECT :tenant_id, :campaign_id, :run, ids.value, :outcome FROM ({ids}) AS ids "
        "WHERE true ON CONFLICT (tenant_id, campaign_id, run, member_id) DO NOTHING")
    for outcome, member_ids in by_outcome.items():
        conn.execute(statement, {"tenant_id": tenant_id, "campaign_id": campaign_id,
                                 "run": run, "outcome": outcome,
                                 "ids": json.dumps(member_ids)})


def outcome_counts(conn: Connection, tenant_id: int, campaign_ids: Sequence[int]
                   ) -> dict[int, dict[str, int]]:
    """Per campaign, its recipients over every run by outcome."""
    found: dict[int, dict[str, int]] = {}
    if not campaign_ids:
        return found
    for campaign_id, outcome, n in conn.execute(
            select(r.c.campaign_id, r.c.outcome, func.count()).where(
                r.c.tenant_id == tenant_id, r.c.campaign_id.in_(list(campaign_ids)))
            .group_by(r.c.campaign_id, r.c.outcome)):
        found.setdefault(int(campaign_id), {})[str(outcome)] = int(n)
    return found
