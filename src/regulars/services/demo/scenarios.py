"""The demo's two saved scenarios of the simulator, over its last 90 days: richer levels,
and shorter expiry with a weekend bakery promotion. Saved only: a run is the owner's click
(it takes seconds over the demo's history), so the demo still starts fast."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from regulars.domain.analytics.payback import Assumptions
from regulars.domain.promotions.effects import PercentDiscount
from regulars.services.analytics import scenarios
from regulars.services.analytics.scenarios import ScenarioDraft
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime


def save_scenarios(rt: Runtime, tenant_id: int, *, end: datetime, zone: ZoneInfo) -> None:
    program = programs.current(rt, tenant_id).rules
    last_day = end.astimezone(zone).date() - timedelta(days=1)
    first_day = last_day - timedelta(days=89)
    richer = replace(program, levels=tuple(replace(level, rate_bp=level.rate_bp + 200)
                                           for level in program.levels))
    scenarios.create(rt, tenant_id, ScenarioDraft(
        name="Richer levels (+2 points each)", program=richer, first_day=first_day,
        last_day=last_day, assumptions=Assumptions(
            average_check_change_bp=150, visit_frequency_change_bp=300,
            retention_change_bp=100, gross_margin_bp=6500, launch_cost_minor=50_000)),
        actor=audit.SYSTEM)
    scenarios.create(rt, tenant_id, ScenarioDraft(
        name="Expiry after 180 days, weekend bakery 10 % off",
        program=replace(program, expire_after_days=180),
        promotions=(Draft(name="Weekend bakery", condition="time.weekday >= 6",
                          effects=(PercentDiscount(rate_bp=1000,
                                                   categories=frozenset({"bakery"})),)),),
        first_day=first_day, last_day=last_day, assumptions=Assumptions(
            visit_frequency_change_bp=200, gross_margin_bp=6500, launch_cost_minor=20_000)),
        actor=audit.SYSTEM)
