"""Stamp cards and what receipts did to them: reads and writes of the stamps area's tables,
and the reads of a member's stamp accounts (the ledger's ``accounts`` and ``lots``, read
only; stamps are written through :mod:`regulars.db.ledger.ops`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from regulars.db.ledger.tables import accounts, lots
from regulars.db.stamps.tables import receipt_stamps, stamp_cards
from regulars.domain.ledger.assets import stamps as stamps_asset
from regulars.domain.stamps.cards import GrantAt, Reward, StampCard

_FIELDS = ("name", "skus", "categories", "per_visit", "per_card", "reward", "discount_minor",
           "grant_at", "expiry_days", "active", "titles")


def card_of(row: Any) -> StampCard:
    return StampCard(id=row.id, name=row.name, skus=frozenset(row.skus),
                     categories=frozenset(row.categories), per_visit=row.per_visit,
                     per_card=row.per_card, reward=Reward(row.reward),
                     discount_minor=row.discount_minor, grant_at=GrantAt(row.grant_at),
                     expiry_days=row.expiry_days, active=row.active, titles=dict(row.titles))


def _values(card: StampCard) -> dict[str, Any]:
    return {"name": card.name, "skus": sorted(card.skus), "categories": sorted(card.categories),
            "per_visit": card.per_visit, "per_card": card.per_card,
            "reward": card.reward.value, "discount_minor": card.discount_minor,
            "grant_at": card.grant_at.value, "expiry_days": card.expiry_days,
            "active": card.active, "titles": dict(card.titles)}


def insert_card(conn: Connection, tenant_id: int, card: StampCard, *, now: datetime) -> int:
    """A new card (``card.id`` is ignored); its id. Raises the unique violation of a name
    the tenant uses already."""
    return int(conn.execute(insert(stamp_cards).values(
        tenant_id=tenant_id, created_at=now, updated_at=now, **_values(card))
        .returning(stamp_cards.c.id)).scalar_one())


def update_card(conn: Connection, tenant_id: int, card: StampCard, *, now: datetime) -> bool:
    """Change a card's definition; ``False`` when the tenant has no such card."""
    done = conn.execute(update(stamp_cards).where(
        stamp_cards.c.tenant_id == tenant_id, stamp_cards.c.id == card.id)
        .values(updated_at=now, **_values(card)))
    return done.rowcount == 1


def get_card(conn: Connection, tenant_id: int, card_id: int) -> StampCard | None:
    row = conn.execute(select(stamp_cards).where(stamp_cards.c.tenant_id == tenant_id,
                                                 stamp_cards.c.id == card_id)).first()
    return card_of(row) if row is not None else None


def list_cards(conn: Connection, tenant_id: int, *, active_only: bool = False
               ) -> list[StampCard]:
    query = select(stamp_cards).where(stamp_cards.c.tenant_id == tenant_id)
    if active_only:
        query = query.where(stamp_cards.c.active.is_(True))
    return [card_of(r) for r in conn.execute(query.order_by(stamp_cards.c.id))]


def cards_version(conn: Connection, tenant_id: int) -> tuple[int, datetime | None]:
    """(number of cards, latest change): what a cached list of a tenant's cards is checked
    against."""
    row = conn.execute(select(func.count(), func.max(stamp_cards.c.updated_at))
                       .where(stamp_cards.c.tenant_id == tenant_id)).one()
    return int(row[0]), row[1]


@dataclass(frozen=True, kw_only=True)
class StampAccount:
    """A member's account of one card's stamps: its id, balance and the stamps it may spend
    now (open lots neither expired nor pending)."""

    card_id: int
    account_id: int
    balance: int
    spendable: int


def stamp_accounts(conn: Connection, tenant_id: int, member_id: int,
                   card_ids: Sequence[int], *, now: datetime,
                   lock: bool = False) -> dict[int, StampAccount]:
    """The member's stamp accounts of these cards (those it has), by card id. ``lock``
    takes their row locks first, in id order (the order every writer takes), so the
    balances read are those no concurrent commit of the member can change before this
    transaction ends."""
    codes = {stamps_asset(c).code: c for c in card_ids}
    if not codes:
        return {}
    where = (accounts.c.tenant_id == tenant_id, accounts.c.member_id == member_id,
             accounts.c.asset.in_(sorted(codes)))
    if lock:
        conn.execute(select(accounts.c.id).where(*where).order_by(accounts.c.id)
                     .with_for_update(key_share=True)).all()
    spendable = (select(func.coalesce(func.sum(lots.c.remaining), 0))
                 .where(lots.c.tenant_id == tenant_id, lots.c.account_id == accounts.c.id,
                        lots.c.is_open, lots.c.available_at <= now,
                        lots.c.expires_at.is_(None) | (lots.c.expires_at > now))
                 .scalar_subquery())
    rows = conn.execute(select(accounts.c.id, accounts.c.asset, accounts.c.balance,
                               accounts.c.debt, spendable.label("spendable"))
                        .where(*where)).all()
    return {codes[r.asset]: StampAccount(card_id=codes[r.asset], account_id=r.id,
                                         balance=r.balance,
                                         spendable=max(0, int(r.spendable) - r.debt))
            for r in rows}


def insert_receipt_stamps(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(receipt_stamps), rows)


def receipt_stamps_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[Any]:
    return list(conn.execute(select(receipt_stamps).where(
        receipt_stamps.c.tenant_id == tenant_id, receipt_stamps.c.receipt_id == receipt_id)
        .order_by(receipt_stamps.c.card_id)))


def add_reversed(conn: Connection, row_id: int, *, reversed_: int, forgiven: int) -> None:
    """Count stamps a refund took back (``reversed_``), of which ``forgiven`` the card no
    longer held. The refund holds its receipt's lock, so refunds of one receipt come one
    after the other."""
    conn.execute(update(receipt_stamps).where(receipt_stamps.c.id == row_id).values(
        reversed=receipt_stamps.c.reversed + reversed_,
        forgiven=receipt_stamps.c.forgiven + forgiven))


def set_restored(conn: Connection, row_id: int, stamps: int) -> None:
    """Record that a refund gave back the ``stamps`` a receipt's reward consumed."""
    conn.execute(update(receipt_stamps).where(receipt_stamps.c.id == row_id)
                 .values(restored=stamps))


def account_ids_of(conn: Connection, tenant_id: int, member_id: int,
                   card_ids: Sequence[int]) -> list[int]:
    codes = [stamps_asset(c).code for c in card_ids]
    return [int(i) for i in conn.execute(select(accounts.c.id).where(
        accounts.c.tenant_id == tenant_id, accounts.c.member_id == member_id,
        accounts.c.asset.in_(codes)))]


def move_receipt_stamps(conn: Connection, tenant_id: int, from_member: int,
                        to_member: int) -> None:
    """Give one member's receipt stamps to another (a merge, with the receipts)."""
    conn.execute(update(receipt_stamps).where(receipt_stamps.c.tenant_id == tenant_id,
                                              receipt_stamps.c.member_id == from_member)
                 .values(member_id=to_member))
