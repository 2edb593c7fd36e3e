"""The signed-in member's own pages: home with the QR card, history, a receipt, coupons,
the referral code, the profile and the download of their data."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import InvalidInput
from regulars.services.feedback import ratings
from regulars.services.members import customer_page as member_page
from regulars.services.members.customer_page import ProfileForm
from regulars.services.passes import passes
from regulars.services.stamps import members_cards
from regulars.services.stored_value import certificates, goods, wallets
from regulars.web.customer.common import MemberReader, member_id_of, qr_svg
from regulars.web.deps import Form, RuntimeDep, clear_session_cookie, public_base
from regulars.web.forms import errors_of
from regulars.web.templating import Reader, render

router = APIRouter(include_in_schema=False)
PROFILE_FIELDS = ("first_name", "last_name", "email", "birthday", "consent")


@router.get("/{tenant_id}")
def home(request: Request, runtime: RuntimeDep, reader: MemberReader,
         tenant_id: int) -> Response:
    figures = member_page.home(runtime, tenant_id, member_id_of(reader))
    stamp_cards = members_cards.cards_of(runtime, tenant_id, member_id_of(reader),
                                         language=reader.language)
    return render(request, "customer/home.html", reader, tenant_id=tenant_id, page="home",
                  m=figures, qr=qr_svg(figures["card"]), stamp_cards=stamp_cards,
                  wallets=passes.settings_view(runtime, tenant_id))


@router.get("/{tenant_id}/pass.pkpass")
def apple_pass(request: Request, runtime: RuntimeDep, reader: MemberReader,
               tenant_id: int) -> Response:
    """The member's card as an Apple Wallet pass (404 when the business has none)."""
    made = passes.apple_pass(runtime, tenant_id, member_id_of(reader),
                             base_url=public_base(request, runtime))
    return Response(made.content, media_type="application/vnd.apple.pkpass", headers={
        "Content-Disposition": f'attachment; filename="card-{tenant_id}.pkpass"'})


@router.get("/{tenant_id}/google-wallet")
def google_wallet(runtime: RuntimeDep, reader: MemberReader, tenant_id: int) -> Response:
    """On to Google Wallet with the member's card (404 when the business has none)."""
    return RedirectResponse(passes.google_link(runtime, tenant_id, member_id_of(reader)),
                            status_code=303)


@router.get("/{tenant_id}/history")
def history(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int,
            before: Annotated[int | None, Query(ge=1)] = None) -> Response:
    found = member_page.history_page(runtime, tenant_id, member_id_of(reader),
                                     before_id=before, locale=reader.locale)
    rated = ratings.ratings_of(runtime, tenant_id, [
        e.receipt_id for e in found["entries"] if e.receipt_id is not None])
    return render(request, "customer/history.html", reader, tenant_id=tenant_id,
                  page="history", history=found, first_page=before is None, rated=rated)


@router.get("/{tenant_id}/receipts/{receipt_id}")
def receipt(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int,
            receipt_id: int, saved: Annotated[int, Query()] = 0) -> Response:
    return receipt_page(request, runtime, reader, tenant_id, receipt_id, saved=bool(saved))


def receipt_page(request: Request, runtime: RuntimeDep, reader: Reader, tenant_id: int,
                 receipt_id: int, *, values: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, saved: bool = False,
                 status_code: int = 200) -> Response:
    """The receipt with the member's rating of the visit (its form while it may change)."""
    member_id = member_id_of(reader)
    found = member_page.receipt(runtime, tenant_id, member_id, receipt_id)
    rating = ratings.of_receipt(runtime, tenant_id, member_id, receipt_id)
    return render(request, "customer/receipt.html", reader, status_code=status_code,
                  tenant_id=tenant_id, page="history", receipt=found, r=rating,
                  values=values or {}, errors=errors or {}, saved=saved, max_comment=1000)


@router.get("/{tenant_id}/coupons")
def coupons(request: Request, runtime: RuntimeDep, reader: MemberReader,
            tenant_id: int) -> Response:
    groups = member_page.member_coupons(runtime, tenant_id, member_id_of(reader))
    return render(request, "customer/coupons.html", reader, tenant_id=tenant_id,
                  page="coupons", groups=groups)


