"""Stamps at the till: what a receipt adds to the member's cards, the rewards of the cards it
completes, and what a refund takes back.

Inside the caller's unit of work. :func:`plan_sale` plans every active card for the
receipt's lines (:func:`regulars.domain.stamps.cards.plan`) and gives the basket with each
reward taken off its line, before the engine prices it; a tenant without active cards reads
nothing (the list is cached). At commit time (``lock``) the member's stamp accounts are
opened when a card gains its first stamps and locked, in id order, before their balances are
read: concurrent commits of one member queue there, and each plans from the stamps the one
before it left. :func:`post` then writes through the ledger: ``earn`` the stamps added,
``spend`` those of completed cards, keyed by the receipt (``receipt:<id>:stamps:<card>:earn``
and ``…:spend``).

Refunds (:func:`refund`): each whole item returned takes its stamp back, and a per-visit
stamp goes back with the last of the receipt; stamps the card no longer holds (spent on a
reward or expired) are forgiven, never taken as debt. A reward already granted stays granted:
the stamps spent on it are not given back, and a free item refunds nothing (it was paid
nothing). A refund locks the receipt's stamp accounts before anything else, in the order a
commit takes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from regulars.db.checkout import receipts
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.stamps import stamps as store
from regulars.domain.checkout.quote import BasketLine, Explanation
from regulars.domain.ledger.assets import stamps as stamps_asset
from regulars.domain.ledger.ledger import EntryCode
from regulars.domain.stamps.cards import (
    StampLine,
    StampPlan,
    plan,
    reversed_by_refund,
    stamps_by_line,
)
from regulars.errors import InsufficientPoints
from regulars.services.stamps.cards import active_cards


@dataclass(frozen=True, kw_only=True)
class StampProgress:
    """One card after a receipt: ``stamps`` of ``per_card`` on the card being filled
    ("7 of 10"), ``added`` by this receipt, ``completed`` cards whose reward it took
    (``discount_minor`` in all), and ``ready`` rewards waiting for the next purchase."""

    card_id: int
    name: str
    stamps: int
    per_card: int
    added: int
    completed: int
    discount_minor: int
    ready: int


@dataclass(frozen=True, kw_only=True)
class StampPricing:
    """The plans of a receipt's cards, the member's stamp account of each card it has one
    of, and the basket with the rewards taken off its lines."""

    plans: tuple[StampPlan, ...]
    accounts: Mapping[int, int]
    lines: tuple[BasketLine, ...]


def plan_sale(conn: Connection, tenant_id: int, member_id: int,
              lines: tuple[BasketLine, ...], *, now: datetime,
              lock: bool = False) -> StampPricing | None:
    """Plan the tenant's active cards for these lines (``None``: the tenant has none).
    With ``lock`` (a commit's transaction), open the accounts of cards the receipt adds
    stamps to and lock the member's stamp accounts before reading them."""
    cards = active_cards(conn, tenant_id)
    if not cards:
        return None
    open_minor = [ln.gross_minor - ln.discount_minor for ln in lines]
    lines_of = [StampLine(line_no=i, sku=ln.sku, category=ln.category,
                          quantity_milli=ln.quantity_milli, unit_price_minor=ln.unit_price_minor,
                          open_minor=left)
                for i, (ln, left) in enumerate(zip(lines, open_minor, strict=True), start=1)]
    card_ids = [c.id for c in cards]
    found = store.stamp_accounts(conn, tenant_id, member_id, card_ids, now=now, lock=lock)
    missing = [c for c in cards if c.id not in found and any(stamps_by_line(c, lines_of))]
    if lock and missing:
        # Opened after the existing accounts are locked: of two commits of the member, the
        # second waits on those locks (or on the first's new row) before it gets here.
        for card in missing:
            ledger_ops.ensure_account(conn, tenant_id, member_id, asset=stamps_asset(card.id))
        found = store.stamp_accounts(conn, tenant_id, member_id, card_ids, now=now, lock=True)
    plans = []
    for card in cards:
        stamp_lines = [StampLine(line_no=i, sku=ln.sku, category=ln.category,
                                 quantity_milli=ln.quantity_milli,
                                 unit_price_minor=ln.unit_price_minor, open_minor=left)
                       for i, (ln, left) in enumerate(zip(lines, open_minor, strict=True),
                                                      start=1)]
        account = found.get(card.id)
        card_plan = plan(card, account.spendable if account else 0, stamp_lines)
        open_minor = [left - d for left, d in zip(open_minor, card_plan.discount_by_line,
                                                  strict=True)]
        plans.append(card_plan)
    priced = tuple(replace(ln, discount_minor=ln.gross_minor - left) if
                   left != ln.gross_minor - ln.discount_minor else ln
                   for ln, left in zip(lines, open_minor, strict=True))
    return StampPricing(plans=tuple(plans),
                        accounts={c: a.account_id for c, a in found.items()}, lines=priced)


def explanations(pricing: StampPricing) -> tuple[Explanation, ...]:
    """Why each line's reward and how far each card got, as the quote explains its figures."""
    why: list[Explanation] = []
    for p in pricing.plans:
        for line_no, discount in enumerate(p.discount_by_line, start=1):
            if discount:
                why.append(Explanation(code="stamp_reward", line_no=line_no, params=(
                    ("card", p.card.name), ("per_card", p.card.per_card),
                    ("discount_minor", discount))))
        if p.touched or p.balance_before:
            why.append(Explanation(code="stamp_progress", params=(
                ("card", p.card.name), ("added", p.added), ("stamps", p.on_card),
                ("per_card", p.card.per_card), ("ready", p.ready))))
    return tuple(why)


def progress(pricing: StampPricing | None) -> tuple[StampProgress, ...]:
    """The cards the member has stamps on or this receipt touches."""
    if pricing is None:
        return ()
    return tuple(StampProgress(card_id=p.card.id, name=p.card.name, stamps=p.on_card,
                               per_card=p.card.per_card, added=p.added,
                               completed=p.completed, discount_minor=p.discount_minor,
                               ready=p.ready)
                 for p in pricing.plans if p.touched or p.balance_before)


def post(conn: Connection, ctx: EntryContext, pricing: StampPricing | None, *,
         now: datetime) -> dict[str, int]:
    """Write the receipt's stamps (a commit, after :func:`plan_sale` with ``lock``): per card
    touched, ``earn`` the stamps added (expiring after the card's days from the receipt's
    time) and ``spend`` those of the cards completed; record what the receipt did. The entry
    ids by name. Raises :class:`InsufficientPoints` if the stamps went away (the account
    locks rule it out)."""
    if pricing is None:
        return {}
    assert ctx.receipt_id is not None and ctx.member_id is not None
    entry_ids: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for p in pricing.plans:
        if not p.touched:
            continue
        card, asset = p.card, stamps_asset(p.card.id)
        account_id = pricing.accounts[card.id]
        key = f"receipt:{ctx.receipt_id}:stamps:{card.id}"
        memo: dict[str, Any] = {"why": [{"code": "stamp_progress", "params": {
            "card": card.name, "added": p.added, "stamps": p.on_card,
            "per_card": card.per_card, "ready": p.ready}}]}
        if p.added:
            expires_at = (ctx.occurred_at + timedelta(days=card.expiry_days)
                          if card.expiry_days else None)
            entry_ids[f"stamps:{card.id}:earn"] = ledger_ops.earn(
                conn, ctx, key=f"{key}:earn", account_id=account_id, amount=p.added,
                available_at=min(ctx.occurred_at, now), expires_at=expires_at, memo=memo,
                asset=asset)
        spent: int | None = None
        if p.spent:
            try:
                spent = ledger_ops.spend(
                    conn, ctx, key=f"{key}:spend", account_id=account_id, amount=p.spent,
                    now=now, asset=asset, memo={**memo, "completed": p.completed,
                                                "discount_minor": p.discount_minor})
            except Shortfall as exc:
                raise InsufficientPoints("the member no longer has these stamps",
                                         field="member") from exc
            assert spent is not None
            entry_ids[f"stamps:{card.id}:spend"] = spent
        rows.append({"tenant_id": ctx.tenant_id, "receipt_id": ctx.receipt_id,
                     "card_id": card.id, "member_id": ctx.member_id,
                     "added_by_line": list(p.added_by_line), "added": p.added,
                     "spent": p.spent, "completed": p.completed,
                     "discount_minor": p.discount_minor, "spend_entry_id": spent,
                     "rewarded_lines": [n for n, d in enumerate(p.discount_by_line, 1) if d]})
    store.insert_receipt_stamps(conn, rows)
    return entry_ids


def lock_for_refund(conn: Connection, tenant_id: int, receipt: Mapping[str, Any],
                    now: datetime) -> None:
    """Lock the stamp accounts of the cards this receipt touched (before the refund takes
    any other row a commit also takes)."""
    if receipt["member_id"] is None:
        return
    rows = store.receipt_stamps_of(conn, tenant_id, receipt["id"])
    if rows:
        store.stamp_accounts(conn, tenant_id, receipt["member_id"],
                             [r.card_id for r in rows], now=now, lock=True)


def refund(conn: Connection, ctx: EntryContext, *, key: str, void: bool,
           now: datetime) -> int:
    """Take back the stamps the receipt's refunds so far have returned items for, less what
    earlier refunds took (after the refund's quantities are recorded); the stamps taken back
    by this refund. Stamps the card no longer holds are forgiven."""
    assert ctx.receipt_id is not None
    if ctx.member_id is None:
        return 0
    rows = store.receipt_stamps_of(conn, ctx.tenant_id, ctx.receipt_id)
    if not rows:
        return 0
    lines = receipts.lines_of(conn, ctx.tenant_id, ctx.receipt_id)
    quantities = [ln["quantity_milli"] for ln in lines]
    refunded = [ln["refunded_quantity_milli"] for ln in lines]
    # The reward's stamps come back first, so that the stamps the receipt added are then
    # taken back from them, as if the receipt had never been.
    for row in rows:
        _undo_reward(conn, ctx, row, quantities, refunded, key=key, void=void, now=now)
    found = store.stamp_accounts(conn, ctx.tenant_id, ctx.member_id,
                                 [r.card_id for r in rows], now=now)
    taken = 0
    for row in rows:
        card = store.get_card(conn, ctx.tenant_id, row.card_id)
        assert card is not None
        due = reversed_by_refund(card.per_visit, row.added_by_line, quantities,
                                 refunded) - row.reversed
        if due <= 0:
            continue
        account = found[row.card_id]
        take = min(due, account.spendable)
        if take:
            ledger_ops.reverse(
                conn, ctx, key=f"receipt:{ctx.receipt_id}:{key}:stamps:{card.id}",
                account_id=account.account_id, amount=take, now=now, origin_lot_id=None,
                allow_debt=False, code=EntryCode.VOID if void else EntryCode.REFUND_EARN,
                asset=stamps_asset(card.id),
                memo={"forgiven": due - take, "why": [{"code": "stamp_refund", "params": {
                    "card": card.name, "stamps": take}}]})
        store.add_reversed(conn, row.id, reversed_=due, forgiven=due - take)
        taken += take
    return taken


def _undo_reward(conn: Connection, ctx: EntryContext, row: Any, quantities: Sequence[int],
                 refunded: Sequence[int], *, key: str, void: bool, now: datetime) -> None:
    """Give back the stamps a completed card consumed once every line its reward went to
    (the free item) has been refunded in full, once, into the lots they were spent from (a
    lot expired since: a fresh one with the card's days from now)."""
    lines = row.rewarded_lines or []
    if row.restored or not row.spent or row.spend_entry_id is None or not lines:
        return
    if any(refunded[n - 1] < quantities[n - 1] for n in lines):
        return
    card = store.get_card(conn, ctx.tenant_id, row.card_id)
    assert card is not None
    moves = [(lot_id, -part) for lot_id, part in reversed(
        ledger_ops.moves_of(conn, ctx.tenant_id, row.spend_entry_id)) if part < 0]
    account_id = store.stamp_accounts(conn, ctx.tenant_id, ctx.member_id or 0, [card.id],
                                      now=now)[card.id].account_id
    ledger_ops.restore(
        conn, ctx, key=f"receipt:{ctx.receipt_id}:{key}:stamps:{card.id}:reward",
        account_id=account_id, moves=moves, now=now,
        fresh_expires_at=now + timedelta(days=card.expiry_days) if card.expiry_days else None,
        code=EntryCode.VOID if void else EntryCode.REFUND_SPEND, asset=stamps_asset(card.id),
        memo={"why": [{"code": "stamp_reward_undone", "params": {
            "card": card.name, "stamps": row.spent}}]})
    store.set_restored(conn, row.id, row.spent)
