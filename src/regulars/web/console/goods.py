"""Console pages: prepaid goods accounts (litres, cups, visits). Anyone in the console sees
the latest accounts, the liability of each goods asset and an account's history, and finds a
bearer card by its number; blocking a lost card needs ``refund`` (owners). Opening accounts
and top-ups are in the admin API and at the till."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import RegularsError
from regulars.services.members import members
from regulars.services.stored_value import goods
from regulars.services.stored_value.results import GoodsHistory
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _page(request: Request, reader: Reader, runtime: RuntimeDep, *,
          found: GoodsHistory | None = None, code: str = "",
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    tenant_id = _tenant(reader)
    accounts = goods.list_accounts(runtime, tenant_id)
    holders = [a.member_id for a in accounts if a.member_id is not None]
    if found is not None and found.account.member_id is not None:
        holders.append(found.account.member_id)
    return render(request, "console/goods.html", reader, status_code=status_code,
                  accounts=accounts, member_names=members.names(runtime, tenant_id, holders),
                  liability=goods.liability(runtime, tenant_id), found=found, code=code,
                  errors=errors or {})


@router.get("/goods", dependencies=[needs(Permission.VIEW)])
def goods_page(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return _page(request, reader, runtime)


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
