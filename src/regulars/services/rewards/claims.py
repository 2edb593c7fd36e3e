"""Claiming catalogue rewards: at the till (the quote lists what the member can afford, the
commit spends the points and takes the reward off its line), in advance on the customer
page (the points are spent then, and the member gets a one-time code a till redeems), the
expiry of unused codes, and the points a refund of the rewarded line returns.

Stock is counted in the transaction that claims, by conditional updates
(:func:`regulars.db.rewards.catalog.take_stock`): a reward out of stock refuses the claim and
the whole unit of work rolls back. Points move only through :mod:`regulars.db.ledger.ops`,
each write keyed: a till claim's points are part of the receipt's spend (so the refund of the
line returns them, in proportion, once); a claim in advance has a spend entry of its own,
which its expiry (when the reward says so) or the refund of the line it was used on
restores once, guarded by the claim's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger import spendable as ledger_spendable
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.members import members as member_store
from regulars.db.members.members import MemberRow
from regulars.db.promotions import coupons as coupon_store
from regulars.db.rewards import catalog as store
from regulars.db.tenancy import tenancy
from regulars.domain import codes
from regulars.domain.analytics.days import NO_REWARDS, Rewards
from regulars.domain.checkout.quote import BasketLine, Quote, RewardUse
from regulars.domain.ledger.ledger import EntryCode
from regulars.domain.rewards.catalog import LineFacts, RewardKind, discount_by_line, refusal
from regulars.errors import CodeRefused, InsufficientPoints, NotFound, RewardRefused
from regulars.services.checkout.results import RewardOption
from regulars.services.program import levels, programs
from regulars.services.promotions.coupons import secret_key
from regulars.services.rewards.catalog import Claim, Reward, claim_of, reward_of
from regulars.services.runtime import Runtime
from regulars.text.i18n import N_

MAX_CHOICES = 20

REFUSED = {
    "inactive": N_("this reward is not offered any more"),
    "not_yet": N_("this reward is not offered yet"),
    "ended": N_("this reward is no longer offered"),
    "store": N_("this reward is not offered in this store"),
    "level": N_("this reward is for other levels"),
    "points": N_("the member has too few points for this reward"),
    "no_line": N_("no line of this basket matches this reward"),
    "stock": N_("this reward is out of stock"),
}


@dataclass(frozen=True, kw_only=True)
class RewardTicket:
    """What a commit records for the reward it uses: the reward, and the claim in advance
    whose code the till sent (``None``: claimed at this till now)."""

    reward: Reward
    claim_id: int | None


@dataclass(frozen=True, kw_only=True)
class ClaimedCode:
    """A reward claimed in advance: its one-time code, shown once (only its keyed digest is
    kept)."""

    claim_id: int
    reward_id: int
    title: str
    points: int
    code: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExpiryReport:
    expired: int
    points_returned: int


def local_day(tenant: tenancy.TenantRow, at: datetime) -> date:
    return at.astimezone(ZoneInfo(tenant.timezone)).date()


def _refused(reason: str, field: str) -> RewardRefused:
    return RewardRefused(REFUSED[reason], field=field)


def _facts(basket: Sequence[BasketLine], quote: Quote) -> list[LineFacts]:
    """The quote's lines as a reward sees them: what is left to pay before points pay."""
    return [LineFacts(line.sku, line.category, line.unit_price_minor,
                      ln.paid_minor + ln.points_discount_minor)
            for line, ln in zip(basket, quote.lines, strict=True)]


# At the till -------------------------------------------------------------------------------------

