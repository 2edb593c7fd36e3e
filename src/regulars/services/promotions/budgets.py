"""Promotion budgets, per-member caps and use limits, and the tenant's loyalty budget split.

At pricing (:func:`allowances`, :func:`pool`) what is left is read inside the pricing
transaction and handed to the engine, which leaves out a promotion that does not fit. At commit
(:func:`charge`) every applied promotion is counted by conditional updates in the commit's own
transaction; when one fails (a concurrent commit used the budget since it was read), what this
attempt counted is given back and the caller re-prices without that promotion in the same
transaction, so the till gets a correct receipt rather than a refusal. A commit usually counts
the budgets' and buckets' slots last instead (:func:`charge_shared`, after ``charge`` with
``shared=False``), and commits again the careful way when that fails. Refunds give back each
promotion's spend line by line in proportion (:func:`give_back`), cumulatively exact.

Uses are not given back by refunds: the member did use the promotion. The mass bucket counts
each promotion's discount plus its points at the program's point value, in the local month the
receipt occurred in; the base bucket counts base-scheme points the same way and the program's
cashback (refunds take back its share of the money they pay back), and only reports.
Promotions targeted at a segment count in the targeted bucket instead of the mass bucket, the
same way and enforced the same way; each receipt_promotions row remembers its bucket, so a
refund gives back to the bucket that was charged.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.promotions import budgets as store
from regulars.db.promotions import promotions as promotion_store
from regulars.db.promotions.budget_slots import Busy
from regulars.db.rewards import costs as reward_costs
from regulars.db.tenancy import tenancy
from regulars.domain.checkout.quote import Quote
from regulars.domain.money import allocate, prorate
from regulars.domain.promotions.budgets import (
    NOTHING,
    UNLIMITED,
    Allowance,
    Bucket,
    Limits,
    Spent,
    Split,
    Uses,
    allowance_for,
    period_start,
)
from regulars.domain.promotions.promotions import Promotion
from regulars.domain.stored_value.cashback import cashback_back
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.results import absent_when_empty
from regulars.services.runtime import Runtime


def local_day(tenant: tenancy.TenantRow, at: datetime) -> date:
    return at.astimezone(ZoneInfo(tenant.timezone)).date()


def _periods(promotion: Promotion, day: date) -> list[tuple[str, date]]:
    limits = promotion.limits
    found = []
    if limits.uses_per_day is not None:
        found.append(("day", day))
    if limits.uses_per_period is not None:
        found.append((limits.period.value, period_start(day, limits.period)))
    return found


# Pricing ---------------------------------------------------------------------------------------

def allowances(conn: Connection, tenant_id: int, promotions: list[Promotion], *,
               member_id: int | None, day: date, excluded: frozenset[int] = frozenset(),
               slots_spent: Mapping[int, tuple[int, int]] | None = None
               ) -> dict[int, Allowance]:
    """What each promotion may still give on this receipt (read, not locked).
    ``slots_spent``: what the capped promotions with slots gave, read already with the
    active promotions (:class:`~regulars.db.promotions.promotions.ActiveOffers`); without
    it, read here."""
    found = {p.id: NOTHING if p.id in excluded else UNLIMITED for p in promotions}
    budgeted = [p for p in promotions if p.id not in excluded and (
        p.limits.budget_minor is not None or p.limits.budget_points is not None
        or p.limits.per_member)]
    if not budgeted:
        return found
    ids = [p.id for p in budgeted]
    spent_by = _spent(conn, tenant_id, [p for p in budgeted if p.limits.budget_minor is not None
                                        or p.limits.budget_points is not None],
                      slots_spent)
    mine: dict[int, tuple[int, int]] = {}
    uses: dict[tuple[int, str], int] = {}
    if member_id is not None and any(p.limits.per_member for p in budgeted):
        mine = store.member_spent(conn, tenant_id, member_id, ids)
        periods = {pair for p in budgeted for pair in _periods(p, day)}
        if periods:
            uses = store.member_uses(conn, tenant_id, member_id, ids, periods)
    for p in budgeted:
        spent = spent_by.get(p.id, Spent())
        member_spent = member_uses = None
        if member_id is not None:
            minor, points = mine.get(p.id, (0, 0))
            member_spent = Spent(discount_minor=minor, points=points)
            member_uses = Uses(today=uses.get((p.id, "day"), 0),
                               period=uses.get((p.id, p.limits.period.value), 0))
        found[p.id] = allowance_for(p.limits, spent=spent, member_spent=member_spent,
                                    uses=member_uses)
    return found


def _spent(conn: Connection, tenant_id: int, capped: list[Promotion],
           slots_spent: Mapping[int, tuple[int, int]] | None) -> dict[int, Spent]:
    """What the capped promotions gave, as their slots tell it (``slots_spent`` when read
    already), or summed from the receipts for one without slots."""
    ids = [p.id for p in capped]
    if not ids:
        return {}
    found = ({pid: slots_spent[pid] for pid in ids if pid in slots_spent}
             if slots_spent is not None else store.spent_by_slots(conn, tenant_id, ids))
    missing = [pid for pid in ids if pid not in found]
    if missing:
        found |= store.promotion_spent(conn, tenant_id, missing)
    return {pid: Spent(discount_minor=minor, points=points)
            for pid, (minor, points) in found.items()}


def split_of(row: dict[str, Any] | None) -> Split:
    """The split stored in ``row`` (the defaults without one)."""
    if row is None:
        return Split()
    return Split(total_minor=row["total_minor"], base_bp=row["base_bp"],
                 mass_bp=row["mass_bp"], targeted_bp=row["targeted_bp"])


def load_split(conn: Connection, tenant_id: int) -> Split:
    return split_of(store.split(conn, tenant_id))


def pool(conn: Connection, tenant_id: int, day: date, *, bucket: Bucket = Bucket.MASS,
         split: Split | None = None) -> int | None:
    """Money left in ``bucket`` for ``day``'s month (``None``: no budget set); ``split``
    when the caller has read it already."""
    cap = (split or load_split(conn, tenant_id)).cap_minor(bucket)
    if cap is None:
        return None
    month = day.replace(day=1)
    left = store.bucket_left(conn, tenant_id, month, bucket.value)
    if left is not None:
        return left
    return max(0, cap - store.bucket_spent(conn, tenant_id, month).get(bucket, 0))


# Commit ----------------------------------------------------------------------------------------

def commit_lock(tenant_id: int) -> str:
    """The lock a commit holds shared from its first statement on (see :func:`charge`)."""
    return store.budget_lock(tenant_id)


def charge(conn: Connection, tenant_id: int, quote: Quote, promotions: dict[int, Promotion],
           *, split: Split, member_id: int | None, day: date, point_value_minor: int,
           spread: int, shared: bool = True) -> int | None:
    """Count every promotion the quote applied against its budget, its member cap, its use
    limits and its bucket (mass, or targeted for a promotion with a segment). Returns ``None``
    when all fit; otherwise the id of a promotion that did not (for a bucket, the last the
    walk applied of those counted in it), after rolling back everything this call counted
    (a savepoint: on PostgreSQL the rows it locked are free again, so that the caller's next
    attempt takes its locks afresh in the same order as everyone else). ``spread`` (the till)
    picks the budget slot tried first, so that tills charge different rows. A budget or
    bucket without a cap is not written at all, and without any cap or member limit the
    call writes nothing. ``shared=False``: the member's limits only, the budgets' and
    buckets' slots being left to :func:`charge_shared` at the end of the transaction.

    The caps are those of ``promotions`` (the versions the receipt was priced by) and
    ``split``, read in the caller's transaction after it took :func:`commit_lock` shared:
    a change of caps or of the split either committed before (and the pricing read saw it)
    or waits until this transaction ends.

    Rows are taken in one order for every caller (promotions by id, each one's budget slots,
    member cap and uses, then the buckets' slots), so concurrent commits and refunds wait for
    each other instead of deadlocking.
    """
    limits = [promotions[p.id].limits for p in quote.promotions]
    if not (shared and _capped(limits, split)) and not any(x.per_member for x in limits):
        return None  # nothing to count: no row is read or written
    caps = _caps(quote, promotions)
    walk = functools.partial(_charge_all, conn, tenant_id, quote, promotions, caps, split,
                             member_id=member_id, day=day,
                             point_value_minor=point_value_minor, spread=spread,
                             shared=shared)
    savepoint = conn.begin_nested()
    try:
        # Usually every slot charge succeeds at its first statement: no savepoint each.
        failed = walk(quick=True)
    except Busy:
        savepoint.rollback()
        savepoint = conn.begin_nested()
        failed = walk()
    if failed is None:
        savepoint.commit()
    else:
        savepoint.rollback()
    return failed


def charge_shared(conn: Connection, tenant_id: int, quote: Quote,
                  promotions: dict[int, Promotion], *, split: Split, day: date,
                  point_value_minor: int, spread: int) -> None:
    """The budgets' and buckets' slots of :func:`charge` after ``charge(shared=False)``, as
    the transaction's last statements, so that a slot is locked from its one statement to
    ``COMMIT``: each one conditional update that never waits (a slot another commit holds is
    passed over), with no savepoint. Raises :class:`Busy` when one charged nothing (the
    budget no longer holds the amount in one free slot, or has no slots yet): what was
    charged stays, and maybe a slot stays locked, so the caller rolls its transaction back
    whole and commits again with :func:`charge` as it was first (which takes the careful
    path and prices again without a promotion that no longer fits)."""
    if _capped([promotions[p.id].limits for p in quote.promotions], split) and _charge_all(
            conn, tenant_id, quote, promotions, _caps(quote, promotions), split,
            member_id=None, day=day,
            point_value_minor=point_value_minor, spread=spread, quick=True,
            members=False) is not None:
        raise Busy


def _caps(quote: Quote, promotions: dict[int, Promotion]) -> dict[int, store.BudgetRow]:
    """The caps of the promotions the quote applied, by id."""
    return {pid: store.BudgetRow(promotion_id=pid,
                                 budget_minor=promotions[pid].limits.budget_minor,
                                 budget_points=promotions[pid].limits.budget_points)
            for pid in sorted(p.id for p in quote.promotions)}


def _capped(limits: list[Limits], split: Split) -> bool:
    """Whether a charge writes a slot: a promotion's budget (of ``limits``, those of the
    promotions applied) or a bucket has a cap."""
    return split.total_minor is not None or any(
        x.budget_minor is not None or x.budget_points is not None for x in limits)


def _charge_all(conn: Connection, tenant_id: int, quote: Quote,
                promotions: dict[int, Promotion], caps: dict[int, store.BudgetRow],
                split: Split, *, member_id: int | None, day: date, point_value_minor: int,
                spread: int, quick: bool = False, shared: bool = True,
                members: bool = True) -> int | None:
    """:func:`charge`'s walk; ``quick`` charges slots as :func:`budget_slots.take` says
    (raising :class:`Busy` when a slot charge needs the careful path); ``shared`` and
    ``members`` say whether the slots and the member's limits are charged."""
    for applied in sorted(quote.promotions, key=lambda p: p.id):
        # Cashback is money the promotion gives, counted as its discount is.
        pid, points = applied.id, applied.points
        minor = applied.discount_minor + applied.cashback_minor
        if shared and not store.charge_promotion(
                conn, caps[pid], tenant_id=tenant_id, discount_minor=minor, points=points,
                spread=spread, quick=quick):
            return pid
        if members and not _charge_member(conn, tenant_id, promotions[pid], member_id,
                                          discount_minor=minor, points=points, day=day):
            return pid
    if not shared:
        return None
    month = day.replace(day=1)
    for bucket in (Bucket.MASS, Bucket.TARGETED):  # one order for every caller
        counted = [p for p in quote.promotions
                   if promotions[p.id].targeted == (bucket is Bucket.TARGETED)]
        if not counted:
            continue
        cost = sum(p.discount_minor + p.cashback_minor + p.points * point_value_minor
                   for p in counted)
        if not store.charge_bucket(conn, tenant_id, month, bucket.value, amount_minor=cost,
                                   cap_minor=split.cap_minor(bucket), spread=spread,
                                   quick=quick):
            return counted[-1].id
    return None


