"""Payback of a draft program: what the change in members' behaviour the owner expects
brings in margin, against what the draft costs more than the current program, and how long
the launch cost takes to earn back. Pure integer arithmetic, basis points for shares.

The expected changes multiply: revenue under the draft is the replayed revenue times
``(1 + average check) × (1 + visit frequency) × (1 + retention)``; the draft's reward cost
grows with that revenue (it is a share of what is paid), the current program's does not
(it is what the business pays today).
"""

from __future__ import annotations

from dataclasses import dataclass

from regulars.domain.money import BASIS_POINTS, Rounding, divide

GRID_STEPS_BP = (-200, -100, 0, 100, 200)
"""The sensitivity table's offsets from the entered average check and visit frequency."""
MAX_CHANGE_BP = 5_000
"""An expected change is at most ±50 %."""


@dataclass(frozen=True, kw_only=True)
class Assumptions:
    """What the owner expects of the draft (shares in basis points of today's figures) and
    what it costs to launch."""

    average_check_change_bp: int = 0
    visit_frequency_change_bp: int = 0
    retention_change_bp: int = 0
    gross_margin_bp: int = 3_000
    launch_cost_minor: int = 0

    def __post_init__(self) -> None:
        for name in ("average_check_change_bp", "visit_frequency_change_bp",
                     "retention_change_bp"):
            if not -MAX_CHANGE_BP <= getattr(self, name) <= MAX_CHANGE_BP:
                raise ValueError(f"{name} must lie between -5000 and 5000 (±50 %)")
        if not 0 <= self.gross_margin_bp <= BASIS_POINTS:
            raise ValueError("gross_margin_bp must lie between 0 and 10000")
        if not 0 <= self.launch_cost_minor <= 10**15:
            raise ValueError("launch_cost_minor must lie between 0 and 10^15")


@dataclass(frozen=True, kw_only=True)
class Payback:
    """Over the replayed period (``days``), and per 30 days."""

    days: int
    lift_bp: int
    incremental_revenue_minor: int
    incremental_margin_minor: int
    incremental_cost_minor: int
    net_minor: int
    net_per_30_days_minor: int
    payback_days: int | None
    """Days to earn back the launch cost; ``None`` when the draft never does."""


@dataclass(frozen=True, kw_only=True)
class Sensitivity:
    """Net per 30 days for each pair of average check change (rows) and visit frequency
    change (columns), the other assumptions as entered."""

    average_check_changes_bp: tuple[int, ...]
    visit_frequency_changes_bp: tuple[int, ...]
    net_per_30_days_minor: tuple[tuple[int, ...], ...]


def lift_bp(a: Assumptions) -> int:
    """The combined change of revenue, ``(1+a)(1+f)(1+r) - 1``, in basis points."""
    b = BASIS_POINTS
    product = ((b + a.average_check_change_bp) * (b + a.visit_frequency_change_bp)
               * (b + a.retention_change_bp))
    return divide(product, b * b, Rounding.HALF_UP) - b


def payback(a: Assumptions, *, days: int, revenue_minor: int, current_cost_minor: int,
            draft_cost_minor: int) -> Payback:
    """See the module's docstring; ``revenue_minor`` is what members paid in the replay
    under the current program."""
    days = max(days, 1)
    lift = lift_bp(a)
    revenue = divide(revenue_minor * lift, BASIS_POINTS, Rounding.HALF_UP)
    margin = divide(revenue * a.gross_margin_bp, BASIS_POINTS, Rounding.HALF_UP)
    draft_cost = divide(draft_cost_minor * (BASIS_POINTS + lift), BASIS_POINTS,
                        Rounding.HALF_UP)
    cost = draft_cost - current_cost_minor
    net = margin - cost
    per_30 = divide(net * 30, days, Rounding.HALF_UP)
    if net <= 0:
        back: int | None = None
    else:
        back = divide(a.launch_cost_minor * days, net, Rounding.CEILING)
    return Payback(days=days, lift_bp=lift, incremental_revenue_minor=revenue,
                   incremental_margin_minor=margin, incremental_cost_minor=cost, net_minor=net,
                   net_per_30_days_minor=per_30, payback_days=back)


def sensitivity(a: Assumptions, *, days: int, revenue_minor: int, current_cost_minor: int,
                draft_cost_minor: int) -> Sensitivity:
    """:func:`payback`'s net per 30 days over :data:`GRID_STEPS_BP` around the entered
    average check and visit frequency changes (kept within ±50 %)."""
    def clamp(value: int) -> int:
        return max(-MAX_CHANGE_BP, min(MAX_CHANGE_BP, value))

    checks = tuple(clamp(a.average_check_change_bp + s) for s in GRID_STEPS_BP)
    visits = tuple(clamp(a.visit_frequency_change_bp + s) for s in GRID_STEPS_BP)
    rows = tuple(
        tuple(payback(Assumptions(average_check_change_bp=c, visit_frequency_change_bp=v,
                                  retention_change_bp=a.retention_change_bp,
                                  gross_margin_bp=a.gross_margin_bp,
                                  launch_cost_minor=a.launch_cost_minor),
                      days=days, revenue_minor=revenue_minor,
                      current_cost_minor=current_cost_minor,
                      draft_cost_minor=draft_cost_minor).net_per_30_days_minor
              for v in visits)
        for c in checks)
    return Sensitivity(average_check_changes_bp=checks, visit_frequency_changes_bp=visits,
                       net_per_30_days_minor=rows)
