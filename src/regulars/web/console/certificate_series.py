"""Console pages: gift certificate series. Anyone in the console sees the series; owners
(``refund``, as for blocking a certificate) add and change one (fixed nominal values or an
open amount, validity, stores, single or multi use) and issue certificates from it in bulk
(cards for the tills to sell, activated by the sale, or a corporate order, active at once).
The terms are checked by the same domain rules as the admin API's;
every problem is shown beside its field and nothing is saved. Issued codes are stored as
keyed digests: the page that answers the issue shows them, with a CSV of them, this once;
the issue form carries a token, so that sending it again issues nothing more."""

from __future__ import annotations

import csv
import io
import secrets
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.domain.stored_value.certificates import MAX_VALID_DAYS, SeriesTerms
from regulars.errors import IdempotencyMismatch, InvalidInput, RegularsError
from regulars.services.stored_value import certificates
from regulars.services.stored_value.certificates import MAX_ISSUE_PER_CALL, IssueOrder
from regulars.services.stored_value.results import IssuedCertificates, SeriesView
from regulars.services.tenancy.tenants import list_stores
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs, public_base
from regulars.web.forms import amount_text, parse_int, parse_money
from regulars.web.templating import Reader, render

VIEW = [needs(Permission.VIEW)]
EDIT = [needs(Permission.REFUND)]
BASE = "/console/certificate-series"
# The service's field names, as the form spells them.
FORM_FIELD = {"nominal_values_minor": "nominal_values", "min_minor": "min_amount",
              "max_minor": "max_amount", "amount_minor": "amount"}


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _form_field(field: str) -> str:
    return FORM_FIELD.get(field, field.split(".")[0])


def _errors_of(exc: RegularsError, reader: Reader) -> dict[str, str]:
    return {_form_field(k): v for k, v in form_errors(exc, reader).items()}


def _money(raw: str, field: str, digits: int, errors: dict[str, str],
           reader: Reader) -> int | None:
    if not raw:
        return None
    try:
        return parse_money(raw, digits=digits, field=field)
    except InvalidInput as exc:
        errors[field] = reader.gettext(exc.template, **exc.params)
        return None


def _whole(values: dict[str, str], field: str, maximum: int, errors: dict[str, str],
           reader: Reader) -> int:
    """A whole number from 1 to ``maximum`` (0 with the problem noted beside the field)."""
    try:
        return parse_int(values[field], field=field, minimum=1, maximum=maximum)
    except InvalidInput as exc:
        errors[field] = reader.gettext(exc.template, **exc.params)
        return 0


def _nominals(raw: str, digits: int, errors: dict[str, str], reader: Reader) -> tuple[int, ...]:
    values = []
    for part in raw.split(";"):  # a comma may be a decimal one: "1000,50; 3000"
        value = _money(part.strip(), "nominal_values", digits, errors, reader)
        if value is not None:
            values.append(value)
    return tuple(values)


def _chosen_stores(form: FormData) -> tuple[int, ...]:
    """The store ids ticked (what is not an id is left out)."""
    raw = [str(v) for v in form.getlist("store_ids")]
    return tuple(int(v) for v in raw if v.isdigit() and len(v) < 12)


def _store_ids(form: FormData, errors: dict[str, str], reader: Reader) -> tuple[int, ...]:
    chosen = _chosen_stores(form)
    if len(chosen) != len(form.getlist("store_ids")):
        errors["store_ids"] = reader.gettext("no such store")
    return chosen


def _values(form: FormData) -> dict[str, str]:
    values = {name: text(form, name, 2000).strip() for name in (
        "name", "nominal_values", "min_amount", "max_amount", "valid_days")}
    values["multi_use"] = "1" if form.get("multi_use") else ""
    values["active"] = "1" if form.get("active") else ""
    return values


