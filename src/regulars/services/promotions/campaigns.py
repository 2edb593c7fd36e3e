"""Campaigns: a message to a segment, once or every N days, with an optional control group.

A run takes the segment's members at that moment, keeps the control group out (a stable hash
of the campaign's seed and the member, ``control_percent`` of 100) and records every member's
outcome (``queued``, ``control``, ``no_consent``, ``capped``, ``no_address``, or ``holdout``)
so that uplift can be measured against the control group. Consent, quiet hours and the
frequency cap are the messages' own rules (:mod:`regulars.services.messaging.notify`). The
members are queued in batches, each a few executemany statements in its own transaction (a
till never waits behind a campaign of 100 000); a run a crash interrupts is resumed by the
next, and its keys (``campaign:<id>:<run>:<member>``) queue nothing twice.

The tenant's programme holdout (members kept out of all marketing,
:mod:`regulars.services.promotions.experiments`) is left out of every run: its members are
recorded as ``holdout`` and get nothing. The ``holdout`` parameter of :func:`run` replaces it
with another function of the connection, the tenant and a batch of member ids.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from regulars.db.messaging import member_messages
from regulars.db.promotions import campaigns as store
from regulars.db.tenancy import tenancy
from regulars.domain.messaging.rules import in_control
from regulars.domain.messaging.templates import LANGUAGES, MAX_BODY, MAX_SUBJECT, Wording, problems
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.messaging import notify
from regulars.services.promotions import experiments, segments
from regulars.services.runtime import Runtime

BATCH = 5000
MAX_CONTROL_PERCENT = 50
Holdout = Callable[[Connection, int, Sequence[int]], set[int]]


@dataclass(frozen=True, kw_only=True)
class Draft:
    name: str
    segment_id: int
    texts: dict[str, dict[str, str]]
    """``{language: {"subject": ..., "body": ...}}``; placeholders as in the ``campaign``
    template."""
    control_percent: int = 0
    starts_at: datetime | None = None
    repeat_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class Campaign:
    id: int
    name: str
    segment_id: int
    texts: dict[str, dict[str, str]]
    control_percent: int
    repeat_days: int | None
    status: str
    """``scheduled``, ``running``, ``done`` or ``cancelled``."""
    next_run_at: datetime | None
    runs: int
    created_at: datetime
    recipients: dict[str, int] = field(default_factory=dict)
    """Members over every run by outcome (``queued``, ``control``, ``no_consent`` ...)."""
    messages: dict[str, int] = field(default_factory=dict)
    """Its messages by delivery status (``queued``, ``sent``, ``failed``, ``skipped``)."""


def _check(draft: Draft) -> None:
    if not draft.name.strip():
        raise InvalidInput("the name is empty", field="name")
    if not draft.texts:
        raise InvalidInput("give the text in at least one language", field="texts")
    for language, text in draft.texts.items():
        if language not in LANGUAGES:
            raise InvalidInput(f"unknown language {language}", field="texts")
        subject, body = text.get("subject", ""), text.get("body", "")
        if not body.strip() or len(body) > MAX_BODY or len(subject) > MAX_SUBJECT:
            raise InvalidInput(f"the {language} text is empty or too long", field="texts")
        for part in (subject, body):
            found = "; ".join(problems("campaign", part))
            if found:
                raise InvalidInput(f"{language}: {found}", field="texts")
    if not 0 <= draft.control_percent <= MAX_CONTROL_PERCENT:
        raise InvalidInput(f"control_percent must lie between 0 and {MAX_CONTROL_PERCENT}",
                           field="control_percent")
    if draft.repeat_days is not None and not 1 <= draft.repeat_days <= 365:
        raise InvalidInput("repeat_days must lie between 1 and 365", field="repeat_days")


def _view(row: dict[str, Any], recipients: dict[str, int] | None = None,
          messages: dict[str, int] | None = None) -> Campaign:
    return Campaign(id=row["id"], name=row["name"], segment_id=row["segment_id"],
                    texts=row["texts"], control_percent=row["control_percent"],
                    repeat_days=row["repeat_days"], status=row["status"],
                    next_run_at=row["next_run_at"], runs=row["runs"],
                    created_at=row["created_at"], recipients=recipients or {},
                    messages=messages or {})


def create(rt: Runtime, tenant_id: int, draft: Draft, *,
           actor: audit.Actor) -> Campaign:
    """Schedule a campaign (its first run at ``starts_at``, or at the job's next run; on the
    audit trail). Raises :class:`InvalidInput` naming the field, :class:`NotFound` for another
    tenant's or a missing segment (field ``segment_id``)."""
    _check(draft)
    now = rt.now()
    with rt.db.write() as conn:
        if not segments.exists(conn, tenant_id, draft.segment_id):
            raise NotFound("segment not found", field="segment_id")
        campaign_id = store.create(
            conn, tenant_id, name=draft.name.strip(), segment_id=draft.segment_id,
            texts=draft.texts, control_percent=draft.control_percent,
            seed=secrets.token_hex(16), repeat_days=draft.repeat_days,
            starts_at=max(draft.starts_at or now, now), now=now)
        audit.record(conn, tenant_id, actor, "campaign.create", f"campaign {campaign_id}",
                     at=now, segment_id=draft.segment_id, control_percent=draft.control_percent,
                     repeat_days=draft.repeat_days, languages=sorted(draft.texts))
    return get(rt, tenant_id, campaign_id)


