"""Selling prepaid goods at the till: find a goods account (a fleet card by its number, or a
member's account by its number in the list) and top it up with the units the customer pays
for, the price of the day locked if asked; the answer shows the balance."""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import Response

from regulars.domain.stored_value.goods import MAX_VALID_DAYS, PurchaseTerms
from regulars.errors import InvalidInput, RegularsError
from regulars.services.stored_value import goods
from regulars.services.stored_value.results import GoodsAccountView
from regulars.services.web_sessions import till as till_service
from regulars.web.deps import CashierSession, Form, RuntimeDep
from regulars.web.forms import errors_of, parse_money
from regulars.web.templating import render
from regulars.web.terminal import reader_of, router

FIELDS = ("account", "quantity", "paid", "lock_price", "valid_days", "key")


def _page(request: Request, runtime: RuntimeDep, cashier: CashierSession, *,
          values: dict[str, str], errors: dict[str, str] | None = None,
          done: GoodsAccountView | None = None, status_code: int = 200) -> Response:
    reader = reader_of(runtime, request, cashier)
    return render(request, "terminal/goods.html", reader, status_code=status_code,
                  values=values, errors=errors or {}, done=done)


@router.get("/goods")
def goods_page(request: Request, runtime: RuntimeDep, cashier: CashierSession) -> Response:
    return _page(request, runtime, cashier, values={"key": secrets.token_urlsafe(18)})


def _account_id(runtime: RuntimeDep, tenant_id: int, text: str) -> int:
    """An account number as listed, or a card's printed number (field ``account``)."""
    if text.isdigit():
        return int(text)
    if not text:
        raise InvalidInput("enter the card number or the account number", field="account")
    return goods.look_up(runtime, tenant_id, text).id


def _days(text: str) -> int | None:
    """The validity typed in days (empty: never expires). Raises :class:`InvalidInput`."""
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("a validity is 1 to %(most)s days", field="valid_days",
                           params={"most": MAX_VALID_DAYS})
    return int(text)


@router.post("/goods")
def top_up(request: Request, runtime: RuntimeDep, cashier: CashierSession,
           form: Form) -> Response:
    values = {name: str(form.get(name) or "").strip()[:40] for name in FIELDS}
    reader = reader_of(runtime, request, cashier)
    principal = till_service.principal_for(cashier)
    errors: dict[str, str] = {}
    terms = None
    try:
        terms = PurchaseTerms(
            quantity_milli=parse_money(values["quantity"], digits=3, field="quantity_milli"),
            paid_minor=parse_money(values["paid"], digits=reader.minor_digits(),
                                   field="paid_minor"),
            lock_price=bool(values["lock_price"]), valid_days=_days(values["valid_days"]))
    except InvalidInput as exc:
        errors.update(errors_of(exc, reader))
    try:
        account_id = _account_id(runtime, principal.tenant_id, values["account"].replace(
            "#", ""))
        if terms is not None and not errors:
            goods.top_up(runtime, principal, account_id, terms, key=values["key"] or "none",
                         payload={"quantity": values["quantity"], "paid": values["paid"],
                                  "lock_price": terms.lock_price,
                                  "valid_days": terms.valid_days},
                         staff_id=cashier.staff_id)
    except RegularsError as exc:
        errors.update({("account" if name == "code" else name): message
                       for name, message in errors_of(exc, reader).items()})
    if errors:
        return _page(request, runtime, cashier, values=values, errors=errors,
                     status_code=422)
    done = goods.get_account(runtime, principal.tenant_id, account_id)
    return _page(request, runtime, cashier, done=done,
                 values={"key": secrets.token_urlsafe(18)})
