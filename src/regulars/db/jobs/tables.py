"""Tables of the jobs area.

The scheduled jobs (expiry, rewards, messages, webhooks) run for every tenant at once, so
their table is the one without ``tenant_id``: a row per job, keyed by its name.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from regulars.db.base import metadata, timestamp

jobs = Table(
    "jobs", metadata,
    Column("name", String(40), primary_key=True),
    timestamp("next_run_at"),
    # Set by "run now": the next scheduler tick runs the job whatever its schedule.
    timestamp("requested_at", nullable=True),
    timestamp("last_started_at", nullable=True),
    timestamp("last_finished_at", nullable=True),
    Column("last_outcome", String(10), nullable=True),  # ok | failed
    Column("last_detail", String(500), nullable=True),
    Column("runs", Integer, nullable=False),
)
