"""Uplift of a targeted promotion: its test group against its control group.

The members are those commits recorded in the promotion's groups (the first commit that found
each eligible, test or control alike). For the campaign window and a follow-up window after
it: spend per member (what members paid, net of refunds), visits per member and the share
who bought, each with the difference, relative uplift, 95 % interval and p-value, and spend
also with CUPED (the pre-period's spend as covariate). The pre-period says whether the groups
were alike before.

The campaign's return is the incremental spend of the test group over the campaign and the
follow-up together (CUPED difference per member × test members) less the value of the points
the promotion gave and the cashback it credited to wallets: its discounts already lower what
members paid, so they are not taken off twice. Money figures are rounded to whole minor
units, halves away from zero.

The statistics (numpy, scipy) are imported by the functions that compute, not with this
module: the app, the worker and the CLI start without them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from regulars.db.analytics import uplift as queries
from regulars.db.analytics.uplift import MemberWindow
from regulars.errors import InvalidInput
from regulars.services.analytics.figures import MAX_WINDOW_DAYS, local_start
from regulars.services.promotions import promotions
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

if TYPE_CHECKING:
    import numpy as np

    from regulars.analytics.uplift import Difference

FOLLOW_UP_DAYS = 28
PRE_DAYS = 28
MAX_EXTRA_DAYS = 365
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True, kw_only=True)
class Windows:
    """The local days (inclusive) each period covers; ``follow_up`` is ``None`` when it has
    not begun."""

    pre: tuple[date, date]
    campaign: tuple[date, date]
    follow_up: tuple[date, date] | None


@dataclass(frozen=True, kw_only=True)
class MoneyEstimate:
    """``test − control`` per member in minor units; bounds ``None`` when unbounded."""

    test_mean_minor: int
    control_mean_minor: int
    difference_minor: int
    low_minor: int | None
    high_minor: int | None
    p_value: float
    verdict: str


@dataclass(frozen=True, kw_only=True)
class RateEstimate:
    """``test − control`` of a count per member or a share (0..1)."""

    test_mean: float
    control_mean: float
    difference: float
    low: float | None
    high: float | None
    p_value: float
    verdict: str


@dataclass(frozen=True, kw_only=True)
class Relative:
    """Relative uplift as a fraction (0.1 is +10 %); ``None`` when the control spent
    nothing or the sample cannot bound it."""

    estimate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True, kw_only=True)
class WindowUplift:
    window: str  # 'campaign' or 'follow_up'
    first_day: date
    last_day: date
    spend: MoneyEstimate
    spend_cuped: MoneyEstimate
    cuped_theta: float
    spend_relative: Relative
    visits: RateEstimate
    bought: RateEstimate


@dataclass(frozen=True, kw_only=True)
class PreBalance:
    first_day: date
    last_day: date
    test_mean_minor: int
    control_mean_minor: int
    smd: float
    p_value: float
    balanced: bool


@dataclass(frozen=True, kw_only=True)
class CampaignReturn:
    incremental_revenue_minor: int
    incremental_low_minor: int | None
    incremental_high_minor: int | None
    discount_minor: int
    points: int
    points_value_minor: int
    cashback_minor: int
    return_minor: int
    return_low_minor: int | None
    return_high_minor: int | None
    verdict: str


@dataclass(frozen=True, kw_only=True)
class PromotionUplift:
    promotion_id: int
    name: str
    currency: str
    control_share_bp: int
    test_members: int
    control_members: int
    too_small: bool
    """Fewer members in a group than the statistics can speak for: read nothing into it."""
    pre: PreBalance
    windows: list[WindowUplift]
    campaign_return: CampaignReturn


def _bound(value: float) -> int | None:
    from regulars.analytics import uplift as stats

    return stats.round_minor(value) if math.isfinite(value) else None


def _float_bound(value: float) -> float | None:
    return value if math.isfinite(value) else None


def money(d: Difference) -> MoneyEstimate:
    from regulars.analytics import uplift as stats

    return MoneyEstimate(test_mean_minor=stats.round_minor(d.test_mean),
                         control_mean_minor=stats.round_minor(d.control_mean),
                         difference_minor=stats.round_minor(d.estimate),
                         low_minor=_bound(d.low), high_minor=_bound(d.high),
                         p_value=d.p_value, verdict=stats.verdict(d).value)


def rate(d: Difference) -> RateEstimate:
    from regulars.analytics import uplift as stats

    return RateEstimate(test_mean=d.test_mean, control_mean=d.control_mean,
                        difference=d.estimate, low=_float_bound(d.low),
                        high=_float_bound(d.high), p_value=d.p_value,
                        verdict=stats.verdict(d).value)


def _split(rows: list[MemberWindow]) -> dict[str, dict[int, MemberWindow]]:
    found: dict[str, dict[int, MemberWindow]] = {"test": {}, "control": {}}
    for row in rows:
        found[row.group][row.member_id] = row
    return found


@dataclass(frozen=True, kw_only=True)
class _Arms:
    """Per-member outcomes of each group in one window, in the same member order as the
    pre-period's."""

    paid: tuple[np.ndarray, np.ndarray]
    visits: tuple[np.ndarray, np.ndarray]


