"""A member's stamp cards as the member, the till and the console see them: "7 of 10"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from regulars.db.members import members
from regulars.db.stamps import stamps as store
from regulars.domain.stamps.cards import GrantAt, Reward
from regulars.errors import NotFound
from regulars.services.runtime import Runtime
from regulars.services.stamps.cards import active_cards


@dataclass(frozen=True, kw_only=True)
class MemberStampCard:
    """One active card: ``stamps`` of ``per_card`` on the card being filled, ``ready``
    completed cards whose reward waits for the next purchase, the reward (``free_item`` or
    ``discount`` of ``discount_minor``) and the card's title in the reader's language."""

    card_id: int
    title: str
    stamps: int
    per_card: int
    ready: int
    reward: str
    discount_minor: int


def cards_in(conn: Connection, tenant_id: int, member_id: int, *, language: str,
             now: datetime) -> tuple[MemberStampCard, ...]:
    """:func:`cards_of` inside the caller's transaction."""
    found = active_cards(conn, tenant_id)
    if not found:
        return ()
    accounts = store.stamp_accounts(conn, tenant_id, member_id, [c.id for c in found], now=now)
    shown = []
    for card in found:
        account = accounts.get(card.id)
        held = account.spendable if account else 0
        ready = held // card.per_card if card.grant_at is GrantAt.NEXT else 0
        shown.append(MemberStampCard(
            card_id=card.id, title=card.title(language), stamps=held - ready * card.per_card,
            per_card=card.per_card, ready=ready, reward=card.reward.value,
            discount_minor=card.discount_minor if card.reward is Reward.DISCOUNT else 0))
    return tuple(shown)


def cards_of(rt: Runtime, tenant_id: int, member_id: int, *,
             language: str) -> tuple[MemberStampCard, ...]:
    """Every active card of the tenant with the member's stamps on it (none: 0 of N).
    Raises :class:`NotFound` for a member of another tenant or none."""
    with rt.db.read() as conn:
        if members.get_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found")
        return cards_in(conn, tenant_id, member_id, language=language, now=rt.now())
