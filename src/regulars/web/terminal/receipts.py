"""The till's receipts of the day, one receipt with its explanations, and a whole refund."""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import RegularsError
from regulars.services.checkout import checkout
from regulars.services.web_sessions import till as till_service
from regulars.services.web_sessions.sessions import WebSession
from regulars.web.deps import CashierSession, Form, RuntimeDep
from regulars.web.forms import errors_of
from regulars.web.templating import render
from regulars.web.terminal import reader_of, router


@router.get("/receipts")
def receipts_page(request: Request, runtime: RuntimeDep, cashier: CashierSession) -> Response:
    return render(request, "terminal/receipts.html", reader_of(runtime, request, cashier),
                  receipts=till_service.receipts_today(runtime, cashier))


def _receipt_page(request: Request, runtime: RuntimeDep, cashier: WebSession,
                  receipt_pk: int, *, errors: dict[str, str], done: bool = False,
                  refunded: bool = False, status_code: int = 200) -> Response:
    found = till_service.receipt(runtime, cashier, receipt_pk)
    return render(request, "terminal/receipt.html", reader_of(runtime, request, cashier),
                  status_code=status_code, receipt=found, errors=errors, done=done,
                  refunded=refunded, refund_key=secrets.token_urlsafe(18))


@router.get("/receipts/{receipt_pk}")
def receipt_page(request: Request, runtime: RuntimeDep, cashier: CashierSession,
                 receipt_pk: int, done: int = 0, refunded: int = 0) -> Response:
    return _receipt_page(request, runtime, cashier, receipt_pk, errors={}, done=bool(done),
                         refunded=bool(refunded))


@router.post("/receipts/{receipt_pk}/refund")
def refund(request: Request, runtime: RuntimeDep, cashier: CashierSession, receipt_pk: int,
           form: Form) -> Response:
    """Refund everything left on one of this till's receipts, once per form."""
    till_service.receipt(runtime, cashier, receipt_pk)  # 404 unless this till's
    key = str(form.get("key") or "")[:200] or secrets.token_urlsafe(18)
    try:
        checkout.refund(runtime, till_service.principal_for(cashier), receipt_pk, None,
                        key=f"terminal:{key}", payload={"receipt": receipt_pk, "lines": None})
    except RegularsError as exc:
        reader = reader_of(runtime, request, cashier)
        return _receipt_page(request, runtime, cashier, receipt_pk,
                             errors=errors_of(exc, reader), status_code=exc.status)
    return RedirectResponse(f"/terminal/receipts/{receipt_pk}?refunded=1", status_code=303)