@router.get("/{tenant_id}/wallet")
def wallet(request: Request, runtime: RuntimeDep, reader: MemberReader,
           tenant_id: int) -> Response:
    member_id = member_id_of(reader)
    statement = wallets.statement(runtime, tenant_id, member_id)
    return render(request, "customer/wallet.html", reader, tenant_id=tenant_id,
                  page="wallet", wallet=statement,
                  certificates=certificates.of_member(runtime, tenant_id, member_id),
                  goods=goods.member_accounts(runtime, tenant_id, member_id))


@router.get("/{tenant_id}/wallet/certificates/{certificate_id}")
def certificate(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int,
                certificate_id: int) -> Response:
    """The page of one of the member's gift cards, as its public link shows it (the link's
    token is shown once, at issue, and not kept), with its movements; another's answers 404."""
    found = certificates.member_certificate(runtime, tenant_id, member_id_of(reader),
                                            certificate_id)
    return render(request, "customer/gift.html", reader, tenant_id=tenant_id,
                  page="wallet", certificate=found.certificate, lines=found.lines,
                  headers={"Cache-Control": "no-store"})


@router.get("/{tenant_id}/invite")
def invite(request: Request, runtime: RuntimeDep, reader: MemberReader,
           tenant_id: int) -> Response:
    info = member_page.referral(runtime, tenant_id, member_id_of(reader))
    # The link the API gives (the business's ``link_base``) or, without one, the page this
    # server serves for it: either way ``.../r/<code>``, the one link the member shares.
    link = info["link"] or f"{public_base(request, runtime)}/c/{tenant_id}/r/{info['code']}"
    return render(request, "customer/invite.html", reader, tenant_id=tenant_id,
                  page="invite", info=info, link=link)


def _profile(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int, *,
             values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
             saved: bool = False, status_code: int = 200, confirm: str = "") -> Response:
    member = member_page.home(runtime, tenant_id, member_id_of(reader))
    shown = values if values is not None else {
        name: "" if member[name] is None else str(member[name]) for name in PROFILE_FIELDS}
    return render(request, "customer/profile.html", reader, status_code=status_code,
                  tenant_id=tenant_id, page="profile", m=member, values=shown,
                  errors=errors or {}, saved=saved, confirm=confirm)


@router.get("/{tenant_id}/profile")
def profile(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int,
            saved: Annotated[int, Query()] = 0) -> Response:
    return _profile(request, runtime, reader, tenant_id, saved=bool(saved))


@router.post("/{tenant_id}/profile")
def save_profile(request: Request, runtime: RuntimeDep, reader: MemberReader,
                 tenant_id: int, form: Form) -> Response:
    values = {name: str(form.get(name) or "") for name in PROFILE_FIELDS}
    try:
        member_page.save_profile(runtime, tenant_id, member_id_of(reader),
                                 ProfileForm(**values))
    except InvalidInput as exc:
        return _profile(request, runtime, reader, tenant_id, values=values,
                        errors=errors_of(exc, reader), status_code=422)
    return RedirectResponse(f"/c/{tenant_id}/profile?saved=1", status_code=303)


@router.post("/{tenant_id}/erase")
def erase(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int,
          form: Form) -> Response:
    """Erase the member's own personal data once they typed their phone number again; the
    session ends with it."""
    typed = str(form.get("confirm") or "")[:40]
    try:
        member_page.erase_self(runtime, tenant_id, member_id_of(reader), typed_phone=typed)
    except InvalidInput as exc:
        return _profile(request, runtime, reader, tenant_id, errors=errors_of(exc, reader),
                        status_code=422, confirm=typed)
    response = RedirectResponse(f"/c/{tenant_id}/sign-in?erased=1", status_code=303)
    clear_session_cookie(response, "member")
    return response


@router.get("/{tenant_id}/data.json")
def download(runtime: RuntimeDep, reader: MemberReader, tenant_id: int) -> Response:
    """Everything kept about the member, as a JSON file."""
    member_id = member_id_of(reader)
    data = member_page.export(runtime, tenant_id, member_id)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="my-data-{tenant_id}-{member_id}.json"'})
