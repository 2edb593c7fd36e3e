"""Stamp card definitions: create, change, list; and the tenant's active cards for the till.

A new card opens the system accounts of its stamps (the ledger asset ``stamps:<id>``) in its
own transaction. Every change is on the audit trail. The till reads the active cards through
:func:`active_cards`, remembered per process for :data:`CACHE_SECONDS` (a tenant without
cards pays no query per receipt); a change made in this process is seen at once, one made
in another process within that time.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from regulars.db.engine import UniqueViolation, forget, remembered
from regulars.db.ledger import ops as ledger_ops
from regulars.db.stamps import stamps as store
from regulars.domain.ledger.assets import stamps as stamps_asset
from regulars.domain.stamps.cards import StampCard, card_problems
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime

CACHE_SECONDS = 5.0
MAX_CARDS = 50


def _checked(card: StampCard) -> StampCard:
    problems = card_problems(card)
    if problems:
        field, problem = problems[0]
        raise InvalidInput(problem, field=field)
    return card


def _forget(rt: Runtime, tenant_id: int) -> None:
    forget(rt.db.engine, ("stamp_cards", tenant_id))


def create(rt: Runtime, tenant_id: int, card: StampCard, actor: audit.Actor) -> StampCard:
    """A new card (``card.id`` is ignored) with its stamp asset's system accounts. Raises
    :class:`InvalidInput` naming the field at fault, :class:`Conflict` on ``name`` when the
    business has a card of that name, or too many cards."""
    _checked(card)
    now = rt.now()
    try:
        with rt.db.write() as conn:
            if len(store.list_cards(conn, tenant_id)) >= MAX_CARDS:
                raise Conflict(f"a business has at most {MAX_CARDS} stamp cards", field="name")
            card_id = store.insert_card(conn, tenant_id, card, now=now)
            ledger_ops.open_system_accounts(conn, tenant_id, asset=stamps_asset(card_id))
            audit.record(conn, tenant_id, actor, "stamp_card.create", f"stamp card {card_id}",
                         at=now, name=card.name)
    except UniqueViolation as exc:
        raise Conflict("a stamp card with this name exists", field="name") from exc
    _forget(rt, tenant_id)
    return replace(card, id=card_id)


def update(rt: Runtime, tenant_id: int, card_id: int, card: StampCard,
           actor: audit.Actor) -> StampCard:
    """Replace a card's definition (stamps already given stay). Raises :class:`NotFound`,
    :class:`InvalidInput` and :class:`Conflict` as :func:`create`."""
    card = _checked(replace(card, id=card_id))
    now = rt.now()
    try:
        with rt.db.write() as conn:
            if not store.update_card(conn, tenant_id, card, now=now):
                raise NotFound("stamp card not found")
            audit.record(conn, tenant_id, actor, "stamp_card.update", f"stamp card {card_id}",
                         at=now, name=card.name, active=card.active)
    except UniqueViolation as exc:
        raise Conflict("a stamp card with this name exists", field="name") from exc
    _forget(rt, tenant_id)
    return card


def get(rt: Runtime, tenant_id: int, card_id: int) -> StampCard:
    with rt.db.read() as conn:
        card = store.get_card(conn, tenant_id, card_id)
    if card is None:
        raise NotFound("stamp card not found")
    return card


def list_all(rt: Runtime, tenant_id: int) -> tuple[StampCard, ...]:
    with rt.db.read() as conn:
        return tuple(store.list_cards(conn, tenant_id))


def active_cards(conn: Connection, tenant_id: int) -> tuple[StampCard, ...]:
    """The tenant's active cards, remembered for :data:`CACHE_SECONDS` (a process clock:
    how long a list may be reused, not a business time)."""
    return remembered(conn, ("stamp_cards", tenant_id), CACHE_SECONDS,
                      lambda: tuple(store.list_cards(conn, tenant_id, active_only=True)))
