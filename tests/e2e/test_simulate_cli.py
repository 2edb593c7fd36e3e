"""``regulars simulate``: a saved scenario replayed from the command line, both programs
printed side by side; an unknown scenario exits 2 with one line, no traceback."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from regulars.cli.main import app
from regulars.domain.analytics.payback import Assumptions
from regulars.services.analytics import scenarios
from regulars.services.analytics.scenarios import ScenarioDraft
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos, line

runner = CliRunner()


def test_simulate_prints_the_draft_beside_the_current_program(rt: Runtime,
                                                              database_url: str) -> None:
    pos = Pos(rt, make_shop(rt))
    member = pos.register(1)["id"]
    pos.commit(member, (line("tea", 10_000),), receipt="r-1")
    scenario = scenarios.create(rt, pos.tenant_id, ScenarioDraft(
        name="Double", program=programs.parse_rules({"levels": [
            {"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 600}]}),
        first_day=date(2026, 3, 1), last_day=date(2026, 3, 31),
        assumptions=Assumptions(visit_frequency_change_bp=500)), actor=audit.SYSTEM)
    result = runner.invoke(app, ["simulate", "--tenant", str(pos.tenant_id), "--scenario",
                                 str(scenario.id), "--database-url", database_url])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "points issued │ 6 │ 3" in text
    assert "pays back in" in text


def test_an_unknown_scenario_exits_2_with_a_message(rt: Runtime, database_url: str) -> None:
    pos = Pos(rt, make_shop(rt))
    result = runner.invoke(app, ["simulate", "--tenant", str(pos.tenant_id), "--scenario",
                                 "999", "--database-url", database_url])
    assert result.exit_code == 2
    assert "scenario not found" in result.stderr