def _charge_member(conn: Connection, tenant_id: int, promotion: Promotion,
                   member_id: int | None, *, discount_minor: int, points: int,
                   day: date) -> bool:
    """Count a promotion against its per-member cap and use limits (one member's rows);
    ``False`` when one does not hold."""
    pid, limits = promotion.id, promotion.limits
    if not limits.per_member:
        return True
    if member_id is None:
        return False
    if not store.charge_member(conn, tenant_id, pid, member_id, discount_minor=discount_minor,
                               points=points, cap_minor=limits.member_minor,
                               cap_points=limits.member_points):
        return False
    for kind, starts_on in _periods(promotion, day):
        limit = limits.uses_per_day if kind == "day" else limits.uses_per_period
        assert limit is not None
        if not store.count_use(conn, tenant_id, pid, member_id, period=kind,
                               starts_on=starts_on, limit=limit):
            return False
    return True


def charge_base(conn: Connection, tenant_id: int, receipt_id: int, quote: Quote, *, day: date,
                point_value_minor: int) -> None:
    """Record the receipt's base-scheme points for the base bucket (reported, never capped:
    one row per receipt, summed when the burn is asked for, so commits share no row)."""
    base_points = quote.points_earned - sum(p.points for p in quote.promotions)
    if base_points <= 0:
        return
    month = day.replace(day=1)
    store.record_base(conn, tenant_id, receipt_id, month=month, base_points=base_points,
                      point_value_minor=point_value_minor)


