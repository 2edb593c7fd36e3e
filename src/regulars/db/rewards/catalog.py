"""The rewards catalogue: rewards, their stock, and their claims. Every query is scoped by
``tenant_id``; another tenant's reward or claim is not found.

Stock is counted by conditional updates (``issued = issued + 1 WHERE issued < stock``), on
the reward row for the total and on a row per day for the day's stock, so no interleaving of
concurrent claims issues more than the stock; a claim whose update changes no row is
refused, and the caller's unit of work rolls back whatever it wrote before.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.engine import forget, remembered
from regulars.db.rewards.tables import catalog_reward_days, catalog_rewards, reward_claims

_REWARD = catalog_rewards.c
_CLAIM = reward_claims.c


def _insert_missing(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    conn.execute(stmt)


# Rewards -----------------------------------------------------------------------------------------

def insert_reward(conn: Connection, tenant_id: int, values: dict[str, Any],
                  now: datetime) -> int:
    """A new, active reward with the fields of ``values``; its id."""
    return int(conn.execute(insert(catalog_rewards).values(
        tenant_id=tenant_id, created_at=now, updated_at=now, active=True, issued=0,
        **values).returning(_REWARD.id)).scalar_one())


def update_reward(conn: Connection, tenant_id: int, reward_id: int, values: dict[str, Any],
                  now: datetime) -> bool:
    """Change a reward's fields; False when the tenant has no such reward."""
    return conn.execute(update(catalog_rewards).where(
        _REWARD.tenant_id == tenant_id, _REWARD.id == reward_id).values(
        updated_at=now, **values)).rowcount == 1


def get_reward(conn: Connection, tenant_id: int, reward_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(catalog_rewards).where(
        _REWARD.tenant_id == tenant_id, _REWARD.id == reward_id)).one_or_none()
    return dict(row._mapping) if row else None


def list_rewards(conn: Connection, tenant_id: int, *, active_only: bool, limit: int,
                 offset: int = 0) -> list[dict[str, Any]]:
    """Rewards by points cost (active first when all are listed), then by id."""
    query = select(catalog_rewards).where(_REWARD.tenant_id == tenant_id)
    if active_only:
        query = query.where(_REWARD.active.is_(True))
    rows = conn.execute(query.order_by(_REWARD.active.desc(), _REWARD.points_cost, _REWARD.id)
                        .limit(limit).offset(offset))
    return [dict(r._mapping) for r in rows]


def count_rewards(conn: Connection, tenant_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(catalog_rewards)
                            .where(_REWARD.tenant_id == tenant_id)).scalar_one())


# How long a process trusts what it read of whether a tenant offers any reward: a quote for
# a business without a catalogue then reads nothing. The process that changes the catalogue
# forgets at once (forget_offers); another sees the change within this time.
OFFERS_TTL_SECONDS = 5.0


def offers_rewards(conn: Connection, tenant_id: int) -> bool:
    """Whether the tenant has any active catalogue reward (remembered for a few seconds)."""
    return remembered(conn, ("catalogue offers", tenant_id), OFFERS_TTL_SECONDS,
                      lambda: bool(conn.execute(select(exists().where(
                          _REWARD.tenant_id == tenant_id, _REWARD.active.is_(True))))
                          .scalar_one()))


def forget_offers(engine: Engine, tenant_id: int) -> None:
    """After a change to the tenant's catalogue has committed: read it afresh next time."""
    forget(engine, ("catalogue offers", tenant_id))


def affordable(conn: Connection, tenant_id: int, *, points: int, now: datetime,
               limit: int) -> list[dict[str, Any]]:
    """Active rewards in their validity at ``now`` costing at most ``points``, with stock
    left in total (the day's stock and the other conditions are the caller's to check).
    One indexed query; nothing for a tenant without a catalogue."""
    rows = conn.execute(select(catalog_rewards).where(
        _REWARD.tenant_id == tenant_id, _REWARD.active.is_(True),
        _REWARD.points_cost <= points,
        or_(_REWARD.valid_from.is_(None), _REWARD.valid_from <= now),
        or_(_REWARD.valid_until.is_(None), _REWARD.valid_until > now),
        or_(_REWARD.stock_total.is_(None), _REWARD.issued < _REWARD.stock_total))
        .order_by(_REWARD.points_cost, _REWARD.id).limit(limit))
    return [dict(r._mapping) for r in rows]


def issued_on(conn: Connection, tenant_id: int, reward_ids: list[int],
              day: date) -> dict[int, int]:
    """How many of each reward were issued on ``day`` (absent: none)."""
    if not reward_ids:
        return {}
    rows = conn.execute(select(catalog_reward_days.c.reward_id, catalog_reward_days.c.issued)
                        .where(catalog_reward_days.c.tenant_id == tenant_id,
                               catalog_reward_days.c.reward_id.in_(reward_ids),
                               catalog_reward_days.c.day == day))
    return {int(r.reward_id): int(r.issued) for r in rows}


