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

import multiprocessing
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from queue import Empty
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from regulars.db.analytics import liability as liability_queries
from regulars.db.analytics import scenarios as store
from regulars.db.analytics.scenarios import Slice
from regulars.db.program.spend_totals import LIFETIME_DAY
from regulars.db.promotions import segments as segment_store
from regulars.domain.analytics.payback import Payback, Sensitivity, payback, sensitivity
from regulars.domain.checkout.replay import (
    ANONYMOUS,
    ActiveFor,
    Basket,
    Projection,
    QuoteFigures,
    RedemptionModel,
    Replay,
    SpendTracker,
    Tally,
    Totals,
    basket_lines,
    fit_redemption,
    project,
    reward_cost_minor,
)
from regulars.domain.checkout.replay import (
    MIN_HISTORY_DAYS as MIN_HISTORY_DAYS,
)
from regulars.domain.checkout.replay import (
    MIN_HISTORY_POINTS as MIN_HISTORY_POINTS,
)
from regulars.domain.money import BASIS_POINTS, Rounding, divide
from regulars.domain.program.program import LevelStatus, Program
from regulars.domain.promotions.promotions import Promotion
from regulars.errors import NotFound
from regulars.services.analytics.scenarios import RunState, Scenario, get, run_state
from regulars.services.program import programs
from regulars.services.promotions import promotions, segments
from regulars.services.promotions.cel_engine import cel
from regulars.services.promotions.condition_subset import compile_subset, fits
from regulars.services.promotions.conditions import (
    cel_context,
    compile_condition,
    holds,
    variables_of,
)
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

MAX_SEGMENTS = 50
"""Segments a replay counts receipts for (the business's first fifty)."""
PAGE_ROWS = 20_000
"""Receipt lines read at a time."""
Progress = Callable[[int, int], None]
"""Told (receipts done, receipts in all) after each page."""


@dataclass(frozen=True, kw_only=True)
class Group:
    """One store's or level's receipts under one program."""

    key: str
    name: str = ""
    """A segment's name (its ``key`` is its id)."""
    receipts: int
    gross_minor: int
    discount_minor: int
    paid_minor: int
    points_issued: int
    cashback_minor: int = 0


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
    """Discounts, cashback, and the points the model says will be redeemed, at their
    value."""
    reward_cost_share_bp: int
    """Reward cost over what was paid, in basis points."""
    by_store: tuple[Group, ...]
    by_level: tuple[Group, ...]
    levels: tuple[LevelCount, ...]
    """Members per level on the period's last day."""
    by_segment: tuple[Group, ...] = ()
    """Per segment of the business, its members as they were when the period began (a
    receipt counts in each of its member's segments)."""
    cashback_minor: int = 0
    """The money members would have got back into their wallets: the program's cashback and
    the draft promotions'."""


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
    members: frozenset[int] | None = None
    """A targeted draft's segment (its members when the period began)."""
    time_fields: tuple[str, ...] = ()
    """The fields of ``time`` a condition of the Python subset reads (empty: any)."""


_TIME_FIELD = re.compile(r"\btime\s*\.\s*([A-Za-z_]\w*)")


def _time_fields(condition: str) -> tuple[str, ...]:
    """The fields of ``time`` that ``condition`` (of the Python subset, where ``time`` is
    read only as ``time.<field>``) names, or ``()`` when anything else follows ``time.``
    (say a comprehension's variable of that name): then the whole time counts."""
    found = tuple(sorted(set(_TIME_FIELD.findall(condition))))
    return found if set(found) <= {"date", "weekday", "hour", "minute"} else ()


def _draft_promotions(scenario: Scenario, segments: dict[int, frozenset[int]]
                      ) -> tuple[_DraftPromotion, ...]:
    out = []
    for index, draft in enumerate(scenario.promotions):
        # Draft ids are negative so that they never meet a real promotion's.
        promotion = promotions.parsed_draft(draft, promotion_id=-(index + 1))
        constant = draft.condition.strip() == "true"
        compiled = None if constant else compile_condition(draft.condition)
        python = None if constant else compile_subset(draft.condition)
        out.append(_DraftPromotion(
            promotion=promotion, program=compiled, python=python,
            variables=frozenset() if compiled is None else variables_of(compiled),
            time_fields=() if python is None else _time_fields(draft.condition),
            members=None if draft.segment_id is None
            else segments.get(draft.segment_id, frozenset())))
    return tuple(out)


