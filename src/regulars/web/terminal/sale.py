"""Finding or registering the member, pricing the basket as the cashier types, the one-time
code for a large spend, and the commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.domain.checkout.quote import BasketLine
from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.errors import InvalidInput, NotFound, RegularsError
from regulars.services.checkout import checkout
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.stored_value import wallets
from regulars.services.stored_value.goods_sales import GoodsSale
from regulars.services.stored_value.sales import CertificateSale
from regulars.services.web_sessions import till as till_service
from regulars.services.web_sessions.sessions import WebSession
from regulars.web.deps import CashierSession, Form, RuntimeDep
from regulars.web.forms import errors_of, parse_int, parse_money
from regulars.web.templating import Reader, render
from regulars.web.terminal import reader_of, router
from regulars.web.terminal import stored_value as money

MAX_LINES = 50
EMPTY_ROW = {"price": "", "name": "", "category": "", "qty": "1", "sku": ""}


@dataclass
class Basket:
    """The sale form as typed (to show it again) and as parsed."""

    rows: list[dict[str, str]]
    member_id: int | None
    points_text: str
    otp_code: str
    receipt_no: str
    key: str
    coupon: str = ""
    goods_code: str = ""  # a prepaid goods card's number, or
    goods_account: int | None = None  # one of the member's goods accounts
    goods_qty: str = ""
    # Prepaid goods sold on the receipt: the product's SKU, the quantity and the amount paid,
    # into a goods card by its number or (none) the member's account of the product.
    sell: dict[str, str] = field(default_factory=dict)
    reward_id: int | None = None
    reward_code: str = ""
    lines: tuple[BasketLine, ...] = ()
    points: int = 0
    goods_milli: int = 0
    goods_sold: tuple[GoodsSale, ...] = ()
    # A gift card sold, a certificate and the member's wallet paying part of the receipt.
    money: money.MoneyBoxes = field(default_factory=money.MoneyBoxes)
    errors: dict[str, str] = field(default_factory=dict)


def _new_ids() -> tuple[str, str]:
    return "T" + secrets.token_hex(5).upper(), secrets.token_urlsafe(18)


def _lines(rows: list[dict[str, str]], reader: Reader,
           errors: dict[str, str]) -> list[BasketLine]:
    """The basket lines of the rows with a price; a row's bad price or quantity is added to
    ``errors`` under its field (``price-0``, ``qty-1``) and the row left out."""
    lines = []
    digits = reader.minor_digits()
    for i, row in enumerate(rows):
        if not row["price"].strip():
            continue
        try:
            price = parse_money(row["price"], digits=digits, field=f"price-{i}")
            milli = parse_money(row["qty"] or "1", digits=3, field=f"qty-{i}")
            if milli <= 0:
                raise InvalidInput("the quantity must be more than 0", field=f"qty-{i}")
        except InvalidInput as exc:
            errors.update(errors_of(exc, reader))
            continue
        name = row["name"].strip()[:200] or reader.gettext("Sale")
        # A line picked from the product list carries its SKU; a typed one is numbered.
        sku = "".join(row["sku"].split())[:64] or f"L{i + 1}"
        lines.append(BasketLine(sku=sku, name=name,
                                category=row["category"].strip()[:64], quantity_milli=milli,
                                unit_price_minor=price))
    return lines


def _basket(form: FormData | None, reader: Reader) -> Basket:
    """Read the sale form; errors name the field (``price-0``, ``qty-1``,
    ``points_to_spend``)."""
    def many(name: str) -> list[str]:
        return [str(v) for v in form.getlist(name)] if form is not None else []

    def one(name: str) -> str:
        return str(form.get(name) or "").strip() if form is not None else ""

    columns = {name: many(name) for name in ("name", "category", "qty", "sku")}

    def cell(name: str, i: int, default: str = "") -> str:
        return columns[name][i] if i < len(columns[name]) else default

    rows = [{"price": price, "name": cell("name", i), "category": cell("category", i),
             "qty": cell("qty", i, "1"), "sku": cell("sku", i)}
            for i, price in enumerate(many("price")[:MAX_LINES])] or [dict(EMPTY_ROW)]
    member_text = one("member_id")
    receipt_no, key = one("receipt_no"), one("key")
    if not (receipt_no and key):
        receipt_no, key = _new_ids()
    account_text = one("goods_account")
    basket = Basket(rows=rows, member_id=int(member_text) if member_text.isdigit() else None,
                    points_text=one("points_to_spend") or "0", otp_code=one("otp_code"),
                    receipt_no=receipt_no[:64], key=key[:200], coupon=one("coupon")[:40],
                    goods_code=one("goods_code")[:40],
                    goods_account=int(account_text) if account_text.isdigit() else None,
                    goods_qty=one("goods_qty")[:20],
                    reward_id=_reward_id(one("reward_id")),
                    reward_code=one("reward_code")[:24])
    lines = _lines(rows, reader, basket.errors)
    try:
        basket.points = parse_int(basket.points_text, field="points_to_spend",
                                  maximum=10 ** 9)
    except InvalidInput as exc:
        basket.errors.update(errors_of(exc, reader))
    basket.lines = tuple(lines)
    _goods(basket, form, reader)
    basket.money = money.read_boxes(form, reader, basket.errors)
    # A receipt that sells a gift card or prepaid goods needs no bill.
    if not (lines or _sells(basket) or basket.errors):
        basket.errors["price-0"] = reader.gettext("enter the amount of the bill")
    return basket


def _sells(basket: Basket) -> bool:
    """Whether the receipt sells a gift card or prepaid goods (paid apart from the bill)."""
    return bool(basket.goods_sold or basket.money.values.get("card_code"))


SELL_FIELDS = ("sell_sku", "sell_qty", "sell_paid", "sell_code")


def _goods(basket: Basket, form: FormData | None, reader: Reader) -> None:
    """The quantity of prepaid goods to take, in thousandths (none typed: 0), and the goods
    sold on the receipt (none typed: none)."""
    basket.sell = {name: str(form.get(name) or "").strip()[:64] if form is not None else ""
                   for name in SELL_FIELDS}
    try:
        if basket.goods_qty:
            basket.goods_milli = parse_money(basket.goods_qty, digits=3, field="goods_qty")
        basket.goods_sold = _goods_sold(basket.sell, reader)
    except InvalidInput as exc:
        basket.errors.update(errors_of(exc, reader))


def _goods_sold(sell: dict[str, str], reader: Reader) -> tuple[GoodsSale, ...]:
    """The goods sale typed in the form (none when its boxes are empty). Raises
    :class:`InvalidInput` naming the box."""
    if not (sell["sell_sku"] or sell["sell_qty"] or sell["sell_paid"]):
        return ()
    if not sell["sell_sku"]:
        raise InvalidInput("enter the product's SKU", field="sell_sku")
    milli = parse_money(sell["sell_qty"], digits=3, field="sell_qty")
    if milli <= 0:
        raise InvalidInput("the quantity must be more than 0", field="sell_qty")
    paid = parse_money(sell["sell_paid"], digits=reader.minor_digits(), field="sell_paid")
    return (GoodsSale(sku=sell["sell_sku"], quantity_milli=milli, amount_minor=paid,
                      code=sell["sell_code"] or None),)


def _tenders(basket: Basket,
             amounts: dict[str, int] | None = None) -> list[tuple[str, Tender]]:
    """The prepaid goods the customer pays with (a card by its number, or a member's
    account; at quote time without a quantity: the answer says what it could take), then
    a certificate and the member's wallet (their amounts as typed, or ``amounts``); each
    with the boxes it was typed in (``goods``, ``cert``, ``wallet``)."""
    goods: list[tuple[str, Tender]] = []
    if basket.goods_code:
        goods = [("goods", Tender(kind=TenderKind.GOODS, code=basket.goods_code,
                                  quantity_milli=basket.goods_milli))]
    elif basket.goods_account is not None:
        goods = [("goods", Tender(kind=TenderKind.GOODS, account=basket.goods_account,
                                  quantity_milli=basket.goods_milli))]
    return goods + money.money_tenders(basket.money, amounts)


def _reward_id(text: str) -> int | None:
    """The catalogue reward picked at the till (none: empty, or not an id)."""
    return int(text) if text.isdigit() and 0 < int(text) < 2 ** 63 else None


def _sale(basket: Basket, amounts: dict[str, int] | None = None) -> Sale:
    ref = MemberRef(id=basket.member_id) if basket.member_id is not None else None
    return Sale(member=ref, lines=basket.lines, points_to_spend=basket.points,
                coupons=(basket.coupon,) if basket.coupon else (),
                tenders=tuple(t for _, t in _tenders(basket, amounts)),
                reward_id=basket.reward_id, reward_code=basket.reward_code or None)


# The sale form's names for the fields a service's error names.
_FIELDS = {"goods_sold.0.sku": "sell_sku", "goods_sold.0": "sell_sku",
           "goods_sold.0.quantity_milli": "sell_qty", "goods_sold.0.amount": "sell_paid",
           "goods_sold.0.valid_days": "sell_qty", "goods_sold.0.code": "sell_code",
           "goods_sold.0.account": "sell_code"}


def _form_errors(exc: RegularsError, reader: Reader, basket: Basket) -> dict[str, str]:
    """A service's error by the sale form's field names (the one coupon box is
    ``coupon``; the service speaks of ``coupons.0``; the tenders' boxes of ``tenders.N``)."""
    fields = {**_FIELDS, **money.tender_fields([p for p, _ in _tenders(basket)])}
    return {("coupon" if name.startswith("coupons") else fields.get(name, name)): message
            for name, message in errors_of(exc, reader).items()}


def _payload(basket: Basket, sold: tuple[CertificateSale, ...]) -> dict[str, Any]:
    """What the commit's idempotency key is bound to (the code is not part of it; a tender's
    amount as typed, so that a repeat whose default would now differ is the same request)."""
    return {"receipt_id": basket.receipt_no, "member": basket.member_id,
            "points_to_spend": basket.points,
            "coupons": [basket.coupon] if basket.coupon else [],
            "goods": [basket.goods_code, basket.goods_account, basket.goods_milli],
            "reward_id": basket.reward_id, "reward_code": basket.reward_code,
            **({"goods_sold": [[g.sku, g.quantity_milli, g.amount_minor, g.code]
                               for g in basket.goods_sold]} if basket.goods_sold else {}),
            "lines": [{"sku": ln.sku, "name": ln.name, "category": ln.category,
                       "quantity_milli": ln.quantity_milli,
                       "unit_price_minor": ln.unit_price_minor} for ln in basket.lines],
            **money.payload(sold, [(p, t) for p, t in _tenders(basket) if p != "goods"])}


# Finding and registering the member --------------------------------------------------------

def _find_page(request: Request, runtime: RuntimeDep, cashier: WebSession, *,
               errors: dict[str, str], values: dict[str, str], offer_register: bool = False,
               status_code: int = 200) -> Response:
    return render(request, "terminal/find.html", reader_of(runtime, request, cashier),
                  status_code=status_code, errors=errors, values=values,
                  offer_register=offer_register)


@router.get("")
def find_page(request: Request, runtime: RuntimeDep, cashier: CashierSession) -> Response:
    return _find_page(request, runtime, cashier, errors={}, values={})


@router.post("/find")
def find(request: Request, runtime: RuntimeDep, cashier: CashierSession,
         form: Form) -> Response:
    text, qr = str(form.get("q") or ""), str(form.get("qr") or "")
    try:
        found = till_service.find_member(runtime, cashier, text=text, qr=qr)
    except NotFound as exc:
        reader = reader_of(runtime, request, cashier)
        phone = text if not qr and text.strip() else ""
        return _find_page(request, runtime, cashier, errors=errors_of(exc, reader),
                          values={"q": text, "phone": phone}, offer_register=True,
                          status_code=404)
    except RegularsError as exc:
        reader = reader_of(runtime, request, cashier)
        return _find_page(request, runtime, cashier, errors=errors_of(exc, reader),
                          values={"q": text}, status_code=422)
    return RedirectResponse(f"/terminal/sale?member={found.id}", status_code=303)


@router.post("/register")
def register(request: Request, runtime: RuntimeDep, cashier: CashierSession,
             form: Form) -> Response:
    values = {name: str(form.get(name) or "").strip()
              for name in ("phone", "first_name", "referral_code", "agree", "offers")}
    consent = "full" if form.get("offers") else "earn_only"
    principal = till_service.principal_for(cashier)
    reader = reader_of(runtime, request, cashier)
    errors = _registration_problems(runtime, principal.tenant_id, values, form, reader)
    if not errors:
        try:
            view, created = member_registration.register(
                runtime, principal.tenant_id,
                Registration(phone=values["phone"], first_name=values["first_name"] or None,
                             consent=consent, referral_code=values["referral_code"] or None),
                store_id=principal.store_id, terminal_id=principal.terminal_id,
                staff_id=cashier.staff_id)
        except RegularsError as exc:
            errors = errors_of(exc, reader)
    if errors:
        return _find_page(request, runtime, cashier, errors=errors,
                          values={**values, "q": values["phone"]}, offer_register=True,
                          status_code=422)
    flag = "registered" if created else "known"
    linked = view.referral is not None and view.referral.linked
    note = "" if not values["referral_code"] else \
        "&referral=" + ("linked" if linked else "refused")
    return RedirectResponse(f"/terminal/sale?member={view.id}&{flag}=1{note}",
                            status_code=303)


def _registration_problems(runtime: RuntimeDep, tenant_id: int, values: dict[str, str],
                           form: FormData, reader: Reader) -> dict[str, str]:
    """The wrong fields of the registration form that can be told before registering, all
    at once: the phone, the terms not agreed to, an invitation code that is nobody's."""
    errors: dict[str, str] = {}
    try:
        till_service.check_phone(runtime, tenant_id, values["phone"])
    except InvalidInput as exc:
        errors.update(errors_of(exc, reader))
    if not form.get("agree"):
        errors["agree"] = reader.gettext("the customer must agree to the program's terms")
    code = values["referral_code"]
    if code and till_service.referral_code_owner(runtime, tenant_id, code) is None:
        errors["referral_code"] = reader.gettext("no member has this invitation code")
    return errors


# Selling ---------------------------------------------------------------------------------

def _sale_page(request: Request, runtime: RuntimeDep, cashier: WebSession, basket: Basket,
               *, notice: str = "", referral: str = "", status_code: int = 200) -> Response:
    member = (till_service.member(runtime, cashier, basket.member_id)
              if basket.member_id is not None else None)
    reader = reader_of(runtime, request, cashier)
    accounts = (till_service.goods_accounts(runtime, cashier, basket.member_id)
                if basket.member_id is not None else ())
    wallet = (wallets.statement(runtime, cashier.tenant_id, basket.member_id).balance_minor
              if basket.member_id is not None else None)
    return render(request, "terminal/sale.html", reader,
                  status_code=status_code, member=member, basket=basket,
                  errors=basket.errors, notice=notice, referral=referral,
                  goods_accounts=accounts, wallet_minor=wallet)


@router.get("/sale")
def sale_page(request: Request, runtime: RuntimeDep, cashier: CashierSession,
              member: int | None = None, registered: int = 0, known: int = 0,
              referral: str = "") -> Response:
    receipt_no, key = _new_ids()
    basket = Basket(rows=[dict(EMPTY_ROW)],
                    member_id=member, points_text="0", otp_code="", receipt_no=receipt_no,
                    key=key)
    notice = "registered" if registered else "known" if known else ""
    return _sale_page(request, runtime, cashier, basket, notice=notice,
                      referral=referral if referral in ("linked", "refused") else "")


@router.post("/quote")
def quote(request: Request, runtime: RuntimeDep, cashier: CashierSession,
          form: Form) -> Response:
    """The live price of the basket (an htmx fragment): always 200, errors inside."""
    reader = reader_of(runtime, request, cashier)
    basket = _basket(form, reader)
    answer = card = None
    errors = dict(basket.errors)
    if (basket.lines or _sells(basket)) and not errors:
        try:
            answer = checkout.quote(runtime, till_service.principal_for(cashier),
                                    _sale(basket), goods_sold=basket.goods_sold,
                                    sells_certificates=_sells(basket))
            if basket.money.values["card_code"]:
                card = money.card_view(runtime, cashier.tenant_id,
                                       basket.money.values["card_code"])
        except RegularsError as exc:
            errors = _form_errors(exc, reader, basket)
    if answer is not None:
        refused = money.defaults(answer, [p for p, _ in _tenders(basket)])[1]
        errors.update({name: reader.gettext(text) for name, text in refused.items()})
    return render(request, "terminal/_quote.html", reader, quote=answer, errors=errors,
                  basket=basket, card=card)


@router.post("/otp")
def send_code(request: Request, runtime: RuntimeDep, cashier: CashierSession,
              form: Form) -> Response:
    """Text the member the code that confirms a large spend (an htmx fragment)."""
    reader = reader_of(runtime, request, cashier)
    raw = str(form.get("member_id") or "")
    sent = None
    errors: dict[str, str] = {}
    try:
        if not raw.isdigit():
            raise InvalidInput("find the member first", field="otp_code")
        sent = checkout_commit.send_spend_code(runtime, till_service.principal_for(cashier),
                                               MemberRef(id=int(raw)))
    except RegularsError as exc:
        errors = {"otp_code": errors_of(exc, reader).popitem()[1]}
    return render(request, "terminal/_otp.html", reader, sent=sent, errors=errors)


@router.post("/commit")
def commit(request: Request, runtime: RuntimeDep, cashier: CashierSession,
           form: Form) -> Response:
    reader = reader_of(runtime, request, cashier)
    basket = _basket(form, reader)
    if basket.errors:
        return _sale_page(request, runtime, cashier, basket, status_code=422)
    refused: dict[str, str] = {}
    try:
        request_, refused = _commit_request(runtime, cashier, basket)
        outcome = checkout_commit.commit(
            runtime, till_service.principal_for(cashier), request_, key=basket.key,
            payload=_payload(basket, request_.certificates_sold))
    except RegularsError as exc:
        basket.errors = ({name: reader.gettext(text) for name, text in refused.items()}
                         or _form_errors(exc, reader, basket))
        status = exc.status if exc.status in (404, 409, 422, 429) else 422
        return _sale_page(request, runtime, cashier, basket, status_code=status)
    receipt_pk = outcome.body["receipt"]["id"]
    return RedirectResponse(f"/terminal/receipts/{receipt_pk}?done=1", status_code=303)


def _commit_request(runtime: RuntimeDep, cashier: WebSession,
                    basket: Basket) -> tuple[CommitRequest, dict[str, str]]:
    """The commit of the basket: a certificate or the wallet without an amount typed pays
    what the quote says it could (what is due or its balance, whichever is less), the gift
    card sold its nominal value unless an amount is typed; and why the quote says a tender
    cannot pay, by its box (such a tender is sent for nothing: the commit refuses it, unless
    it repeats a commit made already, which answers as the first time). Raises
    :class:`RegularsError`."""
    amounts: dict[str, int] = {}
    refused: dict[str, str] = {}
    prefixes = [p for p, _ in _tenders(basket)]
    if any(t.kind is not TenderKind.GOODS and not t.amount_minor for _, t in _tenders(basket)):
        answer = checkout.quote(runtime, till_service.principal_for(cashier), _sale(basket),
                                goods_sold=basket.goods_sold,
                                sells_certificates=_sells(basket))
        amounts, refused = money.defaults(answer, prefixes)
    return CommitRequest(sale=_sale(basket, amounts), receipt_id=basket.receipt_no,
                         staff_id=cashier.staff_id, otp_code=basket.otp_code or None,
                         goods_sold=basket.goods_sold,
                         certificates_sold=money.card_sold(runtime, cashier.tenant_id,
                                                           basket.money)), refused