def get(rt: Runtime, tenant_id: int, campaign_id: int) -> Campaign:
    with rt.db.read() as conn:
        row = store.get(conn, tenant_id, campaign_id)
        if row is None:
            raise NotFound("campaign not found")
        return _view(row, store.outcome_counts(conn, tenant_id, [campaign_id]).get(
            campaign_id), member_messages.campaign_counts(conn, tenant_id, [campaign_id])
            .get(campaign_id))


def list_all(rt: Runtime, tenant_id: int, *, limit: int = 100) -> list[Campaign]:
    with rt.db.read() as conn:
        rows = store.list_all(conn, tenant_id, limit)
        ids = [r["id"] for r in rows]
        outcomes = store.outcome_counts(conn, tenant_id, ids)
        statuses = member_messages.campaign_counts(conn, tenant_id, ids)
    return [_view(r, outcomes.get(r["id"]), statuses.get(r["id"])) for r in rows]


def cancel(rt: Runtime, tenant_id: int, campaign_id: int, *,
           actor: audit.Actor) -> Campaign:
    """Stop a scheduled campaign (a running or finished one is as it is; a cancellation is
    on the audit trail)."""
    with rt.db.write() as conn:
        if store.get(conn, tenant_id, campaign_id) is None:
            raise NotFound("campaign not found")
        if store.cancel(conn, tenant_id, campaign_id):
            audit.record(conn, tenant_id, actor, "campaign.cancel", f"campaign {campaign_id}",
                         at=rt.now())
    return get(rt, tenant_id, campaign_id)


@dataclass(frozen=True, kw_only=True)
class RunReport:
    runs: int
    queued: int
    control: int


def run_due(rt: Runtime, *, holdout: Holdout = experiments.held_out) -> RunReport:
    """Run every campaign that is due, in every tenant (the ``campaigns`` job)."""
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    runs = queued = control = 0
    for tenant_id in tenant_ids:
        with rt.db.read() as conn:
            due = store.due(conn, tenant_id, rt.now())
        for campaign_id in due:
            found = run(rt, tenant_id, campaign_id, holdout=holdout)
            if found is not None:
                runs, queued, control = runs + 1, queued + found[0], control + found[1]
    return RunReport(runs=runs, queued=queued, control=control)


def run(rt: Runtime, tenant_id: int, campaign_id: int, *, holdout: Holdout = experiments.held_out
        ) -> tuple[int, int] | None:
    """One run of a due campaign: (members queued, members in the control group), or None
    when it was not due (or another scheduler took it)."""
    now = rt.now()
    with rt.db.write() as conn:
        number = store.start_run(conn, tenant_id, campaign_id, now)
        row = store.get(conn, tenant_id, campaign_id)
        if number is None or row is None:
            return None
        audience = segments.member_ids_at(conn, tenant_id, row["segment_id"], now)
    texts = {lang: Wording(subject=t.get("subject", ""), body=t["body"])
             for lang, t in row["texts"].items()}
    queued = control = 0
    for start in range(0, len(audience), BATCH):
        with rt.db.write() as conn:
            found = _batch(conn, rt, tenant_id, row, number, audience[start:start + BATCH],
                           texts, holdout, now)
        queued, control = queued + found[0], control + found[1]
    repeat = row["repeat_days"]
    with rt.db.write() as conn:
        store.finish_run(conn, tenant_id, campaign_id,
                         next_run_at=now + timedelta(days=repeat) if repeat else None)
    return queued, control


def _batch(conn: Connection, rt: Runtime, tenant_id: int, row: dict[str, Any], number: int,
           member_ids: list[int], texts: dict[str, Wording], holdout: Holdout | None,
           now: datetime) -> tuple[int, int]:
    campaign_id = row["id"]
    held = holdout(conn, tenant_id, member_ids) if holdout else set()
    outcomes: dict[int, str] = {m: "holdout" for m in held}
    for m in member_ids:
        if m not in held and in_control(seed=row["seed"], campaign_id=campaign_id,
                                        member_id=m, control_percent=row["control_percent"]):
            outcomes[m] = "control"
    sent = notify.queue(conn, rt, tenant_id, notify.Batch(
        event="campaign", member_ids=[m for m in member_ids if m not in outcomes],
        key=lambda m: f"campaign:{campaign_id}:{number}:{m}", texts=texts,
        campaign_id=campaign_id), now)
    outcomes.update(sent.outcomes)
    store.record_recipients(conn, tenant_id, campaign_id, number, {
        m: "queued" if o == "already" else o for m, o in outcomes.items()})
    return sent.count("queued"), sum(1 for o in outcomes.values() if o == "control")