def choices(conn: Connection, tenant: tenancy.TenantRow, basket: Sequence[BasketLine],
            quote: Quote, *,
            spendable_points: int, store_id: int | None, at: datetime,
            language: str) -> tuple[RewardOption, ...]:
    """The rewards the member on ``quote`` can afford on this basket now (their points, level,
    this store, the stock left, a matching line for a product or discount): one query, which
    finds nothing for a business without a catalogue."""
    if not store.offers_rewards(conn, tenant.id):
        return ()
    rows = store.affordable(conn, tenant.id, points=spendable_points, now=at,
                            limit=MAX_CHOICES * 2)
    if not rows:
        return ()
    rewards = [reward_of(r) for r in rows]
    per_day = [r.id for r in rewards if r.stock_per_day is not None]
    today = store.issued_on(conn, tenant.id, per_day, local_day(tenant, at))
    facts = _facts(basket, quote)
    found: list[RewardOption] = []
    for reward in rewards:
        if refusal(reward.claimable, now=at, store_id=store_id, level_code=quote.level_code,
                   spendable_points=spendable_points) is not None:
            continue
        if reward.stock_per_day is not None and today.get(reward.id, 0) >= reward.stock_per_day:
            continue
        off = sum(discount_by_line(reward.terms, facts))
        if not off and reward.kind != RewardKind.PERK:
            continue
        found.append(RewardOption(id=reward.id, title=reward.title(language),
                                  description=reward.description(language), kind=reward.kind,
                                  points_cost=reward.points_cost, discount_minor=off,
                                  picture_url=reward.picture_url))
    return tuple(found[:MAX_CHOICES])


def for_sale(conn: Connection, tenant: tenancy.TenantRow, *, reward_id: int | None,
             code: str | None, member: MemberRow | None, level_code: str | None,
             spendable_points: int, store_id: int | None, at: datetime,
             now: datetime) -> tuple[RewardUse, RewardTicket] | None:
    """The reward a sale names, by id (claimed now, for its points) or by the code of a claim
    in advance (already paid), checked for this member, store and moment; ``None`` when the
    sale names none. Raises :class:`RewardRefused`, :class:`NotFound` (``reward_id``) and
    :class:`CodeRefused` (``reward_code``)."""
    if reward_id is None and not code:
        return None
    if member is None:
        raise RewardRefused("a reward is claimed by a member",
                            field="reward_id" if reward_id is not None else "reward_code")
    if code:
        return _by_code(conn, tenant, code, member=member, store_id=store_id, now=now)
    assert reward_id is not None
    row = store.get_reward(conn, tenant.id, reward_id)
    if row is None:
        raise NotFound("reward not found", field="reward_id")
    reward = reward_of(row)
    reason = refusal(reward.claimable, now=at, store_id=store_id, level_code=level_code,
                     spendable_points=spendable_points)
    if reason is not None:
        raise _refused(reason.value, "reward_id")
    return (RewardUse(id=reward.id, title=reward.title(tenant.locale), terms=reward.terms,
                      points=reward.points_cost), RewardTicket(reward=reward, claim_id=None))


def _by_code(conn: Connection, tenant: tenancy.TenantRow, text: str, *, member: MemberRow,
             store_id: int | None, now: datetime) -> tuple[RewardUse, RewardTicket]:
    parsed = codes.parse(text)
    if isinstance(parsed, codes.Problem):
        raise CodeRefused("a reward code has 16 characters of 0-9 and A-Z without U",
                          field="reward_code")
    # Read, never made here: a quote reads in a read-only unit of work, and without a key
    # no code was ever issued.
    key = coupon_store.secret(conn, tenant.id)
    claim = (None if key is None else
             store.claim_by_digest(conn, tenant.id, codes.digest(bytes.fromhex(key), parsed)))
    if claim is None or claim["member_id"] != member.id:
        raise CodeRefused("no such reward code for this member", field="reward_code")
    if claim["status"] != "claimed" or (claim["expires_at"] is not None
                                        and claim["expires_at"] <= now):
        raise CodeRefused("this reward code was used or has expired", field="reward_code")
    row = store.get_reward(conn, tenant.id, int(claim["reward_id"]))
    assert row is not None
    reward = reward_of(row)
    if store_id is not None and reward.store_ids and store_id not in reward.store_ids:
        raise _refused("store", "reward_code")
    return (RewardUse(id=reward.id, title=reward.title(tenant.locale), terms=reward.terms,
                      points=0, claimed_points=int(claim["points"])),
            RewardTicket(reward=reward, claim_id=int(claim["id"])))


