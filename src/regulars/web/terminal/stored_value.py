"""Stored value at the till: a gift card sold on the receipt, a certificate and the member's
wallet paying part of it (the sale form's boxes, read here and sent as the POS API sends
them), the wallet topped up (paid in cash or by card), and a certificate's balance checked by
its code. The rules are the services'; this module only reads the forms."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.domain.stored_value.certificates import Status, Tender, TenderKind
from regulars.errors import InvalidInput, RegularsError
from regulars.services.checkout.results import QuoteResult
from regulars.services.members.members import MemberRef
from regulars.services.stored_value import certificates, wallets
from regulars.services.stored_value.results import CertificateView
from regulars.services.stored_value.sales import CertificateSale
from regulars.services.stored_value.wallets import PaidBy
from regulars.services.web_sessions import till as till_service
from regulars.text.i18n import N_
from regulars.web.deps import CashierSession, Form, RuntimeDep
from regulars.web.forms import errors_of, parse_money
from regulars.web.templating import Reader, render
from regulars.web.terminal import reader_of, router

BOXES = ("cert_code", "cert_amount", "wallet", "wallet_amount", "card_code", "card_amount")


@dataclass
class MoneyBoxes:
    """The sale form's stored-value boxes as typed, and their amounts (0: none typed, the
    default: for a tender what is due or its balance, whichever is less; for a card sold,
    its nominal value)."""

    values: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)

    def amount(self, name: str) -> int:
        return self.amounts.get(name, 0)


def read_boxes(form: FormData | None, reader: Reader, errors: dict[str, str]) -> MoneyBoxes:
    """The stored-value boxes of the sale form; a mistyped amount goes to ``errors`` by its
    box."""
    values = {name: str(form.get(name) or "").strip()[:40] if form is not None else ""
              for name in BOXES}
    boxes = MoneyBoxes(values=values)
    for name in ("cert_amount", "wallet_amount", "card_amount"):
        if not values[name]:
            continue
        try:
            boxes.amounts[name] = parse_money(values[name], digits=reader.minor_digits(),
                                              field=name)
            if boxes.amounts[name] <= 0:
                raise InvalidInput("an amount is positive", field=name)
        except InvalidInput as exc:
            errors.update(errors_of(exc, reader))
    return boxes


def money_tenders(boxes: MoneyBoxes,
                  amounts: dict[str, int] | None = None) -> list[tuple[str, Tender]]:
    """The certificate and the wallet paying part of the receipt, each with the box it was
    typed in (``cert``, ``wallet``); their amounts as typed, or else ``amounts`` by box."""
    chosen = {**(amounts or {}), **boxes.amounts}
    found: list[tuple[str, Tender]] = []
    if boxes.values["cert_code"]:
        found.append(("cert", Tender(kind=TenderKind.CERTIFICATE, code=boxes.values["cert_code"],
                                     amount_minor=chosen.get("cert_amount", 0))))
    if boxes.values["wallet"]:
        found.append(("wallet", Tender(kind=TenderKind.WALLET,
                                       amount_minor=chosen.get("wallet_amount", 0))))
    return found


def tender_fields(prefixes: list[str]) -> dict[str, str]:
    """The sale form's box for each field a tender's error names (``tenders.N.code``)."""
    boxes = {"goods": ("goods_code", "goods_qty", "goods_code"),
             "cert": ("cert_code", "cert_amount", "cert_code"),
             "wallet": ("wallet", "wallet_amount", "wallet")}
    found: dict[str, str] = {}
    for index, prefix in enumerate(prefixes):
        code, amount, whole = boxes[prefix]
        found.update({f"tenders.{index}": whole, f"tenders.{index}.code": code,
                      f"tenders.{index}.kind": whole, f"tenders.{index}.amount": amount,
                      f"tenders.{index}.amount_minor": amount,
                      f"tenders.{index}.quantity": amount,
                      f"tenders.{index}.account": "goods_account" if prefix == "goods"
                      else whole})
    return {**found, "tenders": prefixes[0] if prefixes else "tenders",
            "certificates_sold": "card_code", "certificates_sold.0": "card_code",
            "certificates_sold.0.code": "card_code",
            "certificates_sold.0.amount": "card_amount"}


def defaults(answer: QuoteResult, prefixes: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """What each money tender pays when no amount was typed: what the quote says it could
    pay (what is due or its balance, whichever is less); and the refusals by box."""
    amounts: dict[str, int] = {}
    refused: dict[str, str] = {}
    for option in answer.tenders:
        prefix = prefixes[option.tender_no]
        if prefix == "goods":
            continue
        if option.refusal:
            refused[f"{prefix}_code"] = option.refusal
        elif option.could_pay_minor <= 0:
            refused[f"{prefix}_amount"] = N_("nothing is left to pay with it")
        amounts[f"{prefix}_amount"] = option.could_pay_minor
    return amounts, refused


def card_sold(rt: RuntimeDep, tenant_id: int,
              boxes: MoneyBoxes) -> tuple[CertificateSale, ...]:
    """The gift card sold on the receipt (none typed: none), for the amount typed or else
    its nominal value. Raises :class:`InvalidInput` naming ``card_code``."""
    code = boxes.values["card_code"]
    if not code:
        return ()
    amount = boxes.amount("card_amount") or card_view(rt, tenant_id, code).nominal_minor
    return (CertificateSale(code=code, amount_minor=amount),)


def card_view(rt: RuntimeDep, tenant_id: int, code: str) -> CertificateView:
    """The card for sale a code stands for. Raises :class:`InvalidInput` naming
    ``card_code``, also for a card sold already, as the commit would refuse it."""
    try:
        card = certificates.look_up(rt, tenant_id, code)
    except InvalidInput as exc:
        raise InvalidInput(exc.template, field="card_code", params=exc.params) from exc
    if card.status != Status.PENDING.value:
        raise InvalidInput("this card was sold already", field="card_code")
    return card


def payload(sold: tuple[CertificateSale, ...], tenders: list[tuple[str, Tender]]) -> dict[str, Any]:
    """What of the stored value the commit's idempotency key is bound to (nothing when the
    receipt has none, so that other receipts' keys stay as they were)."""
    found: dict[str, Any] = {}
    if tenders:
        found["tenders"] = [[p, t.code, t.amount_minor] for p, t in tenders]
    if sold:
        found["certificates_sold"] = [[s.code, s.amount_minor] for s in sold]
    return found