MAX_CONDITIONS_REMEMBERED = 200_000
"""Outcomes a draft promotion's condition keeps before it forgets them (bounded memory)."""


class _Active:
    """Which draft promotions apply to a replayed receipt (a :data:`ActiveFor`): the
    segment's, running at the receipt's store and time, their condition met. A condition's
    outcome depends on nothing but the variables it reads, so it is worked out once per
    value of those (the basket; the member and level; the store; the local time to the
    minute, or the fields of it a condition of the Python subset names) and remembered, each
    condition given only the variables it reads."""

    def __init__(self, drafts: tuple[_DraftPromotion, ...]) -> None:
        self.drafts = drafts
        self.names = tuple(tuple(sorted(d.variables)) for d in drafts)
        self.known: tuple[dict[tuple[Any, ...], bool], ...] = tuple({} for _ in drafts)

    def __call__(self, member_id: int | None, store_id: int, local: datetime,
                 basket: Basket, status: LevelStatus | None) -> tuple[Promotion, ...]:
        chosen = []
        for d, names, known in zip(self.drafts, self.names, self.known, strict=True):
            if d.members is not None and member_id not in d.members:
                continue  # targeted at a segment this member was not in
            if not d.promotion.runs(store_id=store_id, local=local):
                continue
            if d.program is not None:
                key = tuple([_part(name, member_id, store_id, local, basket, status,
                                   d.time_fields) for name in names])
                met = known.get(key)
                if met is None:
                    if len(known) >= MAX_CONDITIONS_REMEMBERED:
                        known.clear()
                    met = known[key] = _holds(d, member_id, store_id, local, basket, status)
                if not met:
                    continue
            chosen.append(d.promotion)
        return tuple(chosen)


def _part(name: str, member_id: int | None, store_id: int, local: datetime, basket: Basket,
          status: LevelStatus | None, time_fields: tuple[str, ...]) -> Any:
    """What of the receipt the variable ``name`` is made of (of ``time``, the
    ``time_fields`` when there are any)."""
    if name == "basket":
        return basket
    if name == "member":
        return None if member_id is None or status is None else (member_id,
                                                                 status.level.code)
    if name == "store":
        return store_id
    if name == "time":
        if time_fields:
            return tuple([_TIME[field](local) for field in time_fields])
        return local.replace(second=0, microsecond=0)
    return None  # a name no receipt gives a value


_TIME: dict[str, Callable[[datetime], Any]] = {
    "date": datetime.date, "weekday": datetime.isoweekday,
    "hour": lambda at: at.hour, "minute": lambda at: at.minute}


def _member(member_id: int | None, status: LevelStatus | None) -> dict[str, Any] | None:
    if member_id is None or status is None:
        return None
    return {"id": member_id, "level": status.level.code}


def _holds(d: _DraftPromotion, member_id: int | None, store_id: int, local: datetime,
           basket: Basket, status: LevelStatus | None) -> bool:
    assert d.program is not None
    variables = cel_context(basket_lines(basket), _member(member_id, status), store_id, local,
                            names=d.variables)
    if d.python is not None and fits(variables):
        return bool(d.python(variables))
    return holds(d.program, cel.Context(variables=variables))


def active_for(drafts: tuple[_DraftPromotion, ...]) -> ActiveFor | None:
    """Which of the draft promotions apply to each replayed receipt (``None``: none)."""
    return _Active(drafts) if drafts else None


# The run -------------------------------------------------------------------------------------