def check_basket(ticket: RewardTicket | None, quote: Quote) -> None:
    """Refuse a product or discount reward that takes nothing off this basket."""
    if ticket is None or quote.reward is None or ticket.reward.kind == RewardKind.PERK:
        return
    if not quote.reward.discount_minor:
        raise _refused("no_line", "reward_id" if ticket.claim_id is None else "reward_code")


def _stated_cost(reward: Reward, discount_minor: int) -> int:
    """What a reward costs the business: its stated cost, else the discount it gave."""
    return reward.cost_minor if reward.cost_minor is not None else discount_minor


def counted(ticket: RewardTicket | None, quote: Quote) -> Rewards:
    """The catalogue reward a receipt applies, as its reward cost counts it: what it takes
    off and its stated cost (nothing without one)."""
    if ticket is None or quote.reward is None:
        return NO_REWARDS
    discount = quote.reward.discount_minor
    return Rewards(discount_minor=discount, cost_minor=_stated_cost(ticket.reward, discount))


def record(conn: Connection, tenant: tenancy.TenantRow, ticket: RewardTicket, quote: Quote, *,
           receipt_id: int, member_id: int, at: datetime, now: datetime) -> int:
    """The claim of the reward a commit used: stock taken and a ``used`` claim for a reward
    claimed at the till, or the code's claim marked used. Returns the claim id. Raises
    :class:`RewardRefused` when the stock is used up, or the code was used meanwhile."""
    applied = quote.reward
    assert applied is not None
    lines = [i + 1 for i, d in enumerate(applied.discount_by_line) if d]
    line_no = lines[0] if len(lines) == 1 else None
    reward = ticket.reward
    cost = _stated_cost(reward, applied.discount_minor)
    if ticket.claim_id is not None:
        if not store.use_claim(conn, tenant.id, ticket.claim_id, receipt_id=receipt_id,
                               line_no=line_no, discount_minor=applied.discount_minor,
                               cost_minor=cost, now=now):
            raise CodeRefused("this reward code was used or has expired",
                              field="reward_code")
        return ticket.claim_id
    if not store.take_stock(conn, tenant.id, {"id": reward.id,
                                              "stock_per_day": reward.stock_per_day},
                            local_day(tenant, at)):
        raise _refused("stock", "reward_id")
    return store.insert_claim(conn, tenant.id, {
        "reward_id": reward.id, "member_id": member_id, "points": applied.points,
        "status": "used", "claimed_at": now, "used_at": now, "receipt_id": receipt_id,
        "line_no": line_no, "discount_minor": applied.discount_minor, "cost_minor": cost})


# In advance --------------------------------------------------------------------------------------

