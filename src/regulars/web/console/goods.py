"""Console pages: prepaid goods accounts (litres, cups, visits). Anyone in the console sees
the latest accounts, the liability of each goods asset and an account's history, and finds a
bearer card by its number; opening an account (for a member found by phone or card, or a
bearer card whose number is shown once) and blocking a lost card need ``refund`` (owners).
Units are sold onto an account at the till (or through the API)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import InvalidInput, RegularsError
from regulars.services.catalog import products
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.stored_value import goods
from regulars.services.stored_value.goods import Opening
from regulars.services.stored_value.results import GoodsHistory, GoodsOpened
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import errors_of
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
          opened: GoodsOpened | None = None, status_code: int = 200) -> Response:
    tenant_id = _tenant(reader)
    accounts = goods.list_accounts(runtime, tenant_id)
    holders = [a.member_id for a in accounts if a.member_id is not None]
    if found is not None and found.account.member_id is not None:
        holders.append(found.account.member_id)
    return render(request, "console/goods.html", reader, status_code=status_code,
                  accounts=accounts, member_names=members.names(runtime, tenant_id, holders),
                  liability=goods.liability(runtime, tenant_id), found=found, code=code,
                  errors=errors or {}, values=values or {}, opened=opened,
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
    if field in OPEN_FIELDS:
        return field
    if field.startswith("member."):
        return field.removeprefix("member.")
    return "phone" if values["phone"] else "card"


@router.post("/goods", dependencies=[needs(Permission.REFUND)])
def open_account(request: Request, reader: StaffReader, runtime: RuntimeDep,
                 form: Form) -> Response:
    """Open a goods account; a bearer card's number is on this answer only (not stored by
    the browser). An unknown product or member is an error beside its field."""
    values = {name: text(form, name, 40).strip() for name in OPEN_FIELDS}
    try:
        opened = goods.open_account(runtime, _tenant(reader), _opening(values),
                                    actor=staff_actor(reader))
    except RegularsError as exc:
        if exc.status == 403:
            raise
        message = errors_of(exc, reader).popitem()[1]
        return _page(request, reader, runtime, values=values, status_code=422,
                     errors={_field(exc, values): message})
    response = _page(request, reader, runtime, opened=opened)
    response.headers["Cache-Control"] = "no-store"
    return response


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