def charge_cashback(conn: Connection, tenant_id: int, receipt_id: int, *, day: date,
                    cashback_minor: int) -> None:
    """Record the program's cashback of a receipt (``cashback_minor``, credited to the
    member's wallet) for the base bucket, beside its base-scheme points: reported, never
    capped, as they are. The promotions' cashback counts in their own buckets."""
    if cashback_minor > 0:
        store.record_cashback(conn, tenant_id, receipt_id, month=day.replace(day=1),
                              cashback_minor=cashback_minor)


def settle_prepaid(conn: Connection, tenant_id: int, receipt_id: int, member_id: int | None, *,
                   credited: Mapping[int, int], spread: int) -> None:
    """After the receipt's tenders: each promotion's cashback counts what the wallet got of
    it (``credited``, by promotion id, less the share of the money paid from the wallet or
    by goods accounts) instead of what it priced, and its budget, the member's cap and its
    bucket get the rest back. Rows already charged by :func:`charge` in this transaction
    (the same slots, ``spread`` as it was given): nothing more is locked."""
    back_by_bucket: dict[tuple[date, str], int] = {}
    for row in store.applied_rows(conn, tenant_id, receipt_id):
        pid = row["promotion_id"]
        less = row["cashback_minor"] - credited.get(pid, row["cashback_minor"])
        if less <= 0:
            continue
        store.give_back_promotion(conn, tenant_id, pid, discount_minor=less, points=0,
                                  spread=spread)
        if member_id is not None:
            store.give_back_member(conn, tenant_id, pid, member_id, discount_minor=less,
                                   points=0)
        cashback = allocate(credited[pid], [line[2] for line in row["lines"]])
        store.set_cashback(conn, row["id"], cashback_minor=credited[pid], lines=[
            [*line[:2], part] for line, part in zip(row["lines"], cashback, strict=True)])
        where = (row["month"], row["bucket"])
        back_by_bucket[where] = back_by_bucket.get(where, 0) + less
    for (month, bucket), amount in sorted(back_by_bucket.items()):
        store.give_back_bucket(conn, tenant_id, month, bucket, amount_minor=amount,
                               spread=spread)