def _terms(form: FormData, reader: Reader) -> tuple[dict[str, str], SeriesTerms | None,
                                                    dict[str, str]]:
    """The form as typed, the series terms it describes and the problems found, by field."""
    values, digits = _values(form), reader.minor_digits()
    errors: dict[str, str] = {}
    nominals = _nominals(values["nominal_values"], digits, errors, reader)
    low = _money(values["min_amount"], "min_amount", digits, errors, reader)
    high = _money(values["max_amount"], "max_amount", digits, errors, reader)
    store_ids = _store_ids(form, errors, reader)
    days = _whole(values, "valid_days", MAX_VALID_DAYS, errors, reader)
    if errors:
        return values, None, errors
    try:
        terms = SeriesTerms(name=values["name"][:200], nominal_values_minor=nominals,
                            min_minor=low, max_minor=high, valid_days=days,
                            store_ids=store_ids, multi_use=bool(values["multi_use"]))
    except InvalidInput as exc:
        return values, None, _errors_of(exc, reader)
    return values, terms, {}


def _shown(series: SeriesView, digits: int) -> dict[str, str]:
    return {"name": series.name, "valid_days": str(series.valid_days),
            "nominal_values": "; ".join(amount_text(v, digits)
                                        for v in series.nominal_values_minor),
            "min_amount": amount_text(series.min_minor, digits) if series.min_minor else "",
            "max_amount": amount_text(series.max_minor, digits) if series.max_minor else "",
            "multi_use": "1" if series.multi_use else "", "active": "1" if series.active else ""}


def _page(request: Request, runtime: RuntimeDep, reader: Reader, *,
          editing: SeriesView | None = None, values: dict[str, str] | None = None,
          store_ids: tuple[int, ...] = (), errors: dict[str, str] | None = None,
          issue: dict[str, str] | None = None, issue_errors: dict[str, str] | None = None,
          done: str = "", status_code: int = 200) -> Response:
    tenant_id = _tenant(reader)
    if values is None:
        values = (_shown(editing, reader.minor_digits()) if editing
                  else {"valid_days": "365", "multi_use": "1", "active": "1"})
        store_ids = tuple(editing.store_ids) if editing else ()
    return render(request, "console/certificate_series.html", reader,
                  status_code=status_code, editing=editing, values=values,
                  series=certificates.list_series(runtime, tenant_id),
                  stores=list_stores(runtime, tenant_id), store_ids=store_ids,
                  errors=errors or {}, issue_errors=issue_errors or {},
                  issue={**(issue or {}), "key": (issue or {}).get("key")
                         or secrets.token_urlsafe(18)},
                  done=done, max_count=MAX_ISSUE_PER_CALL,
                  amount_choices=_amount_choices(editing, reader))


def _amount_choices(series: SeriesView | None, reader: Reader) -> list[tuple[str, str]]:
    """The issue form's values to choose from: a series of fixed values offers those (as the
    form reads them, with the currency shown); an open amount is typed."""
    if series is None:
        return []
    digits = reader.minor_digits()
    return [(amount_text(v, digits), reader.money(v)) for v in series.nominal_values_minor]


@router.get("/certificate-series", dependencies=VIEW)
def series_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                done: str = "") -> Response:
    return _page(request, runtime, reader, done=done[:20])


@router.get("/certificate-series/{series_id}", dependencies=VIEW)
def one_series_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                    series_id: int, done: str = "") -> Response:
    editing = certificates.get_series(runtime, _tenant(reader), series_id)
    return _page(request, runtime, reader, editing=editing, done=done[:20])


@router.post("/certificate-series", dependencies=EDIT)
def add_series(request: Request, runtime: RuntimeDep, reader: StaffReader,
               form: Form) -> Response:
    values, terms, errors = _terms(form, reader)
    if terms is not None:
        try:
            made = certificates.create_series(runtime, _tenant(reader), terms,
                                              actor=staff_actor(reader))
        except RegularsError as exc:
            errors = _errors_of(exc, reader)
        else:
            return RedirectResponse(f"{BASE}/{made.id}?done=added", status_code=303)
    return _page(request, runtime, reader, values=values, store_ids=_chosen_stores(form),
                 errors=errors, status_code=422)


