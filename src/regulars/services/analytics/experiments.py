"""Results of an A/B experiment and of the programme holdout.

Both compare everyone the hash assigned, whether or not they came (intention to treat): each
member who joined before the end of the window, with what they paid (net of refunds) and
how often they came in it. An experiment's variants are read against its first (the
baseline) with a fixed 95 % interval and an always-valid one; every pair of variants is
compared by an always-valid interval at ``5 % / (k(k − 1)/2)`` and a winner is named only when
its intervals against every other variant exclude zero
(:func:`regulars.domain.analytics.experiments.decide`), so that neither looking every day nor
having several variants that beat the first makes false winners. The holdout is read as the
rest against the held out: the uplift of the whole marketing effort.

The statistics (numpy, scipy) are imported by the functions that compute, not with this
module: the app, the worker and the CLI start without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from regulars.db.analytics import uplift as queries
from regulars.domain.analytics.experiments import Verdict, decide, pair_alpha
from regulars.domain.money import BASIS_POINTS
from regulars.domain.promotions.experiments import variant_of
from regulars.errors import InvalidInput
from regulars.services.analytics.figures import Request, local_start, period_for
from regulars.services.analytics.uplift import MoneyEstimate, RateEstimate, money, rate
from regulars.services.promotions import experiments
from regulars.services.promotions.experiments import ExperimentView
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

if TYPE_CHECKING:
    from regulars.analytics import uplift as stats


@dataclass(frozen=True, kw_only=True)
class VariantResult:
    position: int
    name: str
    promotion_id: int
    members: int
    spend_mean_minor: int
    visits_mean: float
    against_baseline: MoneyEstimate | None  # None for the baseline itself
    always_valid: MoneyEstimate | None


@dataclass(frozen=True, kw_only=True)
class ExperimentResults:
    experiment: ExperimentView
    currency: str
    since: datetime
    until: datetime
    variants: list[VariantResult]
    winner_position: int | None
    beats_baseline: list[int]  # positions whose always-valid interval clears the first
    verdict: Verdict


@dataclass(frozen=True, kw_only=True)
class HoldoutResults:
    currency: str
    share_bp: int
    since: datetime
    until: datetime
    held_out: int
    rest: int
    spend: MoneyEstimate
    visits: RateEstimate
    bought: RateEstimate


def experiment_results(rt: Runtime, tenant_id: int, experiment_id: int) -> ExperimentResults:
    """The experiment's variants from its start to its stop (or now). Raises
    :class:`NotFound`."""
    import numpy as np

    from regulars.analytics import uplift as stats

    found = experiments.get(rt, tenant_id, experiment_id)
    until = found.stopped_at or rt.now()
    with rt.db.read() as conn:
        rows = queries.member_outcomes(conn, tenant_id, since=found.started_at, until=until)
        plan = experiments.plan_for(conn, tenant_id)
        key = plan.key or experiments.assignment_key(conn, tenant_id)
    count = len(found.variants)
    spend: list[list[int]] = [[] for _ in range(count)]
    visits: list[list[int]] = [[] for _ in range(count)]
    for member_id, paid, came in rows:
        index = variant_of(key, experiment_id=found.id, member_id=member_id, variants=count)
        spend[index].append(paid)
        visits[index].append(came)
    arms = [np.asarray(s, dtype=np.float64) for s in spend]
    pairwise = stats.pairwise_sequential(arms, alpha=pair_alpha(1 - stats.LEVEL,
                                                                variants=count))
    fixed: list[stats.Difference | None] = [
        None, *(stats.mean_difference(arm, arms[0]) for arm in arms[1:])]
    always: list[stats.Difference | None] = [None, *(pairwise[i, 0] for i in range(1, count))]
    small = min(a.size for a in arms) < stats.MIN_MEMBERS_PER_ARM
    decision = decide(count, pairwise)

    def shown(d: stats.Difference | None) -> MoneyEstimate | None:
        return None if d is None else money(d)

    results = [VariantResult(
        position=v.position, name=v.name, promotion_id=v.promotion_id, members=arms[i].size,
        spend_mean_minor=stats.round_minor(float(arms[i].mean())) if arms[i].size else 0,
        visits_mean=float(np.mean(visits[i])) if visits[i] else 0.0,
        against_baseline=shown(fixed[i]), always_valid=shown(always[i]))
        for i, v in enumerate(found.variants)]
    return ExperimentResults(
        experiment=found, currency=get_tenant(rt, tenant_id).currency,
        since=found.started_at, until=until, variants=results,
        winner_position=None if small else decision.winner,
        beats_baseline=[] if small else list(decision.beats_first),
        verdict=Verdict.TOO_SMALL if small else decision.verdict)


def holdout_results(rt: Runtime, tenant_id: int, *, since: datetime,
                    until: datetime) -> HoldoutResults:
    """Everyone else against the held-out members over ``[since, until)``."""
    import numpy as np

    from regulars.analytics import uplift as stats

    with rt.db.read() as conn:
        rows = queries.member_outcomes(conn, tenant_id, since=since, until=until)
        plan = experiments.plan_for(conn, tenant_id)
    held = np.array([plan.held_out(m) for m, _, _ in rows], dtype=bool)
    paid = np.array([p for _, p, _ in rows], dtype=np.float64)
    came = np.array([v for _, _, v in rows], dtype=np.float64)
    rest = ~held
    bought = (stats.proportion_difference(
        test_yes=int((came[rest] > 0).sum()), test_n=int(rest.sum()),
        control_yes=int((came[held] > 0).sum()), control_n=int(held.sum()))
        if held.any() and rest.any() else stats.mean_difference(came[rest] > 0, came[held] > 0))
    return HoldoutResults(
        currency=get_tenant(rt, tenant_id).currency, share_bp=plan.holdout_bp, since=since,
        until=until, held_out=int(held.sum()), rest=int(rest.sum()),
        spend=money(stats.mean_difference(paid[rest], paid[held])),
        visits=rate(stats.mean_difference(came[rest], came[held])), bought=rate(bought))


def holdout_for_period(rt: Runtime, tenant_id: int, request: Request) -> HoldoutResults:
    """:func:`holdout_results` over the local days ``request`` names. Raises
    :class:`InvalidInput` naming ``from``/``to`` for a bad range."""
    period, zone = period_for(rt, tenant_id, request)
    return holdout_results(rt, tenant_id, since=local_start(period.first_day, zone),
                           until=local_start(period.last_day + timedelta(days=1), zone))


@dataclass(frozen=True, kw_only=True)
class SampleSize:
    """``per_arm`` for a fixed-horizon test read once; ``per_arm_always_valid`` for the
    always-valid interval the winner is named by, which may be looked at every day."""

    per_arm: int | None
    total: int | None
    per_arm_always_valid: int | None
    effect_minor: int
    sd_minor: int
    power_bp: int
    variants: int


SD_HISTORY_DAYS = 28


def sample_size(rt: Runtime, tenant_id: int, *, effect_minor: int, sd_minor: int | None,
                power_bp: int = 8000, variants: int = 2) -> SampleSize:
    """Members per variant to find a difference of ``effect_minor`` in spend per member with
    ``power_bp`` power, each pair of variants compared at ``5 % / (k(k − 1)/2)`` as the winner
    is (:func:`regulars.domain.analytics.experiments.pair_alpha`). Without
    ``sd_minor`` the spread is the members' spend over the last 28 days."""
    import numpy as np

    from regulars.analytics import uplift as stats

    if sd_minor is None:
        until = rt.now()
        with rt.db.read() as conn:
            rows = queries.member_outcomes(conn, tenant_id,
                                           since=until - timedelta(days=SD_HISTORY_DAYS),
                                           until=until)
        paid = np.array([p for _, p, _ in rows], dtype=np.float64)
        sd_minor = stats.round_minor(float(paid.std(ddof=1))) if paid.size > 1 else 0
    if sd_minor <= 0:
        raise InvalidInput("sd_minor: no spread to size for (give one, or wait for sales)",
                           field="sd_minor")
    alpha = pair_alpha(1 - stats.LEVEL, variants=variants)
    per_arm = stats.sample_size(effect=effect_minor, sd=sd_minor, alpha=alpha,
                                power_wanted=power_bp / BASIS_POINTS)
    always_valid = stats.sequential_sample_size(effect=effect_minor, sd=sd_minor, alpha=alpha,
                                                power_wanted=power_bp / BASIS_POINTS)
    return SampleSize(per_arm=per_arm, total=None if per_arm is None else per_arm * variants,
                      per_arm_always_valid=always_valid,
                      effect_minor=effect_minor, sd_minor=sd_minor, power_bp=power_bp,
                      variants=variants)
