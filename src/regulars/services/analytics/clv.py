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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.analytics.errors import ModelRefused
from regulars.db.analytics import purchases
from regulars.domain.analytics.local_days import offset_spans
from regulars.errors import InvalidInput
from regulars.services.analytics import heap
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from regulars.analytics.bgnbd import BgNbdFit
    from regulars.analytics.clv import MemberValueArrays, ValuePolicy
    from regulars.analytics.gamma_gamma import GammaGammaFit
    from regulars.analytics.rfm import RfmArrays
    from regulars.analytics.summary import CalibrationSummary, IntArray, TimeUnit

    Rows: TypeAlias = npt.NDArray[np.signedinteger[Any]]

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


def purchase_summary(conn: Connection, tenant_id: int, zone: ZoneInfo, end: date,
                     unit: TimeUnit) -> CalibrationSummary:
    """The summary of the members' net purchases up to the close of ``end`` (local days in
    ``zone``), grouped per member by the database and read a page of members at a time: its
    memory grows with the members, not with their receipts."""
    from regulars.analytics.summary import summary_of_members

    until = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
    first = purchases.first_receipt_at(conn, tenant_id)
    spans = offset_spans(zone, min(first or until, until), until)
    return summary_of_members(
        purchases.member_purchases(conn, tenant_id, until=until, spans=spans),
        calibration_end=end, unit=unit)


@dataclass(frozen=True, kw_only=True)
class _Values:
    """The fits; an outlook (alive, purchases, spend, value) is worked out for the rows
    asked for only (:meth:`of`)."""

    purchases: BgNbdFit
    spend: GammaGammaFit
    policy: ValuePolicy

    def of(self, summary: CalibrationSummary) -> MemberValueArrays:
        from regulars.analytics.clv import member_value_arrays

        return member_value_arrays(self.purchases, self.spend, summary, self.policy)


def _fit(summary: CalibrationSummary, q: ClvQuery
         ) -> tuple[ModelFit | None, _Values | None, IntArray | None, NoFit | None]:
    """The fit and each member's lifetime value, or why the data gives none."""
    from regulars.analytics.bgnbd import fit_bgnbd
    from regulars.analytics.clv import ValuePolicy, lifetime_value_array
    from regulars.analytics.gamma_gamma import fit_gamma_gamma

    policy = ValuePolicy(margin_bp=q.margin_bp, discount_monthly_bp=q.discount_monthly_bp,
                         months=q.months)
    try:
        bg, gg = fit_bgnbd(summary), fit_gamma_gamma(summary)
        value = lifetime_value_array(bg, gg, summary, policy)
    except ModelRefused as exc:
        return None, None, None, NoFit(code=exc.reason, template=exc.template,
                                       params=exc.params)
    fit = ModelFit(r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b, p=gg.p, q=gg.q,
                   gamma_minor=gg.gamma, members=bg.members, repeat_buyers=gg.members)
    return fit, _Values(purchases=bg, spend=gg, policy=policy), value, None


@dataclass(frozen=True, kw_only=True)
class _Computed:
    """Every member's figures as arrays, and ``order``: their rows by lifetime value (by RFM
    code without a fit), then by member id. Outlooks are made only for the rows asked for."""

    end: date
    fit: ModelFit | None
    reason: NoFit | None
    summary: CalibrationSummary
    member_ids: IntArray
    rfm: RfmArrays
    values: _Values | None
    total_minor: int | None
    order: Rows

    @property
    def members(self) -> int:
        return len(self.summary)

    def groups(self) -> dict[str, int]:
        import numpy as np

        from regulars.analytics.rfm import GROUP_ORDER

        counts = np.bincount(self.rfm.group, minlength=len(GROUP_ORDER)).tolist()
        return {g.value: int(n) for g, n in zip(GROUP_ORDER, counts, strict=True)}

    def outlooks(self, start: int, stop: int) -> list[MemberOutlook]:
        """The outlooks of ``order[start:stop]``."""
        from regulars.analytics.rfm import GROUP_ORDER

        rows, r = self.order[start:stop], self.rfm
        columns: list[Any] = [self.member_ids[rows], self.summary.days_since_last[rows],
                   self.summary.frequency[rows] + 1, self.summary.spend_minor[rows], r.code[rows],
                   r.group[rows]]
        v = None if self.values is None else self.values.of(self.summary.taken(rows))
        if v is not None:
            columns += [v.probability_alive, v.purchases_90_days, v.purchases_365_days,
                        v.spend_per_purchase_minor, v.lifetime_value_minor]
        found = []
        for row in zip(*(c.tolist() for c in columns), strict=True):
            value = row[6:] or (None,) * 5
            found.append(MemberOutlook(
                member_id=row[0], days_since_last=row[1], purchases=row[2], spend_minor=row[3],
                rfm=str(row[4]), group=GROUP_ORDER[row[5]].value,
                probability_alive=None if v is None else round(value[0], 4),
                purchases_90_days=None if v is None else round(value[1], 3),
                purchases_365_days=None if v is None else round(value[2], 3),
                spend_per_purchase_minor=value[3], lifetime_value_minor=value[4]))
        return found