# Refunds ---------------------------------------------------------------------------------------

def _share(total: int, before: int, after: int, whole: int) -> int:
    return prorate(total, after, whole) - prorate(total, before, whole)


def _line_shares(lines: list[list[int]],
                 refunded: list[tuple[int, int, int, int]]) -> tuple[int, int, int]:
    """(discount, points, cashback) the refunded quantities take back of a row's per-line
    shares (``[discount, points]`` before migration 0042 kept cashback apart)."""
    found = [0, 0, 0]
    for line_no, before, after, whole in refunded:
        for i, amount in enumerate(lines[line_no - 1]):
            found[i] += _share(amount, before, after, whole)
    return found[0], found[1], found[2]


def give_back(conn: Connection, tenant_id: int, receipt_id: int, member_id: int | None, *,
              point_value_minor: int, refunded: Iterable[tuple[int, int, int, int]],
              earned_back: int) -> None:
    """Give back, for each refunded ``(line_no, before, after, whole)`` quantity, that
    line's share of every promotion's spend, and the base-scheme share of ``earned_back``.
    Receipts committed before budgets existed gave nothing and get nothing back."""
    refunded = list(refunded)
    promo_points_back = 0
    back_by_month: dict[tuple[date, str], int] = {}
    # Promotion rows first (by id), buckets last: the order charge() locks them in.
    rows = sorted(store.applied_rows(conn, tenant_id, receipt_id),
                  key=lambda r: r["promotion_id"])
    if any(r["month"] is not None and r["lines"] is not None for r in rows):
        # A change of caps or of the split waits for this transaction, and this one for it.
        store.share_lock(conn, tenant_id)
    for row in rows:
        if row["month"] is None or row["lines"] is None:
            continue
        discount, points, cashback = _line_shares(row["lines"], refunded)
        promo_points_back += points
        if not discount and not points and not cashback:
            continue
        pid, minor = row["promotion_id"], discount + cashback  # counted together, as charged
        store.give_back_promotion(conn, tenant_id, pid, discount_minor=minor, points=points,
                                  spread=receipt_id)
        if member_id is not None:
            store.give_back_member(conn, tenant_id, pid, member_id, discount_minor=minor,
                                   points=points)
        store.add_refunded(conn, row["id"], discount_minor=discount, points=points,
                           cashback_minor=cashback)
        where = (row["month"], row["bucket"])
        # At the point value the bucket counted the receipt's points at.
        value_minor = row["point_value_minor"] or point_value_minor
        back_by_month[where] = back_by_month.get(where, 0) + minor + points * value_minor
    for (month, bucket), amount in sorted(back_by_month.items()):
        store.give_back_bucket(conn, tenant_id, month, bucket, amount_minor=amount,
                               spread=receipt_id)
    base = store.base_of(conn, tenant_id, receipt_id)
    base_back = earned_back - promo_points_back
    if base is not None and base_back > 0:
        store.give_back_base(conn, tenant_id, receipt_id, base_back)


