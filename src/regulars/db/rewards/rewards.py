"""Rewards storage: each tenant's reward settings, members' referral codes and device hashes,
referrals and the business's reward events. Every query is scoped by ``tenant_id``; nothing
here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    cast,
    exists,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from regulars.db.checkout.tables import receipts
from regulars.db.ledger.tables import entries
from regulars.db.members.tables import members
from regulars.db.rewards.tables import referrals, reward_events, reward_settings

# A receipt that still stands counts as a purchase; a voided or wholly refunded one does not.
PURCHASE_STATUSES = ("committed", "partially_refunded")


def get_settings(conn: Connection, tenant_id: int) -> dict[str, Any] | None:
    found = conn.execute(select(reward_settings.c.settings).where(
        reward_settings.c.tenant_id == tenant_id)).scalar_one_or_none()
    return dict(found) if found is not None else None


def put_settings(conn: Connection, tenant_id: int, settings: dict[str, Any],
                 now: datetime) -> None:
    changed = conn.execute(update(reward_settings).where(
        reward_settings.c.tenant_id == tenant_id).values(settings=settings, updated_at=now))
    if changed.rowcount == 0:
        conn.execute(insert(reward_settings).values(tenant_id=tenant_id, settings=settings,
                                                    updated_at=now))


# Members' codes and devices -------------------------------------------------------------------

def code_owner(conn: Connection, tenant_id: int, code: str) -> int | None:
    return conn.execute(select(members.c.id).where(
        members.c.tenant_id == tenant_id, members.c.referral_code == code)
    ).scalar_one_or_none()


def member_rewards_row(conn: Connection, tenant_id: int, member_id: int) -> dict[str, Any] | None:
    """(referral code, device hash, referrer id) of a member."""
    row = conn.execute(select(members.c.referral_code, members.c.device_hash,
                              members.c.referrer_id).where(
        members.c.tenant_id == tenant_id, members.c.id == member_id)).one_or_none()
    return dict(row._mapping) if row is not None else None


def set_member_rewards(conn: Connection, tenant_id: int, member_id: int, **values: Any) -> None:
    conn.execute(update(members).where(members.c.tenant_id == tenant_id,
                                       members.c.id == member_id).values(**values))


def device_known(conn: Connection, tenant_id: int, device_hash: str) -> bool:
    return conn.execute(select(members.c.id).where(
        members.c.tenant_id == tenant_id, members.c.device_hash == device_hash).limit(1)
    ).first() is not None


def members_without_code(conn: Connection, tenant_id: int, limit: int) -> list[int]:
    return list(conn.execute(select(members.c.id).where(
        members.c.tenant_id == tenant_id, members.c.status == "active",
        members.c.referral_code.is_(None)).order_by(members.c.id).limit(limit)).scalars())


# Referrals ------------------------------------------------------------------------------------

def insert_referral(conn: Connection, **values: Any) -> int:
    return int(conn.execute(insert(referrals).values(**values)
                            .returning(referrals.c.id)).scalar_one())


def referral_of(conn: Connection, tenant_id: int, referred_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(referrals).where(referrals.c.tenant_id == tenant_id,
                                               referrals.c.referred_id == referred_id)
                       ).one_or_none()
    return dict(row._mapping) if row is not None else None


def referred_count(conn: Connection, tenant_id: int, referrer_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(referrals).where(
        referrals.c.tenant_id == tenant_id, referrals.c.referrer_id == referrer_id,
        referrals.c.status == "linked")).scalar_one())


def settle_referral(conn: Connection, tenant_id: int, referral_id: int, now: datetime, *,
                    receipt_id: int | None = None) -> bool:
    """Mark a referral paid (by the first purchase ``receipt_id``, if so); ``False`` when
    another transaction did so first (the update takes the row lock, so exactly one payer
    sees ``True``)."""
    return conn.execute(update(referrals).where(
        referrals.c.tenant_id == tenant_id, referrals.c.id == referral_id,
        referrals.c.settled_at.is_(None)).values(settled_at=now, receipt_id=receipt_id)
    ).rowcount == 1


def referrer_of(conn: Connection, tenant_id: int, member_id: int) -> int | None:
    """Who invited ``member_id`` by a linked referral, if anyone."""
    found = conn.execute(select(referrals.c.referrer_id).where(
        referrals.c.tenant_id == tenant_id, referrals.c.referred_id == member_id,
        referrals.c.status == "linked")).scalar_one_or_none()
    return None if found is None else int(found)


def first_purchase(conn: Connection, tenant_id: int, member_id: int) -> int | None:
    """The member's earliest standing receipt (the one a first-purchase referral pays on)."""
    found = conn.execute(select(receipts.c.id).where(
        receipts.c.tenant_id == tenant_id, receipts.c.member_id == member_id,
        receipts.c.status.in_(PURCHASE_STATUSES))
        .order_by(receipts.c.occurred_at, receipts.c.id).limit(1)).scalar_one_or_none()
    return None if found is None else int(found)


