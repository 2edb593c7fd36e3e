"""Selling prepaid goods at the till: find a goods account (a fleet card by its number, or a
member's account by its number in the list) and top it up with the units the customer pays
for, the price of the day locked if asked; the answer shows the balance."""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import Response

from regulars.errors import InvalidInput, RegularsError
from regulars.services.stored_value import goods
from regulars.services.stored_value.results import GoodsAccountView
from regulars.services.web_sessions import till as till_service
from regulars.web import goods_forms
from regulars.web.deps import CashierSession, Form, RuntimeDep
from regulars.web.forms import errors_of
from regulars.web.goods_forms import TOP_UP_FIELDS, purchase_terms, replay_payload
from regulars.web.templating import render
from regulars.web.terminal import reader_of, router


def _page(request: Request, runtime: RuntimeDep, cashier: CashierSession, *,
          values: dict[str, str], errors: dict[str, str] | None = None,
          done: GoodsAccountView | None = None, status_code: int = 200) -> Response:
    reader = reader_of(runtime, request, cashier)
    return render(request, "terminal/goods.html", reader, status_code=status_code,
                  values=values, errors=errors or {}, done=done)


@router.get("/goods")
def goods_page(request: Request, runtime: RuntimeDep, cashier: CashierSession) -> Response:
    return _page(request, runtime, cashier, values={"key": secrets.token_urlsafe(18)})


@router.post("/goods")
def top_up(request: Request, runtime: RuntimeDep, cashier: CashierSession,
           form: Form) -> Response:
    values = {name: str(form.get(name) or "").strip()[:40] for name in TOP_UP_FIELDS}
    reader = reader_of(runtime, request, cashier)
    principal = till_service.principal_for(cashier)
    errors: dict[str, str] = {}
    terms = None
    try:
        terms = purchase_terms(values, minor_digits=reader.minor_digits())
    except InvalidInput as exc:
        errors.update(errors_of(exc, reader))
    try:
        account_id = goods_forms.account_id(runtime, principal.tenant_id, values["account"])
        if terms is not None and not errors:
            goods.top_up(runtime, principal, account_id, terms, key=values["key"] or "none",
                         payload=replay_payload(values, terms), staff_id=cashier.staff_id)
    except RegularsError as exc:
        errors.update({("account" if name == "code" else name): message
                       for name, message in errors_of(exc, reader).items()})
    if errors:
        return _page(request, runtime, cashier, values=values, errors=errors,
                     status_code=422)
    done = goods.get_account(runtime, principal.tenant_id, account_id)
    return _page(request, runtime, cashier, done=done,
                 values={"key": secrets.token_urlsafe(18)})