def give_back_cashback(conn: Connection, tenant_id: int, receipt_id: int, *, paid_minor: int,
                       refunded_before: int, refunded_after: int) -> None:
    """Give back to the base bucket the share of the receipt's program cashback that a
    refund taking its refunded money from ``refunded_before`` to ``refunded_after`` (of
    ``paid_minor``) takes back from the wallet, as
    :func:`~regulars.services.stored_value.cashback.take_back` does."""
    base = store.base_of(conn, tenant_id, receipt_id)
    if base is None or not base["cashback_minor"]:
        return
    share = cashback_back(base["cashback_minor"], paid_minor=paid_minor,
                          refunded_before=refunded_before, refunded_after=refunded_after)
    if share > 0:
        store.give_back_cashback(conn, tenant_id, receipt_id, share)


# The admin API ---------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, slots=True)
class SplitView:
    """The monthly loyalty budget (``None``: none), its shares and each bucket's cap."""

    total_minor: int | None
    base_bp: int
    mass_bp: int
    targeted_bp: int
    caps_minor: Mapping[str, int | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class BucketBurn:
    cap_minor: int | None
    spent_minor: int
    remaining_minor: int | None
    enforced: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class MonthFigures:
    """What receipts of a month got from a promotion, net of refunds, and how many."""

    receipts: int
    discount_minor: int
    points: int
    # Credited to members' wallets, not part of the discount (absent when none).
    cashback_minor: int = absent_when_empty(0)


@dataclass(frozen=True, kw_only=True, slots=True)
class PromotionMonth:
    id: int
    receipts: int
    discount_minor: int
    points: int
    cashback_minor: int = absent_when_empty(0)


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogRewardsMonth:
    """The catalogue rewards redeemed on a month's receipts and still standing: their stated
    cost, the value of the points spent for them (at the point value of the program their
    receipts were priced by) and the difference, which is what they add to the base bucket
    (the points were counted there at their value when the base scheme issued them)."""

    claims: int
    cost_minor: int
    points_value_minor: int
    difference_minor: int


@dataclass(frozen=True, kw_only=True, slots=True)
class BudgetBurn:
    """A local month's spend per bucket and per promotion; the base bucket's includes what
    the catalogue rewards cost beyond their points' value, shown apart as well."""

    month: date
    buckets: Mapping[str, BucketBurn]
    promotions: tuple[PromotionMonth, ...]
    catalog_rewards: CatalogRewardsMonth


@dataclass(frozen=True, kw_only=True, slots=True)
class PromotionBudget:
    """A promotion's caps over its life (``None``: none), its spend and what is left."""

    budget_minor: int | None
    spent_minor: int
    remaining_minor: int | None
    budget_points: int | None
    spent_points: int
    remaining_points: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class PromotionBurn:
    id: int
    month: date
    budget: PromotionBudget
    this_month: MonthFigures


def _split_view(split: Split) -> SplitView:
    return SplitView(total_minor=split.total_minor, base_bp=split.base_bp,
                     mass_bp=split.mass_bp, targeted_bp=split.targeted_bp,
                     caps_minor={b.value: split.cap_minor(b) for b in Bucket})


def get_split(rt: Runtime, tenant_id: int) -> SplitView:
    with rt.db.read() as conn:
        return _split_view(load_split(conn, tenant_id))


def put_split(rt: Runtime, tenant_id: int, *, total_minor: int | None, base_bp: int,
              mass_bp: int, targeted_bp: int,
              actor: audit.Actor) -> SplitView:
    """Replace the tenant's monthly loyalty budget (on the audit trail as ``actor``'s).
    Raises :class:`InvalidInput` when the shares do not add up to 10000."""
    try:
        split = Split(total_minor=total_minor, base_bp=base_bp, mass_bp=mass_bp,
                      targeted_bp=targeted_bp)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=str(exc).split(" ", 1)[0]) from exc
    with rt.db.write() as conn:
        # Alone: commits and refunds counting in the buckets are done or wait, so the slots
        # are filled from every receipt that counted under the old split.
        store.lock_caps(conn, tenant_id)
        store.save_split(conn, tenant_id, total_minor=total_minor, base_bp=base_bp,
                         mass_bp=mass_bp, targeted_bp=targeted_bp, now=rt.now())
        audit.record(conn, tenant_id, actor, "budget.split", "budget", at=rt.now(),
                     total_minor=total_minor, base_bp=base_bp, mass_bp=mass_bp,
                     targeted_bp=targeted_bp)
        this_month = _month(conn, rt, tenant_id)
        # Offline tills commit up to 30 days late: the previous month still takes charges.
        since = (this_month - timedelta(days=1)).replace(day=1)
        store.refill_buckets(conn, tenant_id, {b.value: split.cap_minor(b)
                                               for b in (Bucket.MASS, Bucket.TARGETED)},
                             since=since)
        return _split_view(split)


