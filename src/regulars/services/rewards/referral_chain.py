"""Referrals over several levels, and their reversal when the first purchase goes back.

Levels: a tenant may pay, besides the referrer (level 1) and the referred member, the
referrer's own referrer (level 2) and so on up to level 5, with the points per level in
``referral.upper_level_points``, kept on the referral as linked (a later change of settings
does not alter it). They are paid when the referral is (at registration or at the first
purchase), each as its own keyed entry ``referral:<referred id>:level<n>``, so a second
settlement pays nothing. The chain follows linked referrals only; a member met twice ends it
(see :func:`regulars.domain.rewards.rewards.chain_payouts`); the self-referral and farming checks of
linking hold at every level, since each link was checked when it was made.

Reversal: a first-purchase referral records the receipt that settled it. A refund or void
that leaves nothing of that receipt reverses every payment of the referral (both sides and
every level) once, by a ``referral_reversal`` entry per payment keyed
``<payment key>:reversed`` that takes the points back through the ledger (never a delete).
Points already spent follow the program's debt policy: ``allow_negative`` leaves debt,
``refuse`` takes back what the member still holds and forgives the rest, so the referred
member's refund itself is never refused for it. A reversed referral is not paid again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.db.members import members as member_rows
from regulars.db.rewards import rewards as store
from regulars.domain.ledger.ledger import EntryCode
from regulars.domain.program.program import DebtPolicy, Program
from regulars.domain.rewards.rewards import MAX_REFERRAL_LEVELS


def chain_above(conn: Connection, tenant_id: int, referrer_id: int,
                levels: int) -> tuple[int, ...]:
    """Up to ``levels`` members above ``referrer_id``: their referrer, theirs, ... (a member
    met twice ends the walk)."""
    found: list[int] = []
    seen = {referrer_id}
    current = referrer_id
    for _ in range(min(levels, MAX_REFERRAL_LEVELS - 1)):
        above = store.referrer_of(conn, tenant_id, current)
        if above is None or above in seen:
            break
        found.append(above)
        seen.add(above)
        current = above
    return tuple(found)


def payment_keys(referred_id: int, levels: int) -> list[str]:
    return [f"referral:{referred_id}:referrer", f"referral:{referred_id}:referred",
            *(f"referral:{referred_id}:level{n}" for n in range(2, levels + 2))]


def reverse_first_purchase(conn: Connection, tenant_id: int, *, receipt_id: int,
                           member_id: int, program: Program, now: datetime,
                           terminal_id: int | None, store_id: int | None) -> int:
    """Reverse the referral that ``receipt_id`` (now refunded or voided whole) settled as the
    first purchase of ``member_id``; returns the points taken back (0 when there is none or
    it was reversed already)."""
    referral = store.referral_of(conn, tenant_id, member_id)
    if referral is None or referral["receipt_id"] != receipt_id:
        return 0
    if not store.reverse_referral(conn, tenant_id, referral["id"], receipt_id, now):
        return 0
    levels = len(referral["chain_points"] or [])
    taken = 0
    for entry_id, key, owner_id, points in store.entries_by_keys(
            conn, tenant_id, payment_keys(member_id, levels)):
        owner = member_rows.get_member(conn, tenant_id, owner_id)
        assert owner is not None
        ledger_ops.lock_accounts(conn, (owner.account_id,))
        state = ledger_ops.account_state(conn, tenant_id, owner_id)
        allow_debt = program.debt_policy is DebtPolicy.ALLOW_NEGATIVE
        back = points if allow_debt else min(points, max(0, state.balance))
        if back <= 0:
            continue
        ctx = EntryContext(tenant_id=tenant_id, member_id=owner_id, receipt_id=receipt_id,
                           terminal_id=terminal_id, store_id=store_id, occurred_at=now,
                           recorded_at=now)
        origin = next((lot for lot, amount in ledger_ops.moves_of(conn, tenant_id, entry_id)
                       if amount > 0), None)
        ledger_ops.reverse(
            conn, ctx, key=f"{key}:reversed", account_id=owner.account_id, amount=back,
            now=now, origin_lot_id=origin, allow_debt=allow_debt,
            code=EntryCode.REFERRAL_REVERSAL, reverses_entry_id=entry_id,
            memo={"forgiven": points - back, "why": [{"code": "referral_reversed", "params": {
                "points": back, "member_id": member_id}}]})
        taken += back
    return taken