def _period(scenario: Scenario, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(scenario.first_day, time(), zone)
    end = datetime.combine(scenario.last_day + timedelta(days=1), time(), zone)
    return start, end


Seen = Callable[[int, tuple[QuoteFigures, QuoteFigures]], None]
"""Told each receipt's id and figures under the draft and the current program."""


class _Days:
    """The tenant's local day of each receipt, read in time order: the day's bounds are
    worked out when a receipt falls outside the last day's, so most receipts cost a
    comparison. ``occurred_at`` as the driver gives it: an ISO string of UTC (SQLite) or an
    aware datetime."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.day = date.min
        self.start = self.end = datetime.min.replace(tzinfo=UTC)

    def instant(self, value: Any) -> datetime:
        at: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at

    def move(self, at: datetime) -> date:
        """Make the day ``at`` falls on the current one, and give it."""
        day = at.astimezone(self.zone).date()
        self.day = day
        self.start = datetime.combine(day, time(), self.zone).astimezone(UTC)
        self.end = datetime.combine(day + timedelta(days=1), time(), self.zone).astimezone(UTC)
        return day


def feed(run: Replay, pages: Iterable[Sequence[store.ReceiptRow]], zone: ZoneInfo,
         told: Callable[[int], None] | None = None, seen: Seen | None = None) -> int:
    """Give ``run`` every receipt of ``pages`` (rows of :func:`store.receipt_rows`), each
    day begun in turn; ``told`` gets the receipts done after each page, ``seen`` each
    receipt's figures. How many receipts there were."""
    days = _Days(zone)
    done = 0
    current: tuple[int, int | None, int, datetime, int] | None = None
    basket: list[tuple[str, str, int, int]] = []

    def finish(head: tuple[int, int | None, int, datetime, int]) -> None:
        receipt_id, member_id, store_id, at, qualifying = head
        if not days.start <= at < days.end:
            run.begin_day(days.move(at))
        local = None if run.active is None else at.astimezone(zone).replace(tzinfo=None)
        number = run.add_basket(member_id, store_id, days.day, tuple(basket), qualifying,
                                local)
        if seen is not None:
            seen(receipt_id, run.priced(number))

    for page in pages:
        for row in page:
            if current is None or row[0] != current[0]:
                if current is not None:
                    finish(current)
                    done += 1
                current = (row[0], row[1], row[2], days.instant(row[3]), row[4])
                basket = []
            basket.append((row[5], row[6], row[7], row[8]))
        if told is not None:
            told(done)
    if current is not None:
        finish(current)
        done += 1
        if told is not None:
            told(done)
    return done


def start_spend(conn: Any, tenant_id: int, first_day: date,
                trackers: tuple[SpendTracker, ...],
                members_modulo: tuple[int, int] | None = None) -> None:
    """Each member's qualifying spend before ``first_day``, into every tracker (with
    ``members_modulo`` (m, r): only the members whose id is r modulo m)."""
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
    for row in store.spend_before(conn, tenant_id, since, members_modulo):
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
    history = 0 if sums.first_at is None else (now - sums.first_at).days
    return fit_redemption(issued_points=sums.issued, redeemed_points=sums.redeemed,
                          outstanding_points=liability_queries.outstanding_now(conn, tenant_id),
                          redeemed_last_year_points=sums.redeemed_since, history_days=history)


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
    segments: dict[int, frozenset[int]]
    """Each segment's members when the period began, by segment id."""
    segment_names: dict[int, str]


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
        rows = segment_store.list_segments(conn, tenant_id)[:MAX_SEGMENTS]
        members = {row.id: frozenset(segments.member_ids_at(conn, tenant_id, row.id, start))
                   for row in rows}
    return Setup(scenario=scenario, draft=scenario.program or current, current=current,
                 zone=zone, currency=tenant.currency, part=part, total=total,
                 segments=members, segment_names={row.id: row.name for row in rows})


def replay(rt: Runtime, tenant_id: int, setup: Setup, *,
           progress: Progress | None = None, workers: int = 1) -> Result:
    """Replay ``setup``'s receipts in one read transaction, streamed; ``progress`` is told
    after each page. With ``workers`` above 1 (and ``setup`` not a slice of the members
    already), as many forked processes replay a share of the members each (by member id
    modulo ``workers``; the first one the anonymous receipts too) and their sums are added
    up: members are independent, each one's receipts stay in one process, in time order."""
    with rt.db.read() as conn:
        model = fitted_model(conn, tenant_id, rt.now())
    if workers > 1 and setup.part.members_modulo is None:
        draft, current, levels = _replay_apart(rt, tenant_id, setup, workers, progress)
    else:
        def told(done: int) -> None:
            if progress is not None:
                progress(done, setup.total)
        draft, current, levels = replay_part(rt, tenant_id, setup, setup.part, told)
    return summarise(setup, draft, current, model, levels=levels)


Part = tuple[Tally, Tally, tuple[dict[str, int], dict[str, int]]]
"""What a replay of some members gives: the draft's and the current program's tallies and
members per level at the end under each."""


def replay_part(rt: Runtime, tenant_id: int, setup: Setup, part: Slice,
                told: Callable[[int], None] | None = None, seen: Seen | None = None) -> Part:
    scenario = setup.scenario
    run = Replay(setup.draft, setup.current,
                 draft_active=active_for(_draft_promotions(scenario, setup.segments)),
                 segments=setup.segments)
    with rt.db.snapshot() as conn:
        start_spend(conn, tenant_id, scenario.first_day,
                    (run.draft_spend, run.current_spend), part.members_modulo)
        feed(run, store.receipt_rows(conn, tenant_id, part, size=PAGE_ROWS), setup.zone,
             told, seen)
    run.settle()
    return run.draft, run.current, (run.draft_spend.levels(scenario.last_day),
                                    run.current_spend.levels(scenario.last_day))


def _work(rt: Runtime, tenant_id: int, setup: Setup, part: Slice, index: int,
          queue: Any) -> None:
    """A forked worker: its share of the replay, its progress and its sums on ``queue``."""
    rt.db.engine.dispose(close=False)  # the parent's connections are not ours to use
    try:
        found = replay_part(rt, tenant_id, setup, part,
                            lambda done: queue.put(("progress", index, done)))
    except Exception as exc:  # noqa: BLE001 - the parent raises it
        queue.put(("failed", index, f"{type(exc).__name__}: {exc}"))
        return
    queue.put(("done", index, found))


def _replay_apart(rt: Runtime, tenant_id: int, setup: Setup, workers: int,
                  progress: Progress | None) -> Part:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_work, daemon=True, args=(
        rt, tenant_id, setup, replace(setup.part, members_modulo=(workers, index),
                                      anonymous=index == 0), index, queue))
        for index in range(workers)]
    for process in processes:
        process.start()
    try:
        parts = _collect(processes, queue, setup.total, progress)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    draft, current = Tally(), Tally()
    levels: tuple[dict[str, int], dict[str, int]] = ({}, {})
    for part_draft, part_current, part_levels in parts:
        draft.merge(part_draft)
        current.merge(part_current)
        for mine, theirs in zip(levels, part_levels, strict=True):
            for code, count in theirs.items():
                mine[code] = mine.get(code, 0) + count
    return draft, current, levels