def _month(conn: Connection, rt: Runtime, tenant_id: int) -> date:
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    return local_day(tenant, rt.now()).replace(day=1)


def _catalog_rewards(conn: Connection, tenant_id: int, *, start: datetime,
                     end: datetime) -> CatalogRewardsMonth:
    """The standing catalogue rewards redeemed on the receipts of ``[start, end)``, their
    points valued at the point value of each receipt's program version."""
    found = reward_costs.redeemed(conn, tenant_id, start=start, end=end)
    cost = sum(r.cost_minor for r in found)
    value = sum(r.points * programs.load_version(conn, tenant_id,
                                                 r.program_version).point_value_minor
                for r in found)
    return CatalogRewardsMonth(claims=sum(r.claims for r in found), cost_minor=cost,
                               points_value_minor=value, difference_minor=cost - value)


def burn(rt: Runtime, tenant_id: int) -> BudgetBurn:
    """This local month's spend per bucket, and per promotion (net of refunds). The base
    bucket counts the points the base scheme issued at their value, and of the catalogue
    rewards redeemed on the month's receipts (nothing for a claim a refund closed) only
    their stated cost (else the discount they gave) less the value of the points spent for
    them, which it counted already when they were issued: negative when a reward costs less
    than its points. Summed from the claims' rows here, never counted at commit."""
    with rt.db.read() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
        assert tenant is not None
        month = local_day(tenant, rt.now()).replace(day=1)
        split = load_split(conn, tenant_id)
        spent = store.bucket_spent(conn, tenant_id, month)
        rewards = _catalog_rewards(conn, tenant_id,
                                   **_month_bounds(month, ZoneInfo(tenant.timezone)))
        spent["base"] = spent.get("base", 0) + rewards.difference_minor
        buckets = {}
        for bucket in Bucket:
            cap = split.cap_minor(bucket)
            used = spent.get(bucket.value, 0)
            buckets[bucket.value] = BucketBurn(
                cap_minor=cap, spent_minor=used,
                remaining_minor=None if cap is None else max(0, cap - used),
                enforced=bucket is not Bucket.BASE)
        promotions = tuple(PromotionMonth(id=pid, **figures)
                           for pid, figures in sorted(store.month_burn(conn, tenant_id,
                                                                       month).items()))
        return BudgetBurn(month=month, buckets=buckets, promotions=promotions,
                          catalog_rewards=rewards)


