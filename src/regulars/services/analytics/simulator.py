"""Replaying a scenario: the period's past receipts, read in batches, priced by the till's
engine under the draft (with its draft promotions) and under the current program, and the
figures of both side by side with the payback of the draft. Writes nothing but the run's
row (its progress, then its figures).

How the redemption model is fitted is said in
:func:`regulars.domain.checkout.replay.fit_redemption`; what a replay leaves out:
the till's own line discounts (receipts keep one discount per line, whatever gave it), points
spent (the model stands in for them), and the budgets and limits of draft promotions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import cel
from pydantic import TypeAdapter

from regulars.db.analytics import liability as liability_queries
from regulars.db.analytics import scenarios as store
from regulars.db.analytics.scenarios import Slice
from regulars.db.program.spend_totals import LIFETIME_DAY
from regulars.domain.analytics.payback import Payback, Sensitivity, payback, sensitivity
from regulars.domain.checkout.quote import BasketLine
from regulars.domain.checkout.replay import (
    ANONYMOUS,
    Projection,
    RedemptionModel,
    Replay,
    ReplayReceipt,
    SpendTracker,
    Tally,
    Totals,
    fit_redemption,
    project,
    reward_cost_minor,
)
from regulars.domain.money import BASIS_POINTS, Rounding, divide
from regulars.domain.program.program import LevelStatus, Program
from regulars.domain.promotions.promotions import Candidate, Offers, Promotion
from regulars.errors import NotFound
from regulars.services.analytics.scenarios import RunState, Scenario, get, run_state
from regulars.services.program import programs
from regulars.services.promotions import promotions
from regulars.services.promotions.condition_subset import compile_subset, fits
from regulars.services.promotions.conditions import (
    cel_context,
    compile_condition,
    holds,
    variables_of,
)
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

BATCH_RECEIPTS = 2_000
Progress = Callable[[int, int], None]
"""Told (receipts done, receipts in all) after each batch."""


@dataclass(frozen=True, kw_only=True)
class Group:
    """One store's or level's receipts under one program."""

    key: str
    receipts: int
    gross_minor: int
    discount_minor: int
    paid_minor: int
    points_issued: int


@dataclass(frozen=True, kw_only=True)
class LevelCount:
    code: str
    name: str
    members: int


@dataclass(frozen=True, kw_only=True)
class Figures:
    """One program replayed over the period."""

    receipts: int
    gross_minor: int
    discount_minor: int
    paid_minor: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    points_outstanding: int
    breakage_points: int
    liability_minor: int
    reward_cost_minor: int
    reward_cost_share_bp: int
    """Reward cost over what was paid, in basis points."""
    by_store: tuple[Group, ...]
    by_level: tuple[Group, ...]
    levels: tuple[LevelCount, ...]
    """Members per level on the period's last day."""


@dataclass(frozen=True, kw_only=True)
class Result:
    """A finished run: both programs' figures, the model behind the redemptions and the
    draft's payback under the scenario's assumptions."""

    first_day: date
    last_day: date
    currency: str
    draft: Figures
    current: Figures
    model: RedemptionModel
    payback: Payback
    sensitivity: Sensitivity


_RESULT: TypeAdapter[Result] = TypeAdapter(Result)


def result_json(result: Result) -> dict[str, Any]:
    found: dict[str, Any] = _RESULT.dump_python(result, mode="json")
    return found


def result_of(data: dict[str, Any]) -> Result:
    return _RESULT.validate_python(data)


# Draft promotions ----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class _DraftPromotion:
    promotion: Promotion
    program: cel.Program | None
    python: Callable[[dict[str, Any]], bool] | None
    variables: frozenset[str]


def _draft_promotions(scenario: Scenario) -> tuple[_DraftPromotion, ...]:
    out = []
    for index, draft in enumerate(scenario.promotions):
        # Draft ids are negative so that they never meet a real promotion's.
        promotion = promotions.parsed_draft(draft, promotion_id=-(index + 1))
        constant = draft.condition.strip() == "true"
        compiled = None if constant else compile_condition(draft.condition)
        out.append(_DraftPromotion(
            promotion=promotion, program=compiled,
            python=None if constant else compile_subset(draft.condition),
            variables=frozenset() if compiled is None else variables_of(compiled)))
    return tuple(out)


