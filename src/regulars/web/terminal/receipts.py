"""The till's receipts of the day, one receipt with its explanations, and its refund: by
line and quantity or everything left, or a void, each with a reason, confirmed once the
cashier has seen the amount, and allowed by an owner's PIN above the business's limit."""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.errors import InvalidInput, RegularsError
from regulars.services.web_sessions import till as till_service
from regulars.services.web_sessions import till_refunds
from regulars.services.web_sessions.sessions import WebSession
from regulars.services.web_sessions.till_refunds import RefundAsk
from regulars.web.deps import CashierSession, Form, RuntimeDep
from regulars.web.forms import errors_of, parse_money
from regulars.web.templating import Reader, render
from regulars.web.terminal import reader_of, router


@router.get("/receipts")
def receipts_page(request: Request, runtime: RuntimeDep, cashier: CashierSession) -> Response:
    return render(request, "terminal/receipts.html", reader_of(runtime, request, cashier),
                  receipts=till_service.receipts_today(runtime, cashier))


def _receipt_page(request: Request, runtime: RuntimeDep, cashier: WebSession,
                  receipt_pk: int, *, errors: dict[str, str], done: bool = False,
                  refunded: bool = False, values: dict[str, str] | None = None,
                  status_code: int = 200) -> Response:
    found = till_service.receipt(runtime, cashier, receipt_pk)
    notes = till_refunds.notes(runtime, cashier.tenant_id, [r["id"] for r in found["refunds"]])
    return render(request, "terminal/receipt.html", reader_of(runtime, request, cashier),
                  status_code=status_code, receipt=found, errors=errors, done=done,
                  refunded=refunded, refund_key=secrets.token_urlsafe(18), notes=notes,
                  values=values or {}, left=found["left"] if done else [])


@router.get("/receipts/{receipt_pk}")
def receipt_page(request: Request, runtime: RuntimeDep, cashier: CashierSession,
                 receipt_pk: int, done: int = 0, refunded: int = 0) -> Response:
    """One receipt; just after its commit (``done``), with the balances the certificate
    and the wallet that paid it had left, as the commit stored with the receipt answered
    (never from the address, which anyone could write)."""
    return _receipt_page(request, runtime, cashier, receipt_pk, errors={}, done=bool(done),
                         refunded=bool(refunded))


def _values(form: FormData) -> dict[str, str]:
    """The refund form as typed: quantities, reason, void, key, manager."""
    return {str(name): str(form.get(name) or "")[:200] for name in form
            if str(name).startswith("qty-") or name in ("reason", "void", "key", "manager_id")}


def _ask(receipt_pk: int, values: dict[str, str], reader: Reader) -> tuple[RefundAsk,
                                                                           dict[str, str]]:
    """What the form asks, and the quantities that are no quantity (by field)."""
    chosen, errors = [], {}
    for name, raw in values.items():
        if not name.startswith("qty-") or not name[4:].isdigit() or not raw.strip():
            continue
        try:
            milli = parse_money(raw, digits=3, field=name)
        except InvalidInput as exc:
            errors.update(errors_of(exc, reader))
            continue
        if milli:
            chosen.append((int(name[4:]), milli))
    void = values.get("void") == "1"
    lines = None if void or not chosen else tuple(sorted(chosen))
    return RefundAsk(receipt_pk=receipt_pk, lines=lines, void=void,
                     reason=values.get("reason", "")), errors


@router.post("/receipts/{receipt_pk}/refund")
def refund(request: Request, runtime: RuntimeDep, cashier: CashierSession, receipt_pk: int,
           form: Form) -> Response:
    """First the confirmation (the amount, and the manager's PIN when it needs one), then,
    with ``confirm``, the refund or void, once per form."""
    reader = reader_of(runtime, request, cashier)
    values = _values(form)
    values["key"] = values.get("key") or secrets.token_urlsafe(18)
    ask, errors = _ask(receipt_pk, values, reader)
    try:
        check = till_refunds.assess(runtime, cashier, ask)
        if errors:
            raise InvalidInput(next(iter(errors.values())), field=next(iter(errors)))
        if form.get("confirm") != "1":
            return _confirm_page(request, reader, cashier, runtime, receipt_pk, values,
                                 check=check, errors={})
        manager = values.get("manager_id", "")
        till_refunds.refund(runtime, cashier, ask, key=values["key"],
                            manager_id=int(manager) if manager.isdigit() else None,
                            manager_pin=str(form.get("manager_pin") or "")[:12],
                            client=request.client.host if request.client else "")
    except RegularsError as exc:
        if exc.status == 404:
            raise
        found = exc.problems if isinstance(exc, till_refunds.AskRefused) else (exc,)
        errors = {**{k: v for p in found for k, v in errors_of(p, reader).items()}, **errors}
        if form.get("confirm") == "1" and set(errors) <= {"manager_id", "manager_pin"}:
            return _confirm_page(request, reader, cashier, runtime, receipt_pk, values,
                                 check=till_refunds.assess(runtime, cashier, ask),
                                 errors=errors, status_code=exc.status)
        return _receipt_page(request, runtime, cashier, receipt_pk, errors=errors,
                             values=values, status_code=exc.status)
    return RedirectResponse(f"/terminal/receipts/{receipt_pk}?refunded=1", status_code=303)


def _confirm_page(request: Request, reader: Reader, cashier: WebSession, runtime: RuntimeDep,
                  receipt_pk: int, values: dict[str, str], *,
                  check: till_refunds.RefundCheck, errors: dict[str, str],
                  status_code: int = 200) -> Response:
    found = till_service.receipt(runtime, cashier, receipt_pk)
    chosen = {int(k[4:]): v for k, v in values.items()
              if k.startswith("qty-") and k[4:].isdigit() and v.strip()}
    return render(request, "terminal/refund_confirm.html", reader, status_code=status_code,
                  receipt=found, values=values, check=check, chosen=chosen, errors=errors)
