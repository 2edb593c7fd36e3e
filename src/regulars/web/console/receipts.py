"""Console pages: receipts. A filtered list, one receipt with what priced it, and refunds of
the whole receipt or chosen lines and quantities (owners)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import InvalidInput, RegularsError
from regulars.services.checkout import receipts_view
from regulars.services.checkout.receipts_view import Filters
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import PAGE_SIZE, form_errors, new_key, page_number, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_day, parse_money
from regulars.web.templating import Reader, render


def _id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _day(raw: str, field: str) -> date | None:
    if not raw.strip():
        return None
    return parse_day(raw, field=field)


@router.get("/receipts", dependencies=[needs(Permission.VIEW)])
def receipts_list(request: Request, reader: StaffReader, runtime: RuntimeDep,
                  store: str = "", till: str = "", phone: str = "", date_from: str = "",
                  date_to: str = "", page: str = "1") -> Response:
    values = {"store": store[:12], "till": till[:12], "phone": phone[:40],
              "date_from": date_from[:10], "date_to": date_to[:10]}
    number = page_number(page)
    assert reader.session is not None
    errors: dict[str, str] = {}
    data: dict[str, Any]
    try:
        filters = Filters(store_id=_id(values["store"]), terminal_id=_id(values["till"]),
                          phone=values["phone"].strip() or None,
                          date_from=_day(values["date_from"], "date_from"),
                          date_to=_day(values["date_to"], "date_to"))
        data = receipts_view.list_page(runtime, reader.session.tenant_id, filters,
                                       limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    except RegularsError as exc:
        errors = form_errors(exc, reader)
        data = receipts_view.list_page(runtime, reader.session.tenant_id, Filters(),
                                       limit=1, offset=0)
        data["receipts"], data["has_more"] = [], False
    query = "&".join(f"{k}={v}" for k, v in values.items() if v)
    return render(request, "console/receipts.html", reader,
                  status_code=422 if errors else 200, values=values, errors=errors,
                  page=number, query=query,
                  store_options=[(str(s["id"]), s["name"]) for s in data["stores"]],
                  till_options=[(str(t["id"]), t["name"]) for t in data["tills"]], **data)


def _receipt_page(request: Request, reader: Reader, runtime: RuntimeDep, receipt_id: int, *,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  refunded: int | None = None, status_code: int = 200) -> Response:
    assert reader.session is not None
    receipt = receipts_view.detail(runtime, reader.session.tenant_id, receipt_id,
                                   locale=reader.locale)
    refund = next((r for r in receipt["refunds"] if r["id"] == refunded), None)
    return render(request, "console/receipt.html", reader, status_code=status_code,
                  receipt=receipt, errors=errors or {}, values=values or {}, key=new_key(),
                  refund=refund)


@router.get("/receipts/{receipt_id}", dependencies=[needs(Permission.VIEW)])
def receipt_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                 receipt_id: int, refunded: str = "") -> Response:
    return _receipt_page(request, reader, runtime, receipt_id, refunded=_id(refunded))


def _lines(form: Any) -> list[tuple[int, int]] | None:
    """``None`` for the whole receipt, else the chosen ``(line_no, quantity_milli)``."""
    if text(form, "mode", 10) != "lines":
        return None
    chosen = []
    for name in form:
        if not name.startswith("qty-") or not name[4:].isdigit():
            continue
        raw = text(form, name, 20).strip()
        if raw and raw not in ("0", "0.0", "0,0"):
            milli = parse_money(raw, digits=3, field=name)
            if milli:
                chosen.append((int(name[4:]), milli))
    if not chosen:
        raise InvalidInput("enter a quantity for at least one line", field="lines")
    return sorted(chosen)


@router.post("/receipts/{receipt_id}/refund", dependencies=[needs(Permission.REFUND)])
def receipt_refund(request: Request, reader: StaffReader, runtime: RuntimeDep,
                   receipt_id: int, form: Form) -> Response:
    assert reader.session is not None
    values = {name: text(form, name, 20) for name in form if name.startswith("qty-")}
    values["mode"] = text(form, "mode", 10)
    try:
        done = receipts_view.refund(runtime, reader.session.tenant_id, receipt_id,
                                    _lines(form), key=text(form, "key", 200))
    except RegularsError as exc:
        return _receipt_page(request, reader, runtime, receipt_id, values=values,
                             errors=form_errors(exc, reader), status_code=422)
    refund = done["refund"]
    return RedirectResponse(
        f"/console/receipts/{receipt_id}?refunded={refund['id']}", status_code=303)
