"""Console pages: prepaid goods accounts (litres, cups, visits). Anyone in the console sees
the latest accounts, the liability of each goods asset and an account's history, and finds a
bearer card by its number; opening an account (for a member found by phone or card, or a
bearer card whose number is shown once), topping one up with units bought in advance and
blocking a lost card need ``refund`` (owners). Each form carries a token made when it is
shown: sent twice (a double click, a retry) it opens or tops up once."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import IdempotencyMismatch, InvalidInput, RegularsError
from regulars.services.catalog import products
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.stored_value import goods
from regulars.services.stored_value.goods import Opening
from regulars.services.stored_value.results import GoodsAccountView, GoodsHistory, GoodsOpened
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, new_key, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import errors_of
from regulars.web.goods_forms import TOP_UP_FIELDS, account_id, purchase_terms, replay_payload
from regulars.web.templating import Reader, render

OPEN_FIELDS = ("product_id", "unit", "phone", "card")
# How many products the opening form offers (active first, by name).
PRODUCT_CHOICES = 500


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _page(request: Request, reader: Reader, runtime: RuntimeDep, *,
          found: GoodsHistory | None = None, code: str = "",
          errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          opened: GoodsOpened | None = None, top: dict[str, str] | None = None,
          topped: GoodsAccountView | None = None, status_code: int = 200) -> Response:
    """The goods page; ``values``/``errors`` of the opening form and ``top`` of the top-up
    form (their ``key`` kept while the form is sent again, else a fresh one)."""
    tenant_id = _tenant(reader)
    accounts = goods.list_accounts(runtime, tenant_id)
    holders = [a.member_id for a in accounts if a.member_id is not None]
    if found is not None and found.account.member_id is not None:
        holders.append(found.account.member_id)
    values, top = values or {}, top or {}
    return render(request, "console/goods.html", reader, status_code=status_code,
                  accounts=accounts, member_names=members.names(runtime, tenant_id, holders),
                  liability=goods.liability(runtime, tenant_id), found=found, code=code,
                  errors=errors or {}, values=values, opened=opened, topped=topped,
                  open_key=values.get("key") or new_key(), top=top,
                  top_key=top.get("key") or new_key(),
                  products=products.list_page(runtime, tenant_id,
                                              limit=PRODUCT_CHOICES).items)


@router.get("/goods", dependencies=[needs(Permission.VIEW)])
def goods_page(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return _page(request, reader, runtime)


def _opening(values: dict[str, str]) -> Opening:
    """The account the form asks for. Raises :class:`InvalidInput` naming the form's field."""
    if not values["product_id"].isdigit():
        raise InvalidInput("choose a product", field="product_id")
    if values["phone"] and values["card"]:
        raise InvalidInput("enter the member's phone or card number, not both", field="card")
    member = MemberRef(phone=values["phone"]) if values["phone"] else \
        MemberRef(card=values["card"]) if values["card"] else None
    return Opening(product_id=int(values["product_id"]), unit=values["unit"] or None,
                   member=member)


def _field(exc: RegularsError, values: dict[str, str]) -> str:
    """The form's field an error of the service belongs beside: a member not found (the
    service names no field) or one holding this product already, beside what was typed."""
    field = exc.field or ""
    if isinstance(exc, IdempotencyMismatch):
        return "_form"
    if field in OPEN_FIELDS:
        return field
    if field.startswith("member."):
        return field.removeprefix("member.")
    return "phone" if values["phone"] else "card"


def _refusal(exc: RegularsError, reader: Reader, values: dict[str, str], *,
             again: str) -> str:
    """The message a refused form shows: ``again`` for its token sent before with other
    values (and the form gets a fresh token), else the service's. A role that may not
    still gets its 403 page."""
    if isinstance(exc, IdempotencyMismatch):
        values["key"] = ""
        return again
    if exc.status == 403:
        raise exc
    return errors_of(exc, reader).popitem()[1]