def _arms(rows: list[MemberWindow], order: tuple[list[int], list[int]]) -> _Arms:
    import numpy as np

    by_group = _split(rows)
    test = [by_group["test"][m] for m in order[0]]
    control = [by_group["control"][m] for m in order[1]]
    return _Arms(paid=(np.array([r.paid_minor for r in test], dtype=np.float64),
                       np.array([r.paid_minor for r in control], dtype=np.float64)),
                 visits=(np.array([r.visits for r in test], dtype=np.float64),
                         np.array([r.visits for r in control], dtype=np.float64)))


def _window(name: str, days: tuple[date, date], arms: _Arms, pre: _Arms) -> WindowUplift:
    from regulars.analytics import uplift as stats

    (pt, pc), (vt, vc) = arms.paid, arms.visits
    cuped = stats.cuped(pt, pc, test_pre=pre.paid[0], control_pre=pre.paid[1])
    relative = stats.relative_uplift(pt, pc)
    bought_t, bought_c = int((vt > 0).sum()), int((vc > 0).sum())
    bought = (stats.proportion_difference(test_yes=bought_t, test_n=vt.size,
                                          control_yes=bought_c, control_n=vc.size)
              if vt.size and vc.size else stats.mean_difference(vt > 0, vc > 0))
    return WindowUplift(window=name, first_day=days[0], last_day=days[1],
                        spend=money(stats.mean_difference(pt, pc)),
                        spend_cuped=money(cuped.difference), cuped_theta=cuped.theta,
                        spend_relative=Relative(estimate=relative.estimate, low=relative.low,
                                                high=relative.high),
                        visits=rate(stats.mean_difference(vt, vc)), bought=rate(bought))


def windows_for(*, first_day: date, last_day: date, today: date, follow_up_days: int,
                pre_days: int) -> Windows:
    """The periods around a campaign of ``first_day..last_day``; the follow-up is cut at
    ``today`` and left out if it has not begun. Raises :class:`InvalidInput` naming ``to``
    for a campaign that ends before it starts or is past the longest window."""
    for day, field in ((first_day, "from"), (last_day, "to")):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise InvalidInput("%(field)s: a day between 2000 and 2100", field=field,
                               params={"field": field})
    if last_day < first_day:
        raise InvalidInput("to: the campaign ends before it starts", field="to")
    if (last_day - first_day).days + 1 > MAX_WINDOW_DAYS:
        raise InvalidInput("to: the campaign is longer than the longest window", field="to")
    pre = (first_day - timedelta(days=pre_days), first_day - timedelta(days=1))
    follow_first = last_day + timedelta(days=1)
    follow_last = min(last_day + timedelta(days=follow_up_days), today)
    follow = (follow_first, follow_last) if follow_up_days and follow_last >= follow_first \
        else None
    return Windows(pre=pre, campaign=(first_day, last_day), follow_up=follow)