def claim_in_advance(rt: Runtime, tenant_id: int, member_id: int,
                     reward_id: int) -> ClaimedCode:
    """Spend the reward's points now (soonest-expiring first) and give the member a
    one-time code valid for the reward's ``claim_days``. Raises :class:`NotFound`,
    :class:`RewardRefused` (validity, level, points, stock) and :class:`InsufficientPoints`
    (the points went away under a concurrent spend)."""
    now = rt.now()
    with rt.db.write() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
        member = member_store.get_member(conn, tenant_id, member_id)
        row = store.get_reward(conn, tenant_id, reward_id)
        if tenant is None or member is None or member.status != "active":
            raise NotFound("member not found")
        if row is None:
            raise NotFound("reward not found", field="reward_id")
        reward = reward_of(row)
        version, program = programs.load_current(conn, tenant_id)
        level = levels.status_for(conn, tenant, program, member, now).level.code
        state, spendable = ledger_spendable.state_and_spendable(conn, tenant_id, member_id, now)
        reason = refusal(reward.claimable, now=now, store_id=None, level_code=level,
                         spendable_points=spendable)
        if reason is not None:
            raise _refused(reason.value, "reward_id")
        if not store.take_stock(conn, tenant_id, row, local_day(tenant, now)):
            raise _refused("stock", "reward_id")
        text = codes.new_code()
        digest = codes.digest(secret_key(conn, tenant_id, now), text)
        ctx = EntryContext(tenant_id=tenant_id, member_id=member_id, program_version=version,
                           occurred_at=now, recorded_at=now)
        try:
            entry_id = ledger_ops.spend(
                conn, ctx, key=f"reward:{reward_id}:claim:{digest[:32]}",
                account_id=state.id, amount=reward.points_cost, now=now,
                memo={"why": [{"code": "reward_claimed_ahead",
                               "params": {"reward_id": reward_id,
                                          "points": reward.points_cost}}]})
        except Shortfall as exc:
            raise InsufficientPoints("the member no longer has these points",
                                     field="reward_id") from exc
        expires_at = now + timedelta(days=reward.claim_days)
        claim_id = store.insert_claim(conn, tenant_id, {
            "reward_id": reward_id, "member_id": member_id, "points": reward.points_cost,
            "status": "claimed", "code_digest": digest, "entry_id": entry_id,
            "claimed_at": now, "expires_at": expires_at})
    return ClaimedCode(claim_id=claim_id, reward_id=reward_id,
                       title=reward.title(tenant.locale), points=reward.points_cost,
                       code=codes.grouped(text), expires_at=expires_at)


def _give_back(conn: Connection, tenant_id: int, claim: dict[str, object], *, why: str,
               now: datetime) -> int:
    """Restore the points a claim in advance spent, into the lots they came from; the
    points returned (the claim's status change, made first, guards against twice)."""
    entry_id = claim["entry_id"]
    if entry_id is None:
        return 0
    moves = [(lot, -amount) for lot, amount in
             reversed(ledger_ops.moves_of(conn, tenant_id, int(str(entry_id)))) if amount < 0]
    if not moves:
        return 0
    _, program = programs.load_current(conn, tenant_id)
    member_id = int(str(claim["member_id"]))
    state = ledger_ops.account_state(conn, tenant_id, member_id)
    ctx = EntryContext(tenant_id=tenant_id, member_id=member_id, occurred_at=now,
                       recorded_at=now)
    ledger_ops.restore(conn, ctx, key=f"reward-claim:{claim['id']}:{why}",
                       account_id=state.id, moves=moves, now=now,
                       fresh_expires_at=program.lot_dates(now)[1],
                       code=EntryCode.REFUND_SPEND,
                       memo={"why": [{"code": f"reward_{why}",
                                      "params": {"reward_id": int(str(claim["reward_id"]))}}]})
    return sum(part for _, part in moves)


def expire_claims(rt: Runtime, *, batch_size: int = 200) -> ExpiryReport:
    """Close every claimed code past its expiry, each in a unit of work of its own: its points
    go back to the member when the reward says so. Safe to run twice at once: a claim is
    closed once (conditional update), and only the run that closed it gives points back."""
    now = rt.now()
    expired = returned = 0
    while True:
        with rt.db.read() as conn:
            due = store.lapsed_claims(conn, now=now, limit=batch_size)
        if not due:
            return ExpiryReport(expired=expired, points_returned=returned)
        for claim in due:
            tenant_id = int(claim["tenant_id"])
            with rt.db.write() as conn:
                if not store.close_claim(conn, tenant_id, int(claim["id"]), status="expired",
                                         before="claimed", now=now):
                    continue
                expired += 1
                _stock_back(conn, tenant_id, claim)
                if claim["refund_on_expiry"]:
                    returned += _give_back(conn, tenant_id, claim, why="expired", now=now)
        if len(due) < batch_size:
            return ExpiryReport(expired=expired, points_returned=returned)


@dataclass(frozen=True, kw_only=True)
class RefundedClaims:
    """What a refund did to the catalogue rewards of its receipt: the points given back to
    claims in advance, and the receipt's rewards as its reward cost counts them before and
    after (a claim it closed costs nothing after)."""

    points_returned: int
    before: Rewards
    after: Rewards


