"""Action rewards: referrals, birthdays, a completed profile, and events the business posts.

Every reward is one ledger entry from the tenant's ``issued`` account to the member, with an
explanation (``why``) and a lot that expires as the program says (:func:`pay`). Each is keyed,
so it is written at most once whoever asks and however often:

    referral:<referred id>:referrer     referral:<referred id>:referred
    birthday:<member id>:<local year>   profile:<member id>          event:<event id>

This module holds the reward settings, the payment, and the profile, birthday and event
rewards; referrals are in :mod:`regulars.services.rewards.referrals` and the hourly job in
:mod:`regulars.services.rewards.job`. When each is paid:

- a referral with trigger ``registration``, and a profile complete at sign-up: in the
  registration's own transaction (:func:`~regulars.services.rewards.referrals.plan_referral`,
  :func:`~regulars.services.rewards.referrals.after_register`);
- a profile completed later: in the transaction that completes it (:func:`on_profile_changed`);
- a referral with trigger ``first_purchase``, and birthdays: by
  :func:`~regulars.services.rewards.job.run` (``regulars rewards run``), a job to run every
  hour or so. It is idempotent: payments are keyed and a referral is marked settled in the
  paying transaction, so a second run (or two at once) pays nothing more.
  :func:`~regulars.services.rewards.referrals.settle_first_purchase` is the same step for one
  member,
  safe to call right after a commit as well;
- an event: when posted (:func:`record_event`), once per ``event_id``; an action Regulars
  sees itself (a rating of a visit, type ``feedback``, keyed ``feedback:<receipt id>``): in
  its own transaction (:func:`reward_action`).

Failure modes: :class:`NotFound` for an unknown member or referrer id, :class:`InvalidInput`
for an unknown event type or bad settings, :class:`IdempotencyMismatch` for an ``event_id``
reused with another body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy import Connection

from regulars.db.engine import UniqueViolation
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.db.members import members as member_rows
from regulars.db.members.members import MemberRow
from regulars.db.rewards import rewards as store
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.ledger import EntryCode
from regulars.domain.rewards.rewards import (
    EventRule,
    RewardSettings,
    birthday_in,
    period_start,
    profile_complete,
)
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.checkout import idempotency
from regulars.services.members.members import MemberRef
from regulars.services.members.members import find as find_member
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

_SETTINGS: TypeAdapter[RewardSettings] = TypeAdapter(RewardSettings)


@dataclass(frozen=True, kw_only=True, slots=True)
class EventOutcome:
    """What a posted event earned: ``points`` (0 with a ``reason``: ``limit_reached``,
    ``no_consent``, ``no_points``), the type's limit and period, the rewarded events of the
    member in the period so far, and the member's balance after. A replay answers the same."""

    event_id: str
    type: str
    member_id: int
    points: int
    rewarded: bool
    reason: str | None
    limit: int | None
    period: str
    used_in_period: int
    balance_points: int


# Settings -------------------------------------------------------------------------------------

def settings_of(settings: RewardSettings) -> dict[str, Any]:
    dumped: dict[str, Any] = _SETTINGS.dump_python(settings, mode="json")
    return dumped


def load_settings(conn: Connection, tenant_id: int) -> RewardSettings:
    stored = store.get_settings(conn, tenant_id)
    return RewardSettings() if stored is None else _SETTINGS.validate_python(stored)


def get_settings(rt: Runtime, tenant_id: int) -> RewardSettings:
    with rt.db.read() as conn:
        return load_settings(conn, tenant_id)


def put_settings(rt: Runtime, tenant_id: int, settings: RewardSettings, *,
                 actor: audit.Actor) -> RewardSettings:
    """Replace the tenant's reward settings, on the audit trail. Referrals already linked keep
    the terms they were linked with."""
    body = settings_of(settings)
    for attempt in (1, 2):
        try:
            with rt.db.write() as conn:
                store.put_settings(conn, tenant_id, body, rt.now())
                audit.record(conn, tenant_id, actor, "settings.rewards", "reward settings",
                             at=rt.now(), settings=body)
            break
        except UniqueViolation:  # a concurrent first save inserted the row: update it
            if attempt == 2:
                raise
    return settings


# Ledger ---------------------------------------------------------------------------------------

def pay(conn: Connection, *, tenant_id: int, member: MemberRow, points: int, code: EntryCode,
        key: str, why: dict[str, Any], now: datetime, store_id: int | None = None,
        terminal_id: int | None = None) -> int:
    """Credit ``points`` to ``member`` from ``issued`` as one keyed entry; return its id.
    Raises the database's unique violation when ``key`` was paid before."""
    version, program = programs.load_current(conn, tenant_id)
    ctx = EntryContext(tenant_id=tenant_id, member_id=member.id, store_id=store_id,
                       terminal_id=terminal_id, program_version=version, occurred_at=now,
                       recorded_at=now)
    _, expires_at = program.lot_dates(now)
    return ledger_ops.earn(conn, ctx, key=key, account_id=member.account_id, amount=points,
                           available_at=now, expires_at=expires_at, memo={"why": [why]},
                           code=code)


def may_earn(member: MemberRow | None) -> bool:
    return member is not None and member.status == "active" and member.consent != "none"


# Profile --------------------------------------------------------------------------------------

