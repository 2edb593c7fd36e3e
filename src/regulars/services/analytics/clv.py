"""Customer lifetime value and RFM groups for one business: BG/NBD and Gamma-Gamma fitted by
maximum likelihood on its own receipts (net of refunds) up to a calibration end, then per
member the probability of being alive, expected purchases in the next 90 and 365 days,
expected spend per purchase, and CLV with a margin and a monthly discount rate; RFM
quintiles and named groups, which need no fit.

A business with too little history gets its RFM groups and a plain reason instead of a fit
(:class:`NoFit`: the refusal's stable reason and its message, to be shown translated).

The models (numpy, scipy) are imported by the report itself, not with this module: the app,
the worker and the CLI start without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from regulars.analytics.errors import ModelRefused
from regulars.db.analytics import purchases
from regulars.errors import InvalidInput
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

if TYPE_CHECKING:
    from regulars.analytics.clv import MemberValue
    from regulars.analytics.rfm import RfmScore
    from regulars.analytics.summary import CalibrationSummary

MAX_PAGE = 500
UNITS = ("days", "weeks")


@dataclass(frozen=True, kw_only=True)
class ClvQuery:
    calibration_end: date | None = None
    """The last day (the tenant's) the models learn from; None: yesterday."""
    unit: str = "weeks"
    margin_bp: int = 3000
    discount_monthly_bp: int = 100
    months: int = 12
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, kw_only=True)
class ModelFit:
    r: float
    alpha: float
    a: float
    b: float
    p: float
    q: float
    gamma_minor: float
    members: int
    repeat_buyers: int


@dataclass(frozen=True, kw_only=True)
class NoFit:
    """Why there is no fit: a stable ``code`` and the message, a gettext ``template`` filled
    with ``params``."""
    code: str
    template: str
    params: dict[str, object]

    @property
    def text(self) -> str:
        """The message in English."""
        return self.template % self.params if self.params else self.template


@dataclass(frozen=True, kw_only=True)
class MemberOutlook:
    member_id: int
    days_since_last: int
    purchases: int
    spend_minor: int
    rfm: str
    group: str
    probability_alive: float | None
    purchases_90_days: float | None
    purchases_365_days: float | None
    spend_per_purchase_minor: int | None
    lifetime_value_minor: int | None


@dataclass(frozen=True, kw_only=True)
class ClvReport:
    calibration_end: date
    unit: str
    margin_bp: int
    discount_monthly_bp: int
    months: int
    members: int
    fit: ModelFit | None
    no_fit: NoFit | None
    lifetime_value_total_minor: int | None
    groups: dict[str, int]
    items: tuple[MemberOutlook, ...]
    limit: int
    offset: int

    @property
    def not_fitted_because(self) -> str | None:
        return None if self.no_fit is None else self.no_fit.text

    @property
    def not_fitted_code(self) -> str | None:
        return None if self.no_fit is None else self.no_fit.code


def _check(q: ClvQuery, today: date) -> None:
    problems = [("unit", q.unit not in UNITS, "unit must be days or weeks"),
                ("margin_bp", not 0 <= q.margin_bp <= 10_000,
                 "margin_bp must be from 0 to 10000"),
                ("discount_monthly_bp", not 0 <= q.discount_monthly_bp <= 10_000,
                 "discount_monthly_bp must be from 0 to 10000"),
                ("months", not 1 <= q.months <= 120, "months must be from 1 to 120"),
                ("limit", not 1 <= q.limit <= MAX_PAGE, "limit must be from 1 to 500"),
                ("offset", q.offset < 0, "offset must not be negative"),
                ("calibration_end", q.calibration_end is not None and q.calibration_end >= today,
                 "the calibration must end before today")]
    for field, bad, message in problems:
        if bad:
            raise InvalidInput(message, field=field)


def _outlook(score: RfmScore, value: MemberValue | None) -> MemberOutlook:
    return MemberOutlook(
        member_id=int(str(score.member_id)), days_since_last=score.days_since_last,
        purchases=score.purchases, spend_minor=score.spend_minor, rfm=score.code,
        group=score.group.value,
        probability_alive=None if value is None else round(value.probability_alive, 4),
        purchases_90_days=None if value is None else round(value.purchases_90_days, 3),
        purchases_365_days=None if value is None else round(value.purchases_365_days, 3),
        spend_per_purchase_minor=None if value is None else value.spend_per_purchase_minor,
        lifetime_value_minor=None if value is None else value.lifetime_value_minor)