def reverse_referral(conn: Connection, tenant_id: int, referral_id: int, receipt_id: int,
                     now: datetime) -> bool:
    """Mark a referral settled by ``receipt_id`` reversed; ``True`` for exactly one caller."""
    return conn.execute(update(referrals).where(
        referrals.c.tenant_id == tenant_id, referrals.c.id == referral_id,
        referrals.c.receipt_id == receipt_id, referrals.c.settled_at.is_not(None),
        referrals.c.reversed_at.is_(None)).values(reversed_at=now)).rowcount == 1


def entries_by_keys(conn: Connection, tenant_id: int,
                    keys: list[str]) -> list[tuple[int, str, int, int]]:
    """``(entry id, key, member id, points)`` of the entries written under ``keys``."""
    return [(int(r.id), str(r.idempotency_key), int(r.member_id), int(r.points))
            for r in conn.execute(select(entries.c.id, entries.c.idempotency_key,
                                         entries.c.member_id, entries.c.points).where(
                entries.c.tenant_id == tenant_id, entries.c.idempotency_key.in_(keys))
                .order_by(entries.c.id))]


def has_purchase(conn: Connection, tenant_id: int, member_id: int) -> bool:
    return conn.execute(select(receipts.c.id).where(
        receipts.c.tenant_id == tenant_id, receipts.c.member_id == member_id,
        receipts.c.status.in_(PURCHASE_STATUSES)).limit(1)).first() is not None


def due_first_purchases(conn: Connection, tenant_id: int, limit: int) -> list[int]:
    """Referred members whose first-purchase referral is unpaid and who have a standing
    receipt."""
    bought = exists().where(receipts.c.tenant_id == tenant_id,
                            receipts.c.member_id == referrals.c.referred_id,
                            receipts.c.status.in_(PURCHASE_STATUSES))
    return list(conn.execute(select(referrals.c.referred_id).where(
        referrals.c.tenant_id == tenant_id, referrals.c.status == "linked",
        referrals.c.trigger == "first_purchase", referrals.c.settled_at.is_(None), bought)
        .order_by(referrals.c.id).limit(limit)).scalars())


# Birthdays ------------------------------------------------------------------------------------

def birthday_members(conn: Connection, tenant_id: int, *, month: int, day: int,
                     also_feb_29: bool, year: int) -> list[int]:
    """Active members born on ``month``/``day`` (and on 29 February when ``also_feb_29``)
    whose birthday entry for ``year`` is not written yet."""
    on_day = and_(extract("month", members.c.birthday) == month,
                  extract("day", members.c.birthday) == day)
    if also_feb_29:
        on_day = or_(on_day, and_(extract("month", members.c.birthday) == 2,
                                  extract("day", members.c.birthday) == 29))
    key = literal("birthday:") + cast(members.c.id, String) + literal(f":{year}")
    paid = exists().where(entries.c.tenant_id == tenant_id, entries.c.idempotency_key == key)
    return list(conn.execute(select(members.c.id).where(
        members.c.tenant_id == tenant_id, members.c.status == "active",
        members.c.birthday.is_not(None), on_day, ~paid).order_by(members.c.id)).scalars())


# Entries and events ---------------------------------------------------------------------------

def entry_exists(conn: Connection, tenant_id: int, key: str) -> bool:
    return conn.execute(select(entries.c.id).where(
        entries.c.tenant_id == tenant_id, entries.c.idempotency_key == key)).first() is not None


def rewarded_events(conn: Connection, tenant_id: int, member_id: int, type_: str,
                    since: datetime | None) -> int:
    query = select(func.count()).select_from(reward_events).where(
        reward_events.c.tenant_id == tenant_id, reward_events.c.member_id == member_id,
        reward_events.c.type == type_, reward_events.c.points > 0)
    if since is not None:
        query = query.where(reward_events.c.occurred_at >= since)
    return int(conn.execute(query).scalar_one())


def event_recorded(conn: Connection, tenant_id: int, event_id: str) -> bool:
    return conn.execute(select(reward_events.c.id).where(
        reward_events.c.tenant_id == tenant_id, reward_events.c.event_id == event_id)
    ).first() is not None


def insert_event(conn: Connection, **values: Any) -> int:
    return int(conn.execute(insert(reward_events).values(**values)
                            .returning(reward_events.c.id)).scalar_one())