def take_stock(conn: Connection, tenant_id: int, reward: dict[str, Any], day: date) -> bool:
    """Count one more of ``reward`` issued, in total and on ``day``; False (the caller rolls
    back) when either stock is used up."""
    counted = conn.execute(update(catalog_rewards).where(
        _REWARD.tenant_id == tenant_id, _REWARD.id == reward["id"],
        or_(_REWARD.stock_total.is_(None), _REWARD.issued < _REWARD.stock_total))
        .values(issued=_REWARD.issued + 1)).rowcount == 1
    if not counted:
        return False
    per_day = reward["stock_per_day"]
    if per_day is None:
        return True
    days = catalog_reward_days.c
    _insert_missing(conn, catalog_reward_days, {"tenant_id": tenant_id,
                                                "reward_id": reward["id"], "day": day,
                                                "issued": 0})
    return conn.execute(update(catalog_reward_days).where(
        days.tenant_id == tenant_id, days.reward_id == reward["id"], days.day == day,
        days.issued < per_day).values(issued=days.issued + 1)).rowcount == 1


def give_stock_back(conn: Connection, tenant_id: int, reward_id: int, day: date) -> None:
    """Count one fewer of ``reward_id`` issued, in total and on ``day`` (a claim refunded or
    expired; the claim's own status change, made first, guards against twice)."""
    conn.execute(update(catalog_rewards).where(
        _REWARD.tenant_id == tenant_id, _REWARD.id == reward_id, _REWARD.issued > 0)
        .values(issued=_REWARD.issued - 1))
    days = catalog_reward_days.c
    conn.execute(update(catalog_reward_days).where(
        days.tenant_id == tenant_id, days.reward_id == reward_id, days.day == day,
        days.issued > 0).values(issued=days.issued - 1))


# Claims ------------------------------------------------------------------------------------------

def insert_claim(conn: Connection, tenant_id: int, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(reward_claims).values(tenant_id=tenant_id, **values)
                            .returning(_CLAIM.id)).scalar_one())


def claim_by_digest(conn: Connection, tenant_id: int,
                    digest: str) -> dict[str, Any] | None:
    row = conn.execute(select(reward_claims).where(
        _CLAIM.tenant_id == tenant_id, _CLAIM.code_digest == digest)).one_or_none()
    return dict(row._mapping) if row else None


def use_claim(conn: Connection, tenant_id: int, claim_id: int, *, receipt_id: int,
              line_no: int | None, discount_minor: int, cost_minor: int,
              now: datetime) -> bool:
    """Mark a claimed code used by a receipt; False when it is no longer ``claimed`` or has
    expired (a concurrent till used it first)."""
    return conn.execute(update(reward_claims).where(
        _CLAIM.tenant_id == tenant_id, _CLAIM.id == claim_id, _CLAIM.status == "claimed",
        or_(_CLAIM.expires_at.is_(None), _CLAIM.expires_at > now)).values(
        status="used", used_at=now, receipt_id=receipt_id, line_no=line_no,
        discount_minor=discount_minor, cost_minor=cost_minor)).rowcount == 1


def close_claim(conn: Connection, tenant_id: int, claim_id: int, *, status: str,
                before: str, now: datetime) -> bool:
    """Move a claim from ``before`` to ``status`` (expired, refunded); False when another
    run or refund moved it first."""
    return conn.execute(update(reward_claims).where(
        _CLAIM.tenant_id == tenant_id, _CLAIM.id == claim_id, _CLAIM.status == before)
        .values(status=status, closed_at=now)).rowcount == 1


def claims_of_receipt(conn: Connection, tenant_id: int,
                      receipt_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(reward_claims).where(
        _CLAIM.tenant_id == tenant_id, _CLAIM.receipt_id == receipt_id).order_by(_CLAIM.id))
    return [dict(r._mapping) for r in rows]


def lapsed_claims(conn: Connection, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Claimed codes past their expiry, of every tenant, oldest first (the expiry job's)."""
    rows = conn.execute(select(reward_claims, _REWARD.refund_on_expiry)
                        .join(catalog_rewards, and_(_REWARD.tenant_id == _CLAIM.tenant_id,
                                                    _REWARD.id == _CLAIM.reward_id))
                        .where(_CLAIM.status == "claimed", _CLAIM.expires_at <= now)
                        .order_by(_CLAIM.expires_at, _CLAIM.id).limit(limit))
    return [dict(r._mapping) for r in rows]


def list_claims(conn: Connection, tenant_id: int, *, member_id: int | None = None,
                reward_id: int | None = None, status: str | None = None, limit: int,
                offset: int = 0) -> list[dict[str, Any]]:
    """Claims, newest first, with their reward's English or first title."""
    query = (select(reward_claims, _REWARD.titles)
             .join(catalog_rewards, and_(_REWARD.tenant_id == _CLAIM.tenant_id,
                                         _REWARD.id == _CLAIM.reward_id))
             .where(_CLAIM.tenant_id == tenant_id))
    if member_id is not None:
        query = query.where(_CLAIM.member_id == member_id)
    if reward_id is not None:
        query = query.where(_CLAIM.reward_id == reward_id)
    if status is not None:
        query = query.where(_CLAIM.status == status)
    rows = conn.execute(query.order_by(_CLAIM.id.desc()).limit(limit).offset(offset))
    return [dict(r._mapping) for r in rows]