def offers_for(drafts: tuple[_DraftPromotion, ...]
               ) -> Callable[[ReplayReceipt, LevelStatus | None], Offers | None] | None:
    """What each replayed receipt is offered of the draft promotions (``None``: none)."""
    if not drafts:
        return None
    names = frozenset().union(*(d.variables for d in drafts))

    def offers(receipt: ReplayReceipt, status: LevelStatus | None) -> Offers:
        member = None if receipt.member_id is None or status is None else {
            "id": receipt.member_id, "level": status.level.code}
        variables = cel_context(receipt.lines, member, receipt.store_id, receipt.local,
                                names=names) if names else {}
        in_python = fits(variables)
        candidates = []
        for d in drafts:
            if d.program is None:
                ok = True
            elif d.python is not None and in_python:
                ok = d.python(variables)
            else:
                ok = holds(d.program, cel.Context(variables=variables))
            candidates.append(Candidate(promotion=d.promotion, condition_met=ok))
        return Offers(candidates=tuple(candidates), store_id=receipt.store_id,
                      local_now=receipt.local)
    return offers


# The run -------------------------------------------------------------------------------------

def _period(scenario: Scenario, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(scenario.first_day, time(), zone)
    end = datetime.combine(scenario.last_day + timedelta(days=1), time(), zone)
    return start, end


def replay_receipts(batch: store.ReceiptBatch, zone: ZoneInfo,
                    known: dict[tuple[str, str, int, int], BasketLine] | None = None
                    ) -> Iterator[ReplayReceipt]:
    """The batch's receipts as the replay prices them (a receipt refunded whole is left
    out: nothing of it was sold). ``known`` keeps the lines made so far, to reuse them."""
    known = {} if known is None else known
    for row, rows in batch:
        key = tuple([(ln.sku, ln.category, int(ln.quantity_milli), int(ln.unit_price_minor))
                     for ln in rows if ln.quantity_milli > 0])
        if not key:
            continue
        lines = tuple([known.get(k) or _line(known, k) for k in key])
        local = row.occurred_at.astimezone(zone).replace(tzinfo=None)
        yield ReplayReceipt(receipt_id=int(row.id), member_id=row.member_id,
                            store_id=int(row.store_id), day=local.date(), local=local,
                            lines=lines, basket_key=key,
                            qualifying_minor=int(row.paid_minor) - int(row.refunded_paid_minor))


def _line(known: dict[tuple[str, str, int, int], BasketLine],
          key: tuple[str, str, int, int]) -> BasketLine:
    if len(known) >= 100_000:
        known.clear()
    sku, category, quantity_milli, unit_price_minor = key
    made = known[key] = BasketLine(sku=sku, category=category, quantity_milli=quantity_milli,
                                   unit_price_minor=unit_price_minor)
    return made


def start_spend(conn: Any, tenant_id: int, first_day: date,
                trackers: tuple[SpendTracker, ...]) -> None:
    """Each member's qualifying spend before ``first_day``, into every tracker."""
    since = date(first_day.year - 2, 1, 1)

    def flush(member_id: int | None, lifetime: int, days: list[tuple[date, int]]) -> None:
        if member_id is None:
            return
        after = sum(amount for day, amount in days if day >= first_day)
        before = [(day, amount) for day, amount in days if day < first_day]
        for tracker in trackers:
            tracker.start(member_id, lifetime_minor=lifetime - after, days=before)

    current: int | None = None
    lifetime = 0
    days: list[tuple[date, int]] = []
    for row in store.spend_before(conn, tenant_id, since):
        if row.member_id != current:
            flush(current, lifetime, days)
            current, lifetime, days = int(row.member_id), 0, []
        if row.day == LIFETIME_DAY:
            lifetime = int(row.net_minor)
        else:
            days.append((row.day, int(row.net_minor)))
    flush(current, lifetime, days)


def fitted_model(conn: Any, tenant_id: int, now: datetime) -> RedemptionModel:
    sums = store.point_sums(conn, tenant_id, since=now - timedelta(days=365))
    return fit_redemption(issued_points=sums.issued, redeemed_points=sums.redeemed,
                          outstanding_points=liability_queries.outstanding_now(conn, tenant_id),
                          redeemed_last_year_points=sums.redeemed_since)


@dataclass(frozen=True, kw_only=True)
class Setup:
    """What a replay needs before its first receipt."""

    scenario: Scenario
    draft: Program
    current: Program
    zone: ZoneInfo
    currency: str
    part: Slice
    total: int


def prepare(rt: Runtime, tenant_id: int, scenario_id: int, *,
            members_modulo: tuple[int, int] | None = None) -> Setup:
    scenario = get(rt, tenant_id, scenario_id)
    tenant = get_tenant(rt, tenant_id)
    zone = ZoneInfo(tenant.timezone)
    start, end = _period(scenario, zone)
    part = Slice(start=start, end=end, members_modulo=members_modulo)
    with rt.db.read() as conn:
        _, current = programs.load_current(conn, tenant_id)
        total = store.count_receipts(conn, tenant_id, part)
    return Setup(scenario=scenario, draft=scenario.program or current, current=current,
                 zone=zone, currency=tenant.currency, part=part, total=total)


def replay(rt: Runtime, tenant_id: int, setup: Setup, *,
           progress: Progress | None = None) -> Result:
    """Replay ``setup``'s receipts, batch by batch, each batch in a read transaction of its
    own; ``progress`` is told after each batch."""
    scenario = setup.scenario
    run = Replay(setup.draft, setup.current,
                 draft_offers=offers_for(_draft_promotions(scenario)))
    with rt.db.read() as conn:
        start_spend(conn, tenant_id, scenario.first_day,
                    (run.draft_spend, run.current_spend))
        model = fitted_model(conn, tenant_id, rt.now())
    done = 0
    known: dict[tuple[str, str, int, int], BasketLine] = {}
    with rt.db.read() as conn:
        for batch in store.receipt_batches(conn, tenant_id, setup.part, size=BATCH_RECEIPTS):
            for receipt in replay_receipts(batch, setup.zone, known):
                run.add(receipt)
            done += len(batch)
            if progress is not None:
                progress(done, setup.total)
    return summarise(setup, run.draft, run.current, model,
                     levels=(run.draft_spend.levels(scenario.last_day),
                             run.current_spend.levels(scenario.last_day)))


def summarise(setup: Setup, draft: Tally, current: Tally, model: RedemptionModel, *,
              levels: tuple[dict[str, int], dict[str, int]]) -> Result:
    """Both tallies as figures, with the payback of the draft over the current program."""
    scenario = setup.scenario
    last = scenario.last_day
    draft_projection = project(draft.issued_by_day, model, setup.draft, last)
    current_projection = project(current.issued_by_day, model, setup.current, last)
    draft_figures = _figures(draft, draft_projection, setup.draft, levels[0])
    current_figures = _figures(current, current_projection, setup.current, levels[1])
    days = (last - scenario.first_day).days + 1
    money = {"days": days, "revenue_minor": current_figures.paid_minor,
             "current_cost_minor": current_figures.reward_cost_minor,
             "draft_cost_minor": draft_figures.reward_cost_minor}
    return Result(first_day=scenario.first_day, last_day=last, currency=setup.currency,
                  draft=draft_figures, current=current_figures, model=model,
                  payback=payback(scenario.assumptions, **money),
                  sensitivity=sensitivity(scenario.assumptions, **money))


def _group(key: str, t: Totals) -> Group:
    return Group(key=key, receipts=t.receipts, gross_minor=t.gross_minor,
                 discount_minor=t.discount_minor, paid_minor=t.paid_minor,
                 points_issued=t.points_issued)


def _figures(tally: Tally, projection: Projection, program: Program,
             levels: dict[str, int]) -> Figures:
    total = tally.total
    cost = reward_cost_minor(total, projection)
    share = divide(cost * BASIS_POINTS, total.paid_minor, Rounding.HALF_UP) \
        if total.paid_minor > 0 else 0
    order = {lv.code: i for i, lv in enumerate(program.levels)}
    return Figures(
        receipts=total.receipts, gross_minor=total.gross_minor,
        discount_minor=total.discount_minor, paid_minor=total.paid_minor,
        points_issued=total.points_issued, points_redeemed=projection.redeemed_points,
        points_expired=projection.expired_points,
        points_outstanding=projection.outstanding_points,
        breakage_points=projection.breakage_points, liability_minor=projection.liability_minor,
        reward_cost_minor=cost, reward_cost_share_bp=share,
        by_store=tuple(_group(str(k), t) for k, t in sorted(tally.by_store.items())),
        by_level=tuple(_group(k, t) for k, t in sorted(
            tally.by_level.items(), key=lambda kv: (kv[0] == ANONYMOUS,
                                                    order.get(kv[0], len(order))))),
        levels=tuple(LevelCount(code=lv.code, name=lv.name, members=levels.get(lv.code, 0))
                     for lv in program.levels))


# Runs ----------------------------------------------------------------------------------------

def start_run(rt: Runtime, tenant_id: int, scenario_id: int) -> tuple[RunState, Setup]:
    """Count the scenario's receipts and open its run row (``running``); :func:`execute`
    does the work (in the background, for the console and the API)."""
    setup = prepare(rt, tenant_id, scenario_id)
    with rt.db.write() as conn:
        run_id = store.insert_run(conn, tenant_id, scenario_id, total=setup.total,
                                  now=rt.now())
        row = store.get_run(conn, tenant_id, run_id, with_result=False)
    assert row is not None
    return run_state(row), setup


def execute(rt: Runtime, tenant_id: int, run_id: int, setup: Setup, *,
            progress: Progress | None = None) -> RunState:
    """Replay ``setup`` for the run ``run_id``, writing its progress every batch and its
    figures at the end (or ``failed`` with the reason)."""
    def tell(done: int, total: int) -> None:
        with rt.db.write() as conn:
            store.set_progress(conn, tenant_id, run_id, done)
        if progress is not None:
            progress(done, total)

    try:
        result = replay(rt, tenant_id, setup, progress=tell)
    except Exception as exc:
        with rt.db.write() as conn:
            store.finish_run(conn, tenant_id, run_id, status="failed", result=None,
                             detail=str(exc)[:500], done=0, now=rt.now())
        raise
    with rt.db.write() as conn:
        store.finish_run(conn, tenant_id, run_id, status="done", result=result_json(result),
                         detail=None, done=setup.total, now=rt.now())
        row = store.get_run(conn, tenant_id, run_id, with_result=False)
    assert row is not None
    return run_state(row)


def run(rt: Runtime, tenant_id: int, scenario_id: int, *,
        progress: Progress | None = None) -> tuple[RunState, Result]:
    """Start and execute a run here and now (the CLI's way)."""
    state, setup = start_run(rt, tenant_id, scenario_id)
    execute(rt, tenant_id, state.id, setup, progress=progress)
    done, result = get_run(rt, tenant_id, scenario_id, state.id)
    assert result is not None
    return done, result


def get_run(rt: Runtime, tenant_id: int, scenario_id: int, run_id: int
            ) -> tuple[RunState, Result | None]:
    with rt.db.read() as conn:
        row = store.get_run(conn, tenant_id, run_id)
    if row is None or row["scenario_id"] != scenario_id:
        raise NotFound("run not found")
    return run_state(row), None if row["result"] is None else result_of(row["result"])


def latest_result(rt: Runtime, tenant_id: int, scenario_id: int) -> Result | None:
    """The figures of the scenario's latest finished run, or ``None``."""
    with rt.db.read() as conn:
        if store.get_scenario(conn, tenant_id, scenario_id) is None:
            raise NotFound("scenario not found")
        row = store.latest_done(conn, tenant_id, scenario_id)
    return None if row is None else result_of(row["result"])


FIGURE_NAMES = ("receipts", "gross_minor", "discount_minor", "paid_minor", "points_issued",
                "points_redeemed", "points_expired", "points_outstanding", "breakage_points",
                "liability_minor", "reward_cost_minor", "reward_cost_share_bp")
EXPORT_HEADER = ("section", "key", "figure", "draft", "current")


def export_rows(result: Result) -> Iterator[tuple[str, str, str, int, int]]:
    """A finished run as rows (section, key, figure, draft, current): the totals, each store
    and level, and members per level at the end."""
    for name in FIGURE_NAMES:
        yield "total", "", name, getattr(result.draft, name), getattr(result.current, name)
    for section in ("by_store", "by_level"):
        drafts = {g.key: g for g in getattr(result.draft, section)}
        currents = {g.key: g for g in getattr(result.current, section)}
        for key in sorted(drafts.keys() | currents.keys()):
            for name in ("receipts", "discount_minor", "paid_minor", "points_issued"):
                yield (section, key, name, getattr(drafts.get(key), name, 0),
                       getattr(currents.get(key), name, 0))
    current_levels = {c.code: c.members for c in result.current.levels}
    for level in result.draft.levels:
        yield "members", level.code, "members", level.members, current_levels.get(level.code, 0)
