"""Console pages of uplift: each targeted promotion's test group against its control group,
experiments (start one, read its results, stop it), the sample-size calculator and the
holdout. Anyone in the console reads them; starting, stopping and the holdout need
``marketing_edit``. Intervals are drawn on the server (:func:`charts.intervals`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.domain.promotions.experiments import MAX_HOLDOUT_BP
from regulars.errors import InvalidInput, RegularsError
from regulars.services.analytics import experiments as results
from regulars.services.analytics import uplift
from regulars.services.promotions import experiments, promotions
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.charts import WIDTH, intervals
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.console.program import parse_percent, percent_text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_int, parse_money
from regulars.web.templating import Reader, render

VIEW = [needs(Permission.VIEW)]
EDIT = [needs(Permission.MARKETING_EDIT)]
VARIANT_ROWS = 4
_FIELDS = ["name"] + [f"{k}_{i}" for i in range(VARIANT_ROWS) for k in ("variant", "promotion")]


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _overview(request: Request, reader: Reader, runtime: RuntimeDep, *,
              sizing: dict[str, object] | None = None, holdout_errors: dict[str, str] | None = None,
              holdout_value: str | None = None, status_code: int = 200) -> Response:
    tenant_id = _tenant(reader)
    campaigns = [p for p in promotions.list_all(runtime, tenant_id)
                 if p.segment_id is not None and p.control_share_bp > 0]
    share = experiments.holdout(runtime, tenant_id).share_bp
    return render(request, "console/uplift.html", reader, status_code=status_code,
                  campaigns=campaigns, experiments=experiments.list_all(runtime, tenant_id),
                  holdout_bp=share, holdout_errors=holdout_errors or {},
                  holdout_value=percent_text(share) if holdout_value is None else holdout_value,
                  sizing=sizing or {"fields": {"effect": "", "sd": "", "power_bp": "8000",
                                               "variants": "2"}, "errors": {}, "found": None})


@router.get("/uplift", dependencies=VIEW)
def uplift_page(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return _overview(request, reader, runtime)


@router.get("/uplift/sample-size", dependencies=VIEW)
def sample_size_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                     effect: str = "", sd: str = "", power_bp: str = "8000",
                     variants: str = "2") -> Response:
    """The calculator's answer under its form (the spread from the last 28 days' sales when
    the field is left empty)."""
    values = {"effect": effect[:20], "sd": sd[:20], "power_bp": power_bp[:5],
              "variants": variants[:2]}
    digits = reader.minor_digits()
    try:
        found = results.sample_size(
            runtime, _tenant(reader),
            effect_minor=_positive(parse_money(values["effect"], digits=digits, field="effect"),
                                   "effect"),
            sd_minor=(_positive(parse_money(values["sd"], digits=digits, field="sd"), "sd")
                      if values["sd"] else None),
            power_bp=parse_int(values["power_bp"], field="power_bp", minimum=5000,
                               maximum=9900),
            variants=parse_int(values["variants"], field="variants", minimum=2, maximum=10))
    except RegularsError as exc:
        errors = {("sd" if k == "sd_minor" else k): v
                  for k, v in form_errors(exc, reader).items()}
        return _overview(request, reader, runtime, status_code=422,
                         sizing={"fields": values, "errors": errors, "found": None})
    return _overview(request, reader, runtime,
                     sizing={"fields": values, "errors": {}, "found": found})


def _positive(value: int, field: str) -> int:
    if value <= 0:
        raise InvalidInput("%(field)s: must be more than zero", field=field,
                           params={"field": field})
    return value


def _holdout_bp(value: str) -> int:
    """Basis points from the percentage typed for the holdout (``"2.5"`` → 250), at most
    half of the members."""
    share_bp = parse_percent(value, field="share")
    if share_bp > MAX_HOLDOUT_BP:
        raise InvalidInput("enter a percent from 0 to 50", field="share")
    return share_bp


@router.post("/uplift/holdout", dependencies=EDIT)
def holdout_save(request: Request, reader: StaffReader, runtime: RuntimeDep,
                 form: Form) -> Response:
    value = text(form, "share", 10)
    try:
        experiments.set_holdout(runtime, _tenant(reader), _holdout_bp(value),
                                actor=staff_actor(reader))
    except RegularsError as exc:
        return _overview(request, reader, runtime, holdout_errors=form_errors(exc, reader),
                         holdout_value=value, status_code=422)
    return RedirectResponse("/console/uplift", status_code=303)


def _relative(reader: Reader, found: uplift.Relative | None) -> dict[str, str] | None:
    """The relative uplift (test over control, less one) as percentages, when there is one."""
    if found is None or found.estimate is None:
        return None

    def shown(value: float | None) -> str:
        return reader.percent_bp(None if value is None else round(value * 10_000))

    return {"estimate": shown(found.estimate), "low": shown(found.low),
            "high": shown(found.high)}


def _estimate_rows(reader: Reader, found: uplift.PromotionUplift) -> list[dict[str, object]]:
    """The table's rows: per window, spend (plain, with its relative uplift, and CUPED),
    visits and the share who bought."""
    rows: list[dict[str, object]] = []
    for w in found.windows:
        window = reader.label("uplift_window", w.window)
        for name, e, relative in (
                (reader.gettext("Spend per member"), w.spend, w.spend_relative),
                (reader.gettext("Spend per member, adjusted for the pre-period"),
                 w.spend_cuped, None)):
            rows.append({"window": window, "metric": name, "relative": _relative(
                reader, relative),
                         "test": reader.money(e.test_mean_minor),
                         "control": reader.money(e.control_mean_minor),
                         "difference": reader.money(e.difference_minor),
                         "low": reader.money(e.low_minor), "high": reader.money(e.high_minor),
                         "p": reader.number(round(e.p_value, 3)), "verdict": e.verdict,
                         "chart": (e.difference_minor, e.low_minor, e.high_minor)})
        for name, r in ((reader.gettext("Visits per member"), w.visits),
                        (reader.gettext("Share who bought"), w.bought)):
            rows.append({"window": window, "metric": name, "relative": None,
                         "test": reader.number(round(r.test_mean, 2)),
                         "control": reader.number(round(r.control_mean, 2)),
                         "difference": reader.number(round(r.difference, 2)),
                         "low": reader.number(None if r.low is None else round(r.low, 2)),
                         "high": reader.number(None if r.high is None else round(r.high, 2)),
                         "p": reader.number(round(r.p_value, 3)), "verdict": r.verdict,
                         "chart": None})
    return rows


@router.get("/uplift/promotions/{promotion_id}", dependencies=VIEW)
def campaign_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                  promotion_id: int) -> Response:
    found = uplift.promotion_uplift(runtime, _tenant(reader), promotion_id)
    rows = _estimate_rows(reader, found)
    drawn = [r for r in rows if r["chart"] is not None]
    chart = intervals(
        [f"{r['window']}: {r['metric']}" for r in drawn],
        [float(r["chart"][0]) for r in drawn],  # type: ignore[index]
        [r["chart"][1] for r in drawn], [r["chart"][2] for r in drawn],  # type: ignore[index]
        [f"{r['difference']} ({r['low']} … {r['high']})" for r in drawn])
    return render(request, "console/uplift_campaign.html", reader, found=found, rows=rows,
                  chart=chart, chart_width=WIDTH)


def _experiment_form(request: Request, reader: Reader, runtime: RuntimeDep, *,
                     values: dict[str, str], errors: dict[str, str],
                     status_code: int = 200) -> Response:
    active = promotions.list_all(runtime, _tenant(reader), status="active")
    return render(request, "console/uplift_experiment_new.html", reader,
                  status_code=status_code, values=values, errors=errors,
                  rows=range(VARIANT_ROWS),
                  options=[("", "—")] + [(str(p.id), p.name) for p in active])


@router.get("/uplift/experiments/new", dependencies=EDIT)
def experiment_new(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return _experiment_form(request, reader, runtime, values=dict.fromkeys(_FIELDS, ""),
                            errors={})


def _experiment_draft(values: dict[str, str]) -> experiments.ExperimentDraft:
    variants = []
    for i in range(VARIANT_ROWS):
        chosen = values.get(f"promotion_{i}", "")
        if values.get(f"variant_{i}", "") and not chosen:
            # Every variant is a promotion: no promotion at all is a promotion's control share.
            raise InvalidInput("choose a promotion: an experiment compares promotions (for a "
                               "comparison with no promotion, give the promotion a control "
                               "share)", field=f"promotion_{i}")
        if chosen:
            pid = parse_int(chosen, field="variants", minimum=1, maximum=2**63 - 1)
            variants.append(experiments.VariantDraft(
                name=values.get(f"variant_{i}", "") or chr(ord("A") + i), promotion_id=pid))
    if not values.get("name"):
        raise InvalidInput("name: required", field="name")
    return experiments.ExperimentDraft(name=values["name"], variants=tuple(variants))


@router.post("/uplift/experiments/new", dependencies=EDIT)
def experiment_create(request: Request, reader: StaffReader, runtime: RuntimeDep,
                      form: Form) -> Response:
    values = {k: text(form, k, 200 if k == "name" else 100) for k in _FIELDS}
    try:
        made = experiments.create(runtime, _tenant(reader), _experiment_draft(values),
                                  actor=staff_actor(reader))
    except RegularsError as exc:
        return _experiment_form(request, reader, runtime, values=values,
                                errors=form_errors(exc, reader), status_code=422)
    return RedirectResponse(f"/console/uplift/experiments/{made.id}", status_code=303)


@router.get("/uplift/experiments/{experiment_id}", dependencies=VIEW)
def experiment_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                    experiment_id: int) -> Response:
    found = results.experiment_results(runtime, _tenant(reader), experiment_id)
    others = [v for v in found.variants if v.always_valid is not None]
    chart = intervals(
        [v.name for v in others],
        [float(v.always_valid.difference_minor) for v in others if v.always_valid],
        [v.always_valid.low_minor for v in others if v.always_valid],
        [v.always_valid.high_minor for v in others if v.always_valid],
        [v.name for v in others])
    beating = [found.variants[i].name for i in found.beats_baseline]
    return render(request, "console/uplift_experiment.html", reader, found=found,
                  chart=chart, chart_width=WIDTH, until=_shown(found.until, found),
                  beating=beating)


def _shown(until: datetime, found: results.ExperimentResults) -> datetime | None:
    return until if found.experiment.stopped_at is not None else None


@router.post("/uplift/experiments/{experiment_id}/stop", dependencies=EDIT)
def experiment_stop(reader: StaffReader, runtime: RuntimeDep, experiment_id: int) -> Response:
    try:
        experiments.stop(runtime, _tenant(reader), experiment_id, actor=staff_actor(reader))
    except RegularsError as exc:
        if exc.code == "not_found":
            raise
    return RedirectResponse(f"/console/uplift/experiments/{experiment_id}", status_code=303)
