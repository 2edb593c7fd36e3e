"""Console pages: coupon series and segments (promotions: :mod:`.promotion_pages`). Anyone
in the console sees them; changing them needs ``marketing_edit``. Forms build the same
drafts the admin API does."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import RegularsError
from regulars.services.promotions import coupons, marketing_view, segments
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.marketing_forms import (
    RFM_GROUP_ORDER,
    RULE_KINDS,
    RULE_PARTS,
    RULE_ROWS,
    rule_values,
    segment_draft,
)
from regulars.web.console.pagekit import form_errors, page_number, staff_actor, text
from regulars.web.console.promotion_form import KINDS, blank, series_draft_of
from regulars.web.console.promotion_form import values_of as offer_values
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import errors_of, parse_int
from regulars.web.templating import Reader, render

SEGMENT_PAGE = 50
COUPON_KINDS = tuple(kind for kind in KINDS if kind not in ("issue_coupon", "cashback"))


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


# Coupons --------------------------------------------------------------------------------------

@router.get("/coupons", dependencies=[needs(Permission.VIEW)])
def coupons_list(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return render(request, "console/coupons.html", reader,
                  series=coupons.list_series(runtime, _tenant(reader)))


def _series_form(request: Request, reader: Reader, *, values: dict[str, Any],
                 errors: dict[str, str], status_code: int = 200) -> Response:
    return render(request, "console/coupons_new.html", reader, status_code=status_code,
                  values=values, errors=errors, kinds=COUPON_KINDS)


@router.get("/coupons/new", dependencies=[needs(Permission.MARKETING_EDIT)])
def series_new(request: Request, reader: StaffReader) -> Response:
    values = blank()
    values.update(effect="fixed_discount", max_uses="1")
    return _series_form(request, reader, values=values, errors={})


@router.post("/coupons/new", dependencies=[needs(Permission.MARKETING_EDIT)])
def series_create(request: Request, reader: StaffReader, runtime: RuntimeDep,
                  form: Form) -> Response:
    values = offer_values(form)
    draft, problems = series_draft_of(values, digits=reader.minor_digits())
    errors = {name: errors_of(exc, reader)[exc.field or "_form"]
              for name, exc in problems.items()}
    if draft is not None:
        try:
            created = coupons.create_series(runtime, _tenant(reader), draft,
                                            actor=staff_actor(reader))
        except RegularsError as exc:
            errors = form_errors(exc, reader)
        else:
            return RedirectResponse(f"/console/coupons/{created.id}", status_code=303)
    return _series_form(request, reader, values=values, errors=errors, status_code=422)


def _series_page(request: Request, reader: Reader, runtime: RuntimeDep, series_id: int, *,
                 codes: list[str] | None = None, errors: dict[str, str] | None = None,
                 count: str = "", status_code: int = 200) -> Response:
    return render(request, "console/coupons_series.html", reader, status_code=status_code,
                  codes=codes or [], errors=errors or {}, count=count,
                  **marketing_view.series_page(runtime, _tenant(reader), series_id))


@router.get("/coupons/{series_id}", dependencies=[needs(Permission.VIEW)])
def series_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                series_id: int) -> Response:
    return _series_page(request, reader, runtime, series_id)


@router.post("/coupons/{series_id}/codes", dependencies=[needs(Permission.MARKETING_EDIT)])
def series_codes(request: Request, reader: StaffReader, runtime: RuntimeDep, series_id: int,
                 form: Form) -> Response:
    """Issue codes: shown on the page that answers (the only time they can be read), or,
    with ``format=csv``, downloaded as a file."""
    count = text(form, "count", 10)
    try:
        issued = coupons.generate_codes(runtime, _tenant(reader), series_id,
                                        count=parse_int(count, field="count", minimum=1,
                                                        maximum=100_000),
                                        actor=staff_actor(reader))
    except RegularsError as exc:
        return _series_page(request, reader, runtime, series_id,
                            errors=form_errors(exc, reader), count=count, status_code=422)
    if text(form, "format", 10) == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["series_id", "code"])
        writer.writerows([series_id, code] for code in issued.codes)
        return Response(out.getvalue(), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="coupons-{series_id}.csv"',
            "Cache-Control": "no-store"})
    return _series_page(request, reader, runtime, series_id, codes=list(issued.codes))


# Segments -------------------------------------------------------------------------------------

@router.get("/segments", dependencies=[needs(Permission.VIEW)])
def segments_list(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return render(request, "console/segments.html", reader,
                  segments=segments.list_all(runtime, _tenant(reader)))


def _segment_form(request: Request, reader: Reader, runtime: RuntimeDep, *, name: str,
                  values: dict[str, str], errors: dict[str, str],
                  status_code: int = 200) -> Response:
    return render(request, "console/segments_new.html", reader, status_code=status_code,
                  name=name, values=values, errors=errors, kinds=RULE_KINDS, rows=RULE_ROWS,
                  choices=marketing_view.promotion_choices(runtime, _tenant(reader)),
                  rfm_choices=[(g, reader.label("rfm_group", g)) for g in RFM_GROUP_ORDER],
                  consents=[(c, reader.label("consent", c))
                            for c in ("full", "earn_only", "none")])


@router.get("/segments/new", dependencies=[needs(Permission.MARKETING_EDIT)])
def segment_new(request: Request, reader: StaffReader, runtime: RuntimeDep,
                rfm: str = "") -> Response:
    """The segment form; ``rfm`` (a group's code, from the CLV page) starts it with the rule
    "is in that RFM group"."""
    values = {f"{part}-{row}": "" for row in RULE_ROWS for part in RULE_PARTS}
    if rfm in RFM_GROUP_ORDER:
        values.update({"kind-1": "rfm", "groups-1": rfm})
    else:
        values.update({"kind-1": "recency", "compare-1": "le", "days-1": "30"})
    return _segment_form(request, reader, runtime, name="", values=values, errors={})


@router.post("/segments/new", dependencies=[needs(Permission.MARKETING_EDIT)])
def segment_create(request: Request, reader: StaffReader, runtime: RuntimeDep,
                   form: Form) -> Response:
    name, values = text(form, "name", 200).strip(), rule_values(form)
    try:
        created = segments.create(runtime, _tenant(reader),
                                  segment_draft(name, values, reader.minor_digits()))
    except RegularsError as exc:
        return _segment_form(request, reader, runtime, name=name, values=values,
                             errors=form_errors(exc, reader), status_code=422)
    return RedirectResponse(f"/console/segments/{created.id}", status_code=303)


@router.get("/segments/{segment_id}", dependencies=[needs(Permission.VIEW)])
def segment_page(request: Request, reader: StaffReader, runtime: RuntimeDep, segment_id: int,
                 page: str = "1") -> Response:
    number = page_number(page)
    data = marketing_view.segment_page(runtime, _tenant(reader), segment_id,
                                       limit=SEGMENT_PAGE, offset=(number - 1) * SEGMENT_PAGE)
    return render(request, "console/segments_page.html", reader, page=number, **data)