def _summary(rt: Runtime, tenant_id: int, zone: ZoneInfo, end: date,
             unit: str) -> CalibrationSummary:
    from regulars.analytics.summary import Receipt, TimeUnit, summarise

    until = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
    with rt.db.read() as conn:
        rows = [Receipt(member_id, at.astimezone(zone).date(), amount)
                for member_id, at, amount in purchases.member_purchases(conn, tenant_id,
                                                                         until=until)]
    return summarise(rows, calibration_end=end, unit=TimeUnit[unit.upper()])


def _fit(summary: CalibrationSummary,
         q: ClvQuery) -> tuple[ModelFit | None, list[MemberValue] | None, NoFit | None]:
    """The fit and each member's value, or why the data gives none."""
    from regulars.analytics.bgnbd import fit_bgnbd
    from regulars.analytics.clv import ValuePolicy, member_values
    from regulars.analytics.gamma_gamma import fit_gamma_gamma

    try:
        bg, gg = fit_bgnbd(summary), fit_gamma_gamma(summary)
        values = member_values(bg, gg, summary, ValuePolicy(
            margin_bp=q.margin_bp, discount_monthly_bp=q.discount_monthly_bp, months=q.months))
    except ModelRefused as exc:
        return None, None, NoFit(code=exc.reason, template=exc.template, params=exc.params)
    fit = ModelFit(r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b, p=gg.p, q=gg.q,
                   gamma_minor=gg.gamma, members=bg.members, repeat_buyers=gg.members)
    return fit, values, None


@dataclass(frozen=True, kw_only=True)
class _Computed:
    end: date
    members: int
    fit: ModelFit | None
    reason: NoFit | None
    total_minor: int | None
    groups: dict[str, int]
    outlooks: list[MemberOutlook]
    """Every member, by lifetime value (by RFM code without a fit)."""


def _compute(rt: Runtime, tenant_id: int, q: ClvQuery) -> _Computed:
    from regulars.analytics.rfm import RfmGroup, rfm_scores

    zone = ZoneInfo(get_tenant(rt, tenant_id).timezone)
    today = rt.now().astimezone(zone).date()
    _check(q, today)
    end = q.calibration_end or today - timedelta(days=1)
    summary = _summary(rt, tenant_id, zone, end, q.unit)
    scores = rfm_scores(summary)
    fit, values, reason = _fit(summary, q)
    outlooks = [_outlook(s, values[i] if values else None) for i, s in enumerate(scores)]
    outlooks.sort(key=lambda o: (-(o.lifetime_value_minor or 0), -int(o.rfm), o.member_id))
    groups = {g.value: 0 for g in RfmGroup}
    for s in scores:
        groups[s.group.value] += 1
    return _Computed(end=end, members=len(summary), fit=fit, reason=reason,
                     total_minor=None if values is None else sum(
                         v.lifetime_value_minor for v in values),
                     groups=groups, outlooks=outlooks)


def report(rt: Runtime, tenant_id: int, q: ClvQuery) -> ClvReport:
    """The business's CLV and RFM at ``q.calibration_end``: the fit, totals, the members per
    RFM group, and a page of members by lifetime value (by RFM code without a fit). Raises
    :class:`InvalidInput` naming the parameter out of range."""
    found = _compute(rt, tenant_id, q)
    return ClvReport(
        calibration_end=found.end, unit=q.unit, margin_bp=q.margin_bp,
        discount_monthly_bp=q.discount_monthly_bp, months=q.months, members=found.members,
        fit=found.fit, no_fit=found.reason,
        lifetime_value_total_minor=found.total_minor, groups=found.groups,
        items=tuple(found.outlooks[q.offset:q.offset + q.limit]), limit=q.limit,
        offset=q.offset)


def every_member(rt: Runtime, tenant_id: int, q: ClvQuery) -> tuple[MemberOutlook, ...]:
    """Every member's outlook, in :func:`report`'s order (its page bounds left aside), for
    a table to download. Raises :class:`InvalidInput` as :func:`report` does."""
    return tuple(_compute(rt, tenant_id, q).outlooks)