def _collect(processes: list[Any], queue: Any, total: int,
             progress: Progress | None) -> list[Part]:
    done = [0] * len(processes)
    parts: dict[int, Part] = {}
    while len(parts) < len(processes):
        try:
            kind, index, value = queue.get(timeout=1.0)
        except Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                raise RuntimeError("a replay worker died") from None
            continue
        if kind == "failed":
            raise RuntimeError(value)
        if kind == "done":
            parts[index] = value
        else:
            done[index] = value
            if progress is not None:
                progress(sum(done), total)
    return [parts[index] for index in range(len(processes))]


def summarise(setup: Setup, draft: Tally, current: Tally, model: RedemptionModel, *,
              levels: tuple[dict[str, int], dict[str, int]]) -> Result:
    """Both tallies as figures, with the payback of the draft over the current program."""
    scenario = setup.scenario
    last = scenario.last_day
    draft_projection = project(draft.issued_by_day, model, setup.draft, last)
    current_projection = project(current.issued_by_day, model, setup.current, last)
    names = setup.segment_names
    draft_figures = _figures(draft, draft_projection, setup.draft, levels[0], names)
    current_figures = _figures(current, current_projection, setup.current, levels[1], names)
    days = (last - scenario.first_day).days + 1
    money = {"days": days, "revenue_minor": current_figures.paid_minor,
             "current_cost_minor": current_figures.reward_cost_minor,
             "draft_cost_minor": draft_figures.reward_cost_minor}
    return Result(first_day=scenario.first_day, last_day=last, currency=setup.currency,
                  draft=draft_figures, current=current_figures, model=model,
                  payback=payback(scenario.assumptions, **money),
                  sensitivity=sensitivity(scenario.assumptions, **money))


def _group(key: str, t: Totals, name: str = "") -> Group:
    return Group(key=key, name=name, receipts=t.receipts, gross_minor=t.gross_minor,
                 discount_minor=t.discount_minor, paid_minor=t.paid_minor,
                 points_issued=t.points_issued, cashback_minor=t.cashback_minor)


