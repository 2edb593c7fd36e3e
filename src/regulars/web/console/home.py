"""The console's home page, "Is it paying?": the figures of a period beside the period before
it, with a range picker, charts drawn on the server as SVG, and the table as a CSV file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from regulars.domain.analytics.ranges import Preset
from regulars.errors import InvalidInput, RegularsError
from regulars.services.analytics import figures
from regulars.services.analytics.figures import Overview
from regulars.services.analytics.tables import OVERVIEW_PATHS, value_of
from regulars.services.tenancy import checklist
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import N_
from regulars.web.console import router
from regulars.web.console.charts import HEIGHT, WIDTH, single, stacked
from regulars.web.console.pagekit import form_errors
from regulars.web.deps import RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_day
from regulars.web.templating import Reader, render

PRESETS = [(Preset.THIS_MONTH, N_("This month")), (Preset.LAST_30_DAYS, N_("Last 30 days")),
           (Preset.LAST_90_DAYS, N_("Last 90 days")), (Preset.LAST_365_DAYS, N_("Last 365 days")),
           (Preset.YEAR_TO_DATE, N_("Year to date")), (Preset.CUSTOM, N_("Custom"))]

STEP_LABELS = {"business": N_("Name the business, its language, time zone, logo and colours"),
               "store": N_("Add a store"), "till": N_("Add a till and pair it"),
               "cashier": N_("Add a cashier with a PIN"),
               "program": N_("Set the program: what members earn and spend")}


@dataclass(frozen=True)
class Figure:
    key: str
    """The column name in the CSV file (units in the name)."""
    label: str
    kind: str
    """``number``, ``money``, ``percent`` (basis points) or ``milli`` (thousandths)."""

    @property
    def path(self) -> str:
        return OVERVIEW_PATHS[self.key]


FIGURES = [
    Figure("receipts", N_("Receipts"), "number"),
    Figure("revenue_minor", N_("Revenue"), "money"),
    Figure("average_minor", N_("Average receipt"), "money"),
    Figure("member_average_minor", N_("Average receipt, members"), "money"),
    Figure("anonymous_average_minor", N_("Average receipt, anonymous"), "money"),
    Figure("member_uplift_minor", N_("Members' average receipt less anonymous"), "money"),
    Figure("identified_share_bp", N_("Receipts with a member"), "percent"),
    Figure("items_per_receipt_milli", N_("Items per receipt"), "milli"),
    Figure("discount_minor", N_("Discounts"), "money"),
    Figure("reward_cost_minor", N_("Reward cost (points, rewards, cashback)"), "money"),
    Figure("reward_cost_share_bp", N_("Reward cost, share of revenue"), "percent"),
    Figure("members_new", N_("New members"), "number"),
    Figure("members_active", N_("Active members"), "number"),
    Figure("visits_per_active_milli", N_("Visits per active member"), "milli"),
    Figure("repeat_rate_bp", N_("Repeat rate of first-time buyers"), "percent"),
    Figure("members_at_risk", N_("Members at risk"), "number"),
    Figure("members_churned", N_("Members churned"), "number"),
    Figure("points_issued", N_("Points issued"), "number"),
    Figure("points_redeemed", N_("Points redeemed"), "number"),
    Figure("points_expired", N_("Points expired"), "number"),
    Figure("redemption_rate_bp", N_("Redemption rate"), "percent"),
]


def shown(reader: Reader, kind: str, value: int | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    sign = "+" if signed and value > 0 else ""
    if kind == "money":
        return sign + reader.money(value)
    if kind == "percent":
        return sign + reader.percent_bp(value)
    if kind == "milli":
        return sign + reader.number(round(value / 1000, 2))
    return sign + reader.number(value)


def table(reader: Reader, board: Overview) -> list[dict[str, str]]:
    rows = []
    for figure in FIGURES:
        now, before = value_of(board.current, figure.path), value_of(board.previous, figure.path)
        change = None if now is None or before is None else now - before
        rows.append({"key": figure.key, "label": reader.gettext(figure.label),
                     "current": shown(reader, figure.kind, now),
                     "previous": shown(reader, figure.kind, before),
                     "change": shown(reader, figure.kind, change, signed=True),
                     "trend": "" if not change else ("up" if change > 0 else "down")})
    return rows


def _day(raw: str, field: str) -> date | None:
    if not raw.strip():
        return None
    return parse_day(raw, field=field)


def parse(range_: str, date_from: str, date_to: str) -> figures.Request:
    try:
        preset = Preset(range_ or Preset.LAST_30_DAYS)
    except ValueError as exc:
        raise InvalidInput("choose a range from the list", field="range") from exc
    return figures.Request(preset=preset, first_day=_day(date_from, "from"),
                           last_day=_day(date_to, "to"))


def charts(reader: Reader, board: Overview) -> dict[str, Any]:
    labels = [reader.date(b.first_day) for b in board.series]
    receipts = stacked(labels, [b.member_receipts for b in board.series],
                       [b.anonymous_receipts for b in board.series],
                       [reader.gettext("%(day)s: %(members)s with a member, %(anonymous)s "
                                       "anonymous", day=label, members=b.member_receipts,
                                       anonymous=b.anonymous_receipts)
                        for label, b in zip(labels, board.series, strict=True)])
    revenue = single(labels, [b.revenue_minor for b in board.series],
                     [reader.gettext("%(day)s: %(amount)s", day=label,
                                     amount=reader.money(b.revenue_minor))
                      for label, b in zip(labels, board.series, strict=True)])
    return {"receipts_chart": receipts, "revenue_chart": revenue, "chart_size": (WIDTH, HEIGHT)}


def figures_query(values: dict[str, str], *, refused: bool) -> str:
    """The query the tabs and downloads carry: the range the picker names, or, when it was
    refused, the default range the page shows instead (else a download would answer the
    refusal as a file)."""
    if refused:
        return urlencode({"range": figures.Request().preset.value})
    return urlencode({k: v for k, v in values.items() if v})


@router.get("", dependencies=[needs(Permission.VIEW)])
def home(request: Request, runtime: RuntimeDep, reader: StaffReader, range: str = "",
         date_from: str = "", date_to: str = "") -> Response:
    assert reader.session is not None
    values = {"range": range[:20] or Preset.LAST_30_DAYS.value, "date_from": date_from[:10],
              "date_to": date_to[:10]}
    errors: dict[str, str] = {}
    try:
        board = figures.overview(runtime, reader.session.tenant_id,
                                 parse(values["range"], values["date_from"], values["date_to"]))
    except RegularsError as exc:
        errors = {("date_from" if k == "from" else "date_to" if k == "to" else k): v
                  for k, v in form_errors(exc, reader).items()}
        board = figures.overview(runtime, reader.session.tenant_id, figures.Request())
    query = figures_query(values, refused=bool(errors))
    steps = (checklist.next_steps(runtime, reader.session.tenant_id)
             if reader.can(Permission.SETUP) else None)
    return render(request, "console/home.html", reader, status_code=422 if errors else 200,
                  steps=None if steps is None or steps.finished else steps,
                  step_labels={k: reader.gettext(v) for k, v in STEP_LABELS.items()},
                  board=board, rows=table(reader, board), values=values, errors=errors,
                  presets=[(p.value, reader.gettext(label)) for p, label in PRESETS],
                  query=query, **charts(reader, board))


def csv_response(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
