"""Console page: cashier own-card fraud. The flagged (cashier, member) pairs, highest score
first, each with its evidence in words; owners run a scan and dismiss or confirm a flag,
analysts and marketers read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.domain.analytics.fraud import LIMITS, Thresholds
from regulars.errors import RegularsError
from regulars.services.analytics import fraud
from regulars.services.analytics.fraud import SignalView
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import N_
from regulars.web.console import router
from regulars.web.console.pagekit import PAGE_SIZE, form_errors, page_number, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_int
from regulars.web.templating import Reader, render

STATUSES = ("open", "dismissed", "confirmed")
STATUS_WORDS = {"open": N_("open"), "dismissed": N_("dismissed"), "confirmed": N_("confirmed")}


def _concentration(reader: Reader, p: dict[str, int]) -> str:
    return reader.gettext(
        "%(receipts)s of the member's %(total)s receipts in the store (%(share)s %%) were with "
        "this cashier, who serves %(expected)s %% of the store's members' receipts",
        receipts=p["receipts"], total=p["member_receipts"], share=p["share_percent"],
        expected=p["expected_percent"])


def _burst(reader: Reader, p: dict[str, int]) -> str:
    return reader.gettext("%(receipts)s receipts on this card by this cashier within "
                          "%(minutes)s minutes", receipts=p["receipts"], minutes=p["minutes"])


def _typed(reader: Reader, p: dict[str, int]) -> str:
    return reader.gettext("the card was typed in, not scanned, on %(typed)s of %(told)s "
                          "receipts (%(store)s %% in the store)", typed=p["typed"],
                          told=p["told"], store=p["store_percent"])


def _bonus(reader: Reader, p: dict[str, int]) -> str:
    return reader.gettext("%(bonus)s of %(receipts)s receipts fell on double-points moments "
                          "(%(store)s %% in the store)", bonus=p["bonus"],
                          receipts=p["receipts"], store=p["store_percent"])


def _staff_contact(reader: Reader, _: dict[str, int]) -> str:
    return reader.gettext("the member's phone or e-mail is this staff member's own")


def _adjustment(reader: Reader, p: dict[str, int]) -> str:
    return reader.gettext("this staff member added %(points)s points by hand to the member "
                          "(%(count)s times)", points=reader.number(p["points"]),
                          count=p["adjustments"])


EVIDENCE: dict[str, Callable[[Reader, dict[str, int]], str]] = {
    "concentration": _concentration, "burst": _burst, "typed": _typed, "bonus": _bonus,
    "staff_contact": _staff_contact, "adjustment": _adjustment,
}


def evidence(reader: Reader, signal: SignalView) -> str:
    """The signal in words (its code, for a signal this page does not know yet)."""
    words = EVIDENCE.get(signal.code)
    return words(reader, signal.params) if words else signal.code


THRESHOLD_WORDS = {
    "flag_score": N_("Flag a pair from this score"),
    "min_pair_receipts": N_("Receipts together before the patterns count"),
    "burst_window_minutes": N_("Burst window, minutes"),
    "burst_receipts": N_("Receipts in the window before it is a burst"),
    "typed_share_percent": N_("Typed-in share that counts, %"),
}


@dataclass(frozen=True, kw_only=True)
class ThresholdForm:
    """The thresholds form as shown: the values (saved, or as typed) and errors by field."""

    values: dict[str, str]
    errors: dict[str, str]
    saved: bool = False


def _page(request: Request, reader: Reader, runtime: RuntimeDep, *, status: str, number: int,
          errors: dict[str, str] | None = None, scanned: fraud.ScanResult | None = None,
          thresholds: ThresholdForm | None = None, status_code: int = 200) -> Response:
    assert reader.session is not None
    page = fraud.list_flags(runtime, reader.session.tenant_id, status=status, limit=PAGE_SIZE,
                            offset=(number - 1) * PAGE_SIZE)
    settings = fraud.get_settings(runtime, reader.session.tenant_id)
    form = thresholds or ThresholdForm(
        values={name: str(getattr(settings, name)) for name in LIMITS}, errors={})
    return render(request, "console/fraud.html", reader, status_code=status_code,
                  flags=page.items, total=page.total, status=status, statuses=STATUS_WORDS,
                  page=number, has_more=number * PAGE_SIZE < page.total, settings=settings,
                  evidence=lambda s: evidence(reader, s), errors=errors or {},
                  scanned=scanned, days=fraud.DEFAULT_DAYS, thresholds=form,
                  threshold_fields=[(name, THRESHOLD_WORDS[name], low, high)
                                    for name, (low, high) in LIMITS.items()])


@router.get("/fraud", dependencies=[needs(Permission.VIEW)])
def fraud_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
               status: str = "open", page: str = "1") -> Response:
    return _page(request, reader, runtime, status=status if status in STATUSES else "open",
                 number=page_number(page))


@router.post("/fraud/scan", dependencies=[needs(Permission.SETUP)])
def fraud_scan(request: Request, reader: StaffReader, runtime: RuntimeDep,
               form: Form) -> Response:
    assert reader.session is not None
    raw = text(form, "days", 6).strip()
    try:
        days = int(raw) if raw.isdigit() else 0
        result = fraud.scan(runtime, reader.session.tenant_id, days=days)
    except RegularsError as exc:
        return _page(request, reader, runtime, status="open", number=1,
                     errors=form_errors(exc, reader), status_code=422)
    return _page(request, reader, runtime, status="open", number=1, scanned=result)


@router.post("/fraud/{flag_id}/decision", dependencies=[needs(Permission.SETUP)])
def fraud_decide(reader: StaffReader, runtime: RuntimeDep, flag_id: int,
                 form: Form) -> Response:
    assert reader.session is not None
    decision = text(form, "decision", 12)
    fraud.decide(runtime, reader.session.tenant_id, flag_id, decision=decision,
                 staff_id=reader.session.staff_id, note=text(form, "note", 500) or None)
    back = "open" if decision != "open" else "dismissed"
    return RedirectResponse(f"/console/fraud?status={back}#flag-{flag_id}", status_code=303)


@router.post("/fraud/settings", dependencies=[needs(Permission.SETUP)])
def fraud_settings(request: Request, reader: StaffReader, runtime: RuntimeDep,
                   form: Form) -> Response:
    """Replace the scan's thresholds (on the audit trail); each bad value beside its field,
    nothing saved."""
    assert reader.session is not None
    values = {name: text(form, name, 12).strip() for name in LIMITS}
    parsed: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, (low, high) in LIMITS.items():
        try:
            parsed[name] = parse_int(values[name], field=name, minimum=low, maximum=high)
        except RegularsError as exc:
            errors.update(form_errors(exc, reader))
    if not errors:
        try:
            fraud.put_settings(runtime, reader.session.tenant_id, Thresholds(**parsed),
                               actor=staff_actor(reader))
        except RegularsError as exc:
            errors = form_errors(exc, reader)
    return _page(request, reader, runtime, status="open", number=1,
                 thresholds=ThresholdForm(values=values, errors=errors, saved=not errors),
                 status_code=422 if errors else 200)