@router.post("/certificate-series/{series_id}", dependencies=EDIT)
def change_series(request: Request, runtime: RuntimeDep, reader: StaffReader,
                  series_id: int, form: Form) -> Response:
    editing = certificates.get_series(runtime, _tenant(reader), series_id)
    values, terms, errors = _terms(form, reader)
    if terms is not None:
        try:
            certificates.update_series(runtime, _tenant(reader), series_id, terms,
                                       active=bool(values["active"]), actor=staff_actor(reader))
        except RegularsError as exc:
            errors = _errors_of(exc, reader)
        else:
            return RedirectResponse(f"{BASE}/{series_id}?done=saved", status_code=303)
    return _page(request, runtime, reader, editing=editing, values=values,
                 store_ids=_chosen_stores(form), errors=errors, status_code=422)


def _order(form: FormData, series_id: int, reader: Reader
           ) -> tuple[dict[str, str], IssueOrder | None, dict[str, str]]:
    """The issue form as typed, the order it describes and the problems found, by field."""
    values = {name: text(form, name, 200).strip()
              for name in ("count", "amount", "order_ref", "key")}
    values["for_sale"] = "1" if form.get("for_sale") == "1" else ""
    errors: dict[str, str] = {}
    count = _whole(values, "count", MAX_ISSUE_PER_CALL, errors, reader)
    amount = _money(values["amount"], "amount", reader.minor_digits(), errors, reader)
    if amount is None and "amount" not in errors:
        errors["amount"] = reader.gettext("enter an amount like 12.50")
    if len(values["order_ref"]) > 64:
        errors["order_ref"] = reader.gettext("at most %(count)s characters", count=64)
    if errors or amount is None:
        return values, None, errors
    return values, IssueOrder(series_id=series_id, count=count, amount_minor=amount,
                              order_ref=values["order_ref"] or None,
                              for_sale=bool(values["for_sale"])), {}


def codes_csv(done: IssuedCertificates, base: str) -> str:
    """The codes just issued as CSV text: id, code, value, valid until (none for cards for
    sale: they are valid from their sale), balance page."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["certificate_id", "code", "amount_minor", "expires_at", "link"])
    for certificate_id, code, link in zip(done.certificate_ids, done.codes, done.links,
                                          strict=True):
        writer.writerow([certificate_id, code, done.amount_minor,
                         "" if done.expires_at is None else done.expires_at.isoformat(),
                         base + link])
    return out.getvalue()


@router.post("/certificate-series/{series_id}/issue", dependencies=EDIT)
def issue(request: Request, runtime: RuntimeDep, reader: StaffReader, series_id: int,
          form: Form) -> Response:
    """Issue the certificates and show their codes, this once (the page is not stored by
    the browser or a proxy). The form's token issues the order once: the form sent again
    (a double click, a retry, the back button) shows that it was issued, without the
    codes; sent again with other values, it asks for a fresh form."""
    editing = certificates.get_series(runtime, _tenant(reader), series_id)
    values, order, errors = _order(form, series_id, reader)
    if order is not None:
        try:
            done = certificates.issue(runtime, _tenant(reader), order, actor=staff_actor(reader),
                                      key=values["key"] or None)
        except IdempotencyMismatch:
            values["key"] = ""
            errors = {"_form": reader.gettext(
                "This form issued an order already. Check the values and issue again.")}
        except RegularsError as exc:
            errors = _errors_of(exc, reader)
        else:
            base = public_base(request, runtime)
            response = render(request, "console/certificates_issued.html", reader,
                              series=editing, done=done, base=base,
                              csv_href="" if done.repeated else "data:text/csv;charset=utf-8,"
                              + quote(codes_csv(done, base)))
            response.headers["Cache-Control"] = "no-store"
            return response
    return _page(request, runtime, reader, editing=editing, issue=values,
                 issue_errors=errors, status_code=422)
