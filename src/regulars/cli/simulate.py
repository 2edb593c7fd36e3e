"""``regulars simulate``: replay a saved scenario's receipts with a progress bar and print
the draft next to the current program, with the payback."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from regulars.errors import RegularsError
from regulars.services.analytics import simulator
from regulars.services.analytics.simulator import Figures, Result
from regulars.services.runtime import open_existing_runtime

ROWS = (("receipts", "receipts"), ("paid_minor", "paid (minor units)"),
        ("discount_minor", "discounts given"), ("points_issued", "points issued"),
        ("cashback_minor", "cashback (into wallets)"),
        ("points_redeemed", "points redeemed (model)"), ("points_expired", "points expired"),
        ("breakage_points", "breakage (points never redeemed)"),
        ("liability_minor", "liability at the end"), ("reward_cost_minor", "reward cost"),
        ("reward_cost_share_bp", "reward cost / paid (bp)"))


def simulate(
    tenant: Annotated[int, typer.Option("--tenant", min=1, help="the business's id")],
    scenario: Annotated[int, typer.Option("--scenario", min=1, help="the scenario's id")],
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="REGULARS_DATABASE_URL")] = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=16,
        help="processes replaying a share of the members each")] = 2,
) -> None:
    """Replay the scenario's period under its draft and under the current program (nothing
    is written but the run's row) and print both, side by side, with the payback."""
    from regulars.cli.main import _message, _settings, console, fail, progress_bar

    try:
        with open_existing_runtime(_settings(database_url)) as rt, progress_bar() as bar:
            task = bar.add_task("replaying receipts", total=None)

            def tell(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            state, result = simulator.run(rt, tenant, scenario, progress=tell,
                                          workers=workers)
    except RegularsError as exc:
        raise fail(_message(exc)) from exc
    console.print(_table(result))
    pay = result.payback
    console.print(f"run {state.id}: {result.first_day} to {result.last_day}, "
                  f"{state.receipts_total} receipts; redemption model: "
                  f"{result.model.redeemed_share_bp / 100:.2f} % redeemed after "
                  f"{result.model.delay_days} days ("
                  f"{_model_basis(result)})")
    back = "never" if pay.payback_days is None else f"{pay.payback_days} days"
    console.print(f"payback: net {pay.net_per_30_days_minor} per 30 days "
                  f"(margin {pay.incremental_margin_minor}, cost "
                  f"{pay.incremental_cost_minor} over the period), pays back in {back}")


def _table(result: Result) -> Table:
    table = Table(title=f"Scenario figures ({result.currency}, minor units)")
    table.add_column("figure")
    table.add_column("draft", justify="right")
    table.add_column("current", justify="right")
    for name, label in ROWS:
        table.add_row(label, _cell(result.draft, name), _cell(result.current, name))
    return table


def _cell(figures: Figures, name: str) -> str:
    return str(getattr(figures, name))


def _model_basis(result: Result) -> str:
    model = result.model
    if model.fitted:
        return (f"fitted on {model.issued_points} points issued over "
                f"{model.history_days} days")
    return f"the default assumption: {model.default_reason or 'no history'}"