def _compute(rt: Runtime, tenant_id: int, q: ClvQuery) -> _Computed:
    from regulars.analytics.summary import TimeUnit

    zone = ZoneInfo(get_tenant(rt, tenant_id).timezone)
    today = rt.now().astimezone(zone).date()
    _check(q, today)
    end = q.calibration_end or today - timedelta(days=1)
    with rt.db.snapshot() as conn:
        summary = purchase_summary(conn, tenant_id, zone, end, TimeUnit[q.unit.upper()])
    return computed(summary, q, end)


def computed(summary: CalibrationSummary, q: ClvQuery, end: date) -> _Computed:
    """Every member's figures from ``summary`` (the fit, values, RFM and their order)."""
    import numpy as np

    from regulars.analytics.rfm import rfm_arrays

    scores = rfm_arrays(summary)
    fit, values, value, reason = _fit(summary, q)
    member_ids = np.asarray(summary.member_ids, dtype=np.int64)
    total = None if value is None else _total(value)
    if value is None:
        value = np.zeros(len(summary), dtype=np.int64)
    order = ranked(member_ids, scores.code, value)
    del value
    return _Computed(end=end, fit=fit, reason=reason, summary=summary, member_ids=member_ids,
                     rfm=scores, values=values, total_minor=total, order=order)


def _total(value: IntArray) -> int:
    """The sum of ``value`` (each below 2**53: 1,000 of them sum within int64)."""
    return sum(int(value[i:i + 1000].sum()) for i in range(0, len(value), 1000))


KEY_VALUE_MAX = 2**63 // 1000 - 1
"""A value times 1,000 plus an RFM code (below 1,000) stays within int64 below this."""


def ranked(member_ids: IntArray, code: npt.NDArray[np.int16], value: IntArray) -> Rows:
    """Rows by ``value`` (highest first), then RFM ``code`` (highest first), then member id.

    ``value`` is overwritten: with ids ascending and values from 0 to ``KEY_VALUE_MAX``, it
    becomes the key −(value · 1000 + code) in place, and a stable sort of that one array keeps
    equal keys in id order (a lexical sort of three keys needs a negated copy of each). The
    rows are numbered in four bytes below 2**31 members."""
    import numpy as np

    if not (_ascending(member_ids) and len(value)
            and 0 <= int(value.min()) and int(value.max()) <= KEY_VALUE_MAX):
        order: Rows = np.lexsort((member_ids, -code, -value))
    else:
        value *= 1000
        value += code
        np.negative(value, out=value)
        order = np.argsort(value, kind="stable")
    return order.astype(np.int32) if len(order) < 2**31 else order


def _ascending(ids: IntArray, rows: int = 65_536) -> bool:
    import numpy as np

    parts = (ids[start:start + rows + 1] for start in range(0, len(ids), rows))
    return all(bool(np.all(part[1:] > part[:-1])) for part in parts)


def report(rt: Runtime, tenant_id: int, q: ClvQuery) -> ClvReport:
    """The business's CLV and RFM at ``q.calibration_end``: the fit, totals, the members per
    RFM group, and a page of members by lifetime value (by RFM code without a fit). Raises
    :class:`InvalidInput` naming the parameter out of range."""
    found = _compute(rt, tenant_id, q)
    done = ClvReport(
        calibration_end=found.end, unit=q.unit, margin_bp=q.margin_bp,
        discount_monthly_bp=q.discount_monthly_bp, months=q.months, members=found.members,
        fit=found.fit, no_fit=found.reason,
        lifetime_value_total_minor=found.total_minor, groups=found.groups(),
        items=tuple(found.outlooks(q.offset, q.offset + q.limit)), limit=q.limit,
        offset=q.offset)
    del found  # every member's arrays, freed before their memory is given back
    heap.give_back()
    return done


def every_member(rt: Runtime, tenant_id: int, q: ClvQuery, *,
                 chunk: int = 10_000) -> Iterator[MemberOutlook]:
    """Every member's outlook, in :func:`report`'s order (its page bounds left aside), made
    ``chunk`` at a time as they are read, for a table to download. Computed before it
    returns: raises :class:`InvalidInput` as :func:`report` does."""
    return _outlooks(_compute(rt, tenant_id, q), chunk)


def _outlooks(found: _Computed, chunk: int) -> Iterator[MemberOutlook]:
    """``found``'s outlooks in order, ``chunk`` at a time; its memory is given back after the
    last (or when the reader stops early)."""
    try:
        for start in range(0, found.members, chunk):
            yield from found.outlooks(start, start + chunk)
    finally:
        del found
        heap.give_back()