# Topping up the wallet ----------------------------------------------------------------------

WALLET_FIELDS = ("member_id", "amount", "paid_by", "key")


def _wallet_page(request: Request, runtime: RuntimeDep, cashier: CashierSession, *,
                 member_id: int | None, values: dict[str, str],
                 errors: dict[str, str] | None = None, done: bool = False,
                 status_code: int = 200) -> Response:
    member = balance = None
    if member_id is not None:
        member = till_service.member(runtime, cashier, member_id)
        balance = wallets.statement(runtime, cashier.tenant_id, member_id).balance_minor
    return render(request, "terminal/wallet.html", reader_of(runtime, request, cashier),
                  status_code=status_code, member=member, balance=balance, values=values,
                  errors=errors or {}, done=done)


@router.get("/wallet")
def wallet_page(request: Request, runtime: RuntimeDep, cashier: CashierSession,
                member: int | None = None, done: int = 0) -> Response:
    return _wallet_page(request, runtime, cashier, member_id=member, done=bool(done),
                        values={"key": secrets.token_urlsafe(18), "paid_by": "cash"})


@router.post("/wallet")
def top_up(request: Request, runtime: RuntimeDep, cashier: CashierSession,
           form: Form) -> Response:
    values = {name: str(form.get(name) or "").strip()[:40] for name in WALLET_FIELDS}
    reader = reader_of(runtime, request, cashier)
    member_id = int(values["member_id"]) if values["member_id"].isdigit() else None
    errors: dict[str, str] = {}
    try:
        if member_id is None:
            raise InvalidInput("find the member first", field="amount")
        if values["paid_by"] not in ("cash", "card"):
            raise InvalidInput("choose cash or card", field="paid_by")
        amount = parse_money(values["amount"], digits=reader.minor_digits(), field="amount")
        wallets.top_up(runtime, till_service.principal_for(cashier), MemberRef(id=member_id),
                       amount_minor=amount, paid_by=PaidBy(values["paid_by"]),
                       key=values["key"] or "none",
                       payload={"member": member_id, "amount": amount,
                                "paid_by": values["paid_by"]})
    except RegularsError as exc:
        errors = {("amount" if name == "amount_minor" else name): message
                  for name, message in errors_of(exc, reader).items()}
    if errors:
        return _wallet_page(request, runtime, cashier, member_id=member_id, values=values,
                            errors=errors, status_code=422)
    return RedirectResponse(f"/terminal/wallet?member={member_id}&done=1", status_code=303)


# A certificate's balance --------------------------------------------------------------------

@router.get("/certificate")
def balance_page(request: Request, runtime: RuntimeDep, cashier: CashierSession) -> Response:
    return render(request, "terminal/certificate.html", reader_of(runtime, request, cashier),
                  values={}, errors={}, found=None)


@router.post("/certificate")
def check_balance(request: Request, runtime: RuntimeDep, cashier: CashierSession,
                  form: Form) -> Response:
    """A certificate's balance, status and expiry by its code (it writes nothing)."""
    code = str(form.get("code") or "").strip()[:40]
    reader = reader_of(runtime, request, cashier)
    found, errors = None, {}
    try:
        if not code:
            raise InvalidInput("enter the certificate's code", field="code")
        found = certificates.look_up(runtime, cashier.tenant_id, code)
    except RegularsError as exc:
        errors = errors_of(exc, reader)
    return render(request, "terminal/certificate.html", reader,
                  status_code=422 if errors else 200, values={"code": code}, errors=errors,
                  found=found)