def promotion_uplift(rt: Runtime, tenant_id: int, promotion_id: int, *,
                     first_day: date | None = None, last_day: date | None = None,
                     follow_up_days: int = FOLLOW_UP_DAYS,
                     pre_days: int = PRE_DAYS) -> PromotionUplift:
    """The promotion's uplift over its campaign (by default its schedule's days, from its
    creation to today when open-ended). Raises :class:`NotFound` for an unknown promotion
    and :class:`InvalidInput` naming ``from``/``to`` for a bad campaign window."""
    view = promotions.get(rt, tenant_id, promotion_id)
    tenant = get_tenant(rt, tenant_id)
    zone = ZoneInfo(tenant.timezone)
    today = rt.now().astimezone(zone).date()
    schedule = view.schedule
    first = first_day or (date.fromisoformat(schedule["starts_on"]) if schedule.get("starts_on")
                          else view.created_at.astimezone(zone).date())
    last = last_day or min(today, date.fromisoformat(schedule["ends_on"])
                           if schedule.get("ends_on") else today)
    windows = windows_for(first_day=first, last_day=max(first, last) if last_day is None
                          else last, today=today, follow_up_days=follow_up_days,
                          pre_days=pre_days)
    return _measure(rt, tenant_id, view.id, zone, windows, name=view.name,
                    currency=tenant.currency, control_share_bp=view.control_share_bp)


def _measure(rt: Runtime, tenant_id: int, promotion_id: int, zone: ZoneInfo,
             windows: Windows, *, name: str, currency: str,
             control_share_bp: int) -> PromotionUplift:
    from regulars.analytics import uplift as stats

    def since(days: tuple[date, date]) -> datetime:
        return local_start(days[0], zone)

    def until(days: tuple[date, date]) -> datetime:
        return local_start(days[1] + timedelta(days=1), zone)

    whole = (windows.campaign[0], (windows.follow_up or windows.campaign)[1])
    periods = {"pre": windows.pre, "campaign": windows.campaign,
               "follow_up": windows.follow_up, "whole": whole}
    with rt.db.read() as conn:
        rows = {k: queries.group_members(conn, tenant_id, promotion_id, since=since(days),
                                         until=until(days))
                for k, days in periods.items() if days is not None}
        given = queries.promotion_given(conn, tenant_id, promotion_id, since=since(whole),
                                        until=until(whole))
    pre_rows = rows["pre"]
    by_group = _split(pre_rows)
    order = (sorted(by_group["test"]), sorted(by_group["control"]))
    pre = _arms(pre_rows, order)
    found = [_window(k, days, _arms(rows[k], order), pre)
             for k, days in (("campaign", windows.campaign), ("follow_up", windows.follow_up))
             if days is not None]
    overall = _arms(rows["whole"], order)
    gain = stats.cuped(overall.paid[0], overall.paid[1], test_pre=pre.paid[0],
                       control_pre=pre.paid[1]).difference
    balance = stats.balance(pre.paid[0], pre.paid[1])
    pre_diff = stats.mean_difference(pre.paid[0], pre.paid[1])
    return PromotionUplift(
        promotion_id=promotion_id, name=name, currency=currency,
        control_share_bp=control_share_bp, test_members=len(order[0]),
        control_members=len(order[1]),
        too_small=stats.verdict(gain) is stats.Verdict.TOO_SMALL,
        pre=PreBalance(first_day=windows.pre[0], last_day=windows.pre[1],
                       test_mean_minor=stats.round_minor(pre_diff.test_mean),
                       control_mean_minor=stats.round_minor(pre_diff.control_mean),
                       smd=balance.smd, p_value=balance.p_value, balanced=balance.balanced),
        windows=found, campaign_return=_return(gain, len(order[0]), given))


def _return(gain: Difference, test_members: int, given: queries.Given) -> CampaignReturn:
    from regulars.analytics import uplift as stats
    from regulars.analytics.uplift import Verdict

    def scaled(value: float) -> int | None:
        return _bound(value * test_members)

    incremental = stats.round_minor(gain.estimate * test_members)
    low, high = scaled(gain.low), scaled(gain.high)
    cost = given.points_value_minor + given.cashback_minor
    if stats.verdict(gain) is Verdict.TOO_SMALL:
        verdict = Verdict.TOO_SMALL
    elif low is not None and low - cost > 0:
        verdict = Verdict.UP
    elif high is not None and high - cost < 0:
        verdict = Verdict.DOWN
    else:
        verdict = Verdict.UNCLEAR
    return CampaignReturn(
        incremental_revenue_minor=incremental, incremental_low_minor=low,
        incremental_high_minor=high, discount_minor=given.discount_minor, points=given.points,
        points_value_minor=given.points_value_minor, cashback_minor=given.cashback_minor,
        return_minor=incremental - cost,
        return_low_minor=None if low is None else low - cost,
        return_high_minor=None if high is None else high - cost,
        verdict=verdict.value)