def on_refund(conn: Connection, tenant_id: int, receipt_id: int, *,
              refunded_lines: set[int], whole: bool, now: datetime) -> RefundedClaims:
    """Close the claims used on a receipt whose rewarded line a refund returned (any part of
    it; a reward over several lines when the whole receipt goes back): a claim in advance
    gets its points back here, once; a till claim's points were part of the receipt's spend
    and come back with the line."""
    returned = discount = cost = closed_cost = 0
    by_line: list[tuple[int, int]] = []
    for claim in store.claims_of_receipt(conn, tenant_id, receipt_id):
        if claim["status"] not in ("used", "refunded"):
            continue
        discount += int(claim["discount_minor"])
        if claim["line_no"] is not None:
            by_line.append((int(claim["line_no"]), int(claim["discount_minor"])))
        if claim["status"] != "used":
            continue
        cost += int(claim["cost_minor"])
        line_no = claim["line_no"]
        if not (whole or (line_no is not None and line_no in refunded_lines)):
            continue
        if store.close_claim(conn, tenant_id, int(claim["id"]), status="refunded",
                             before="used", now=now):
            closed_cost += int(claim["cost_minor"])
            _stock_back(conn, tenant_id, claim)
            returned += _give_back(conn, tenant_id, claim, why="refunded", now=now)
    return RefundedClaims(
        points_returned=returned,
        before=Rewards(discount_minor=discount, cost_minor=cost, by_line=tuple(by_line)),
        after=Rewards(discount_minor=discount, cost_minor=cost - closed_cost,
                      by_line=tuple(by_line)))


def _stock_back(conn: Connection, tenant_id: int, claim: dict[str, Any]) -> None:
    """A claim closed by a refund or expiry gives its unit of stock back: to the total, and
    to the day it was claimed (in the tenant's time zone)."""
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    claimed_at = claim["claimed_at"]
    assert isinstance(claimed_at, datetime)
    store.give_stock_back(conn, tenant_id, int(claim["reward_id"]),
                          local_day(tenant, claimed_at))


# The member's own page ---------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MemberCatalogue:
    """What a member sees of the catalogue: their spendable points, the rewards offered now
    (each with why it cannot be claimed, if it cannot), and their codes not used yet."""

    spendable_points: int
    rewards: tuple[tuple[Reward, str | None], ...]
    open_claims: tuple[Claim, ...]


def member_catalogue(rt: Runtime, tenant_id: int, member_id: int) -> MemberCatalogue:
    """The catalogue as the member sees it now (active rewards, cheapest first)."""
    now = rt.now()
    with rt.db.read() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
        member = member_store.get_member(conn, tenant_id, member_id)
        if tenant is None or member is None:
            raise NotFound("member not found")
        _, program = programs.load_current(conn, tenant_id)
        level = levels.status_for(conn, tenant, program, member, now).level.code
        _, spendable = ledger_spendable.state_and_spendable(conn, tenant_id, member_id, now)
        rows = store.list_rewards(conn, tenant_id, active_only=True, limit=MAX_CHOICES * 5)
        claimed = store.list_claims(conn, tenant_id, member_id=member_id, status="claimed",
                                    limit=50)
    rewards = []
    for row in rows:
        reward = reward_of(row)
        reason = refusal(reward.claimable, now=now, store_id=None, level_code=level,
                         spendable_points=spendable)
        if reason is not None and reason.value in ("not_yet", "ended", "level"):
            continue
        rewards.append((reward, reason.value if reason else None))
    return MemberCatalogue(spendable_points=spendable, rewards=tuple(rewards),
                           open_claims=tuple(claim_of(r) for r in claimed))


def member_reward(rt: Runtime, tenant_id: int, reward_id: int) -> Reward:
    """An active reward of the catalogue, as a member may see it; :class:`NotFound` else."""
    with rt.db.read() as conn:
        row = store.get_reward(conn, tenant_id, reward_id)
    if row is None or not row["active"]:
        raise NotFound("reward not found")
    return reward_of(row)