@router.post("/goods", dependencies=[needs(Permission.REFUND)])
def open_account(request: Request, reader: StaffReader, runtime: RuntimeDep,
                 form: Form) -> Response:
    """Open a goods account, once per the form's token; a bearer card's number is on this
    answer only (not stored by the browser). The form sent again shows the account it
    opened, without the card's number; sent again with other values, it asks to check them.
    An unknown product or member is an error beside its field."""
    values = {name: text(form, name, 40).strip() for name in OPEN_FIELDS}
    values["key"] = text(form, "key", 200) or new_key()
    try:
        opened = goods.open_account(runtime, _tenant(reader), _opening(values),
                                    actor=staff_actor(reader), key=f"console:{values['key']}")
    except RegularsError as exc:
        message = _refusal(exc, reader, values, again=reader.gettext(
            "This form opened an account already. Check the values and open again."))
        return _page(request, reader, runtime, values=values, status_code=422,
                     errors={_field(exc, values): message})
    response = _page(request, reader, runtime, opened=opened)
    response.headers["Cache-Control"] = "no-store"
    return response


def _top_up_field(exc: RegularsError) -> str:
    """Where a top-up's error shows: beside the account for a card or an account not found
    (by its number, or none of the tenant's), else beside the field the service names."""
    if isinstance(exc, IdempotencyMismatch):
        return "form"
    if exc.field in ("quantity_milli", "paid_minor", "valid_days"):
        return exc.field
    return "account"


@router.post("/goods/top-up", dependencies=[needs(Permission.REFUND)])
def top_up(request: Request, reader: StaffReader, runtime: RuntimeDep,
           form: Form) -> Response:
    """Add units bought in advance to an account (its number or a card's), once per the
    form's token, on the audit trail as the staff member's; the answer is the account's
    page with its new balance."""
    top = {name: text(form, name, 40).strip() for name in TOP_UP_FIELDS}
    top["key"] = text(form, "key", 200) or new_key()
    tenant_id = _tenant(reader)
    try:
        terms = purchase_terms(top, minor_digits=reader.minor_digits())
        goods_id = account_id(runtime, tenant_id, top["account"])
        goods.top_up_by_staff(runtime, tenant_id, goods_id, terms, key=top["key"],
                              payload=replay_payload(top, terms),
                              staff_id=reader.session.staff_id if reader.session else None)
    except RegularsError as exc:
        message = _refusal(exc, reader, top, again=reader.gettext(
            "This form topped up an account already. Check the values and top up again."))
        return _page(request, reader, runtime, top=top, status_code=422,
                     errors={"top_" + _top_up_field(exc): message})
    found = goods.history(runtime, tenant_id, goods_id)
    return _page(request, reader, runtime, found=found, topped=found.account)


@router.post("/goods/lookup", dependencies=[needs(Permission.VIEW)])
def look_up(request: Request, reader: StaffReader, runtime: RuntimeDep,
            form: Form) -> Response:
    code = text(form, "code", 40)
    try:
        found = goods.look_up(runtime, _tenant(reader), code)
    except RegularsError as exc:
        return _page(request, reader, runtime, code=code, errors=form_errors(exc, reader),
                     status_code=422)
    return RedirectResponse(f"/console/goods/{found.id}", status_code=303)


@router.post("/goods/{account_id}/block", dependencies=[needs(Permission.REFUND)])
def block(reader: StaffReader, runtime: RuntimeDep, account_id: int, form: Form) -> Response:
    blocked = text(form, "blocked") != "no"
    assert reader.session is not None
    goods.set_blocked(runtime, _tenant(reader), account_id, blocked=blocked,
                      actor=staff_actor(reader))
    return RedirectResponse(f"/console/goods/{account_id}", status_code=303)


@router.get("/goods/{account_id}", dependencies=[needs(Permission.VIEW)])
def account_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                 account_id: int) -> Response:
    found = goods.history(runtime, _tenant(reader), account_id)
    return _page(request, reader, runtime, found=found)