def on_profile_changed(conn: Connection, tenant_id: int, member_id: int, now: datetime) -> bool:
    """Pay the completed-profile reward if it is due now and was never paid; in the caller's
    transaction. ``True`` when it paid."""
    member = member_rows.get_member(conn, tenant_id, member_id)
    if member is None or not may_earn(member) or not profile_complete(
            first_name=member.first_name, last_name=member.last_name, email=member.email,
            birthday=member.birthday):
        return False
    rule = load_settings(conn, tenant_id).profile
    key = f"profile:{member_id}"
    if not rule.pays or store.entry_exists(conn, tenant_id, key):
        return False
    pay(conn, tenant_id=tenant_id, member=member, points=rule.points, code=EntryCode.PROFILE,
        key=key, why={"code": "profile_reward", "params": {"points": rule.points}}, now=now)
    return True


# Birthdays ------------------------------------------------------------------------------------

def pay_birthday(rt: Runtime, tenant_id: int, member_id: int) -> bool:
    """Pay the birthday bonus if today, in the tenant's time zone, is the member's birthday
    and this year's is unpaid. ``True`` only for the call that paid it."""
    tenant = get_tenant(rt, tenant_id)
    now = rt.now()
    local_today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    key = f"birthday:{member_id}:{local_today.year}"
    try:
        with rt.db.write() as conn:
            member = member_rows.get_member(conn, tenant_id, member_id)
            rule = load_settings(conn, tenant_id).birthday
            if (member is None or member.birthday is None or not may_earn(member)
                    or not rule.pays
                    or birthday_in(local_today.year, member.birthday) != local_today
                    or store.entry_exists(conn, tenant_id, key)):
                return False
            pay(conn, tenant_id=tenant_id, member=member, points=rule.points,
                code=EntryCode.BIRTHDAY, key=key,
                why={"code": "birthday", "params": {"points": rule.points}}, now=now)
            return True
    except UniqueViolation:
        return False


# Events ---------------------------------------------------------------------------------------

def record_event(rt: Runtime, tenant_id: int, *, event_id: str, member: MemberRef, type_: str,
                 data: dict[str, Any], payload: dict[str, Any]) -> EventOutcome:
    """Reward an event the business reports, once per ``event_id``: the same id and body
    return the first answer; the id with another body raises :class:`IdempotencyMismatch`.

    An event over its type's limit for the period (in the tenant's time zone), or of a member
    who opted out of earning, is recorded with 0 points and a ``reason``.
    """
    tenant = get_tenant(rt, tenant_id)
    now = rt.now()
    with rt.db.write() as conn:
        answer = idempotency.once(
            conn, tenant_id=tenant_id, scope="event", terminal_id=idempotency.NO_TILL,
            key=event_id, payload=payload, now=now,
            work=lambda: _record(conn, tenant, event_id=event_id, ref=member, type_=type_,
                                 data=data, now=now))
    return EventOutcome(**answer)


def _record(conn: Connection, tenant: tenancy.TenantRow, *, event_id: str, ref: MemberRef,
            type_: str, data: dict[str, Any], now: datetime) -> EventOutcome:
    rule = load_settings(conn, tenant.id).event(type_)
    member = find_member(conn, tenant.id, tenant.phone_region, ref)
    if member is None or member.status != "active":
        raise NotFound("member not found")
    if rule is None:
        raise InvalidInput(f"no event type {type_!r} is configured", field="type")
    return _reward_event(conn, tenant, member, rule, event_id=event_id, data=data, now=now)


def reward_action(conn: Connection, tenant_id: int, member_id: int, *, type_: str,
                  event_id: str, data: dict[str, Any], now: datetime) -> int:
    """Reward an action of a member that Regulars itself sees (a rating of a visit: type
    ``feedback``) under the business's event rule of ``type_``, in the caller's transaction
    and once per ``event_id`` (a second call pays nothing); the points paid (0 without a
    rule of that type, over its limit, or for a member who does not earn)."""
    rule = load_settings(conn, tenant_id).event(type_)
    tenant = tenancy.get_tenant(conn, tenant_id)
    member = member_rows.get_member(conn, tenant_id, member_id)
    if (rule is None or tenant is None or member is None or member.status != "active"
            or store.entry_exists(conn, tenant_id, f"event:{event_id}")
            or store.event_recorded(conn, tenant_id, event_id)):
        return 0
    return _reward_event(conn, tenant, member, rule, event_id=event_id, data=data,
                         now=now).points


def _reward_event(conn: Connection, tenant: tenancy.TenantRow, member: MemberRow,
                  rule: EventRule, *, event_id: str, data: dict[str, Any],
                  now: datetime) -> EventOutcome:
    # Per-member limits are checked and written by one transaction at a time.
    ledger_ops.lock_accounts(conn, (member.account_id,))
    since = period_start(rule.period, now.astimezone(ZoneInfo(tenant.timezone)))
    used = store.rewarded_events(conn, tenant.id, member.id, rule.type, since)
    reason = None
    if not may_earn(member):
        reason = "no_consent"
    elif rule.limit is not None and used >= rule.limit:
        reason = "limit_reached"
    elif rule.points == 0:
        reason = "no_points"
    points = rule.points if reason is None else 0
    entry_id = None
    if points:
        entry_id = pay(conn, tenant_id=tenant.id, member=member, points=points,
                       code=EntryCode.EVENT, key=f"event:{event_id}",
                       why={"code": "reward_event",
                            "params": {"points": points, "event_type": rule.type}}, now=now)
    store.insert_event(conn, tenant_id=tenant.id, event_id=event_id, member_id=member.id,
                       type=rule.type, points=points, entry_id=entry_id, data=data,
                       occurred_at=now)
    after = member_rows.get_member(conn, tenant.id, member.id)
    assert after is not None
    return EventOutcome(event_id=event_id, type=rule.type, member_id=member.id, points=points,
                        rewarded=points > 0, reason=reason, limit=rule.limit,
                        period=rule.period.value, used_in_period=used + (1 if points else 0),
                        balance_points=after.balance)