def _figures(tally: Tally, projection: Projection, program: Program,
             levels: dict[str, int], segment_names: dict[int, str]) -> Figures:
    total = tally.total
    cost = reward_cost_minor(total, projection)
    share = divide(cost * BASIS_POINTS, total.paid_minor, Rounding.HALF_UP) \
        if total.paid_minor > 0 else 0
    order = {lv.code: i for i, lv in enumerate(program.levels)}
    return Figures(
        receipts=total.receipts, gross_minor=total.gross_minor,
        discount_minor=total.discount_minor, paid_minor=total.paid_minor,
        points_issued=total.points_issued, cashback_minor=total.cashback_minor,
        points_redeemed=projection.redeemed_points,
        points_expired=projection.expired_points,
        points_outstanding=projection.outstanding_points,
        breakage_points=projection.breakage_points, liability_minor=projection.liability_minor,
        reward_cost_minor=cost, reward_cost_share_bp=share,
        by_store=tuple(_group(str(k), t) for k, t in sorted(tally.by_store.items())),
        by_level=tuple(_group(k, t) for k, t in sorted(
            tally.by_level.items(), key=lambda kv: (kv[0] == ANONYMOUS,
                                                    order.get(kv[0], len(order))))),
        levels=tuple(LevelCount(code=lv.code, name=lv.name, members=levels.get(lv.code, 0))
                     for lv in program.levels),
        by_segment=tuple(_group(str(k), tally.by_segment.get(k, Totals()), name)
                         for k, name in sorted(segment_names.items())))


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
    return run_state(row, rt.now()), setup


def execute(rt: Runtime, tenant_id: int, run_id: int, setup: Setup, *,
            progress: Progress | None = None, workers: int = 1) -> RunState:
    """Replay ``setup`` for the run ``run_id``, writing its progress every batch and its
    figures at the end (or ``failed`` with the reason)."""
    def tell(done: int, total: int) -> None:
        with rt.db.write() as conn:
            store.set_progress(conn, tenant_id, run_id, done, now=rt.now())
        if progress is not None:
            progress(done, total)

    try:
        result = replay(rt, tenant_id, setup, progress=tell, workers=workers)
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
    return run_state(row, rt.now())


def run(rt: Runtime, tenant_id: int, scenario_id: int, *,
        progress: Progress | None = None, workers: int = 1) -> tuple[RunState, Result]:
    """Start and execute a run here and now (the CLI's way)."""
    state, setup = start_run(rt, tenant_id, scenario_id)
    execute(rt, tenant_id, state.id, setup, progress=progress, workers=workers)
    done, result = get_run(rt, tenant_id, scenario_id, state.id)
    assert result is not None
    return done, result


def get_run(rt: Runtime, tenant_id: int, scenario_id: int, run_id: int
            ) -> tuple[RunState, Result | None]:
    with rt.db.read() as conn:
        row = store.get_run(conn, tenant_id, run_id)
    if row is None or row["scenario_id"] != scenario_id:
        raise NotFound("run not found")
    return run_state(row, rt.now()), None if row["result"] is None else result_of(row["result"])


def latest_result(rt: Runtime, tenant_id: int, scenario_id: int) -> Result | None:
    """The figures of the scenario's latest finished run, or ``None``."""
    with rt.db.read() as conn:
        if store.get_scenario(conn, tenant_id, scenario_id) is None:
            raise NotFound("scenario not found")
        row = store.latest_done(conn, tenant_id, scenario_id)
    return None if row is None else result_of(row["result"])


FIGURE_NAMES = ("receipts", "gross_minor", "discount_minor", "paid_minor", "points_issued",
                "cashback_minor", "points_redeemed", "points_expired", "points_outstanding",
                "breakage_points", "liability_minor", "reward_cost_minor",
                "reward_cost_share_bp")
GROUP_FIGURE_NAMES = ("receipts", "discount_minor", "paid_minor", "points_issued",
                      "cashback_minor")
EXPORT_HEADER = ("section", "key", "figure", "draft", "current")


def export_rows(result: Result) -> Iterator[tuple[str, str, str, int, int]]:
    """A finished run as rows (section, key, figure, draft, current): the totals, each store
    and level, and members per level at the end."""
    for name in FIGURE_NAMES:
        yield "total", "", name, getattr(result.draft, name), getattr(result.current, name)
    for section in ("by_store", "by_level", "by_segment"):
        drafts = {g.key: g for g in getattr(result.draft, section)}
        currents = {g.key: g for g in getattr(result.current, section)}
        for key in sorted(drafts.keys() | currents.keys()):
            for name in GROUP_FIGURE_NAMES:
                yield (section, key, name, getattr(drafts.get(key), name, 0),
                       getattr(currents.get(key), name, 0))
    current_levels = {c.code: c.members for c in result.current.levels}
    for level in result.draft.levels:
        yield "members", level.code, "members", level.members, current_levels.get(level.code, 0)