def _month_bounds(month: date, zone: ZoneInfo) -> dict[str, datetime]:
    """The instants a local month starts and ends at (the end is the next one's start)."""
    following = (month + timedelta(days=32)).replace(day=1)
    return {"start": datetime(month.year, month.month, 1, tzinfo=zone),
            "end": datetime(following.year, following.month, 1, tzinfo=zone)}


def promotion_burn(rt: Runtime, tenant_id: int, promotion_id: int) -> PromotionBurn:
    """A promotion's budget over its life and its spend this local month. Raises
    :class:`NotFound`."""
    with rt.db.read() as conn:
        if promotion_store.get_promotion(conn, tenant_id, promotion_id) is None:
            raise NotFound("promotion not found")
        month = _month(conn, rt, tenant_id)
        row = store.budgets(conn, tenant_id, [promotion_id]).get(promotion_id)
        minor_cap = row.budget_minor if row else None
        points_cap = row.budget_points if row else None
        spent_minor, spent_points = store.promotion_spent(conn, tenant_id, [promotion_id]).get(
            promotion_id, (0, 0))
        this_month = store.month_burn(conn, tenant_id, month, promotion_id).get(
            promotion_id, {"receipts": 0, "discount_minor": 0, "points": 0,
                           "cashback_minor": 0})
        return PromotionBurn(
            id=promotion_id, month=month,
            budget=PromotionBudget(
                budget_minor=minor_cap, spent_minor=spent_minor,
                remaining_minor=None if minor_cap is None
                else max(0, minor_cap - spent_minor),
                budget_points=points_cap, spent_points=spent_points,
                remaining_points=None if points_cap is None
                else max(0, points_cap - spent_points)),
            this_month=MonthFigures(**this_month))
