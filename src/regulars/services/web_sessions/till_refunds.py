"""Refunds and voids at the built-in till: by line and quantity or the whole receipt, with a
reason, confirmed after the cashier has seen the amount, and allowed by an owner's PIN when
the money returned passes the business's limit.

The refund itself is :func:`regulars.services.checkout.checkout.refund` (the POS API's), which
keeps the reason, the cashier and the manager with it in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from regulars.db.checkout import refund_notes
from regulars.db.engine import UniqueViolation
from regulars.db.web_sessions import sessions as web_rows
from regulars.domain.money import prorate
from regulars.errors import InvalidInput
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.checkout.checkout import RefundNote
from regulars.services.checkout.idempotency import Outcome
from regulars.services.runtime import Runtime
from regulars.services.web_sessions import sessions
from regulars.services.web_sessions import till as till_service
from regulars.services.web_sessions.sessions import WebSession

MAX_REASON_CHARS = 200
MAX_LIMIT_MINOR = 10 ** 12


@dataclass(frozen=True, kw_only=True)
class RefundAsk:
    """What the cashier asks: some ``(line_no, quantity_milli)``, or everything left
    (``lines`` None), or a void; and why."""

    receipt_pk: int
    lines: tuple[tuple[int, int], ...] | None
    void: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class RefundCheck:
    """What the confirmation shows: the money going back, and whether (and who) must allow
    it with a PIN."""

    amount_minor: int
    needs_manager: bool
    managers: tuple[dict[str, object], ...]


def _line_amount(line: dict[str, Any], quantity_milli: int) -> int:
    """The money this quantity of a line gives back: the same cumulative share the refund
    plan computes (:mod:`regulars.domain.checkout.refunds`)."""
    whole, before = int(line["quantity_milli"]), int(line["refunded_quantity_milli"])
    paid = int(line["paid_minor"])
    return prorate(paid, before + quantity_milli, whole) - prorate(paid, before, whole)


class AskRefused(InvalidInput):
    """Every problem of a refund form at once (``problems``); the first is this error's own."""

    def __init__(self, problems: list[InvalidInput]) -> None:
        first = problems[0]
        super().__init__(first.template, field=first.field, params=first.params)
        self.problems = tuple(problems)


def _amount(receipt: dict[str, Any], ask: RefundAsk, problems: list[InvalidInput]) -> int:
    if ask.lines is None:
        return int(receipt["paid_minor"]) - int(receipt["refunded_paid_minor"])
    by_no = {int(line["line_no"]): line for line in receipt["lines"]}
    total = 0
    for line_no, quantity_milli in ask.lines:
        line = by_no.get(line_no)
        if line is None:
            problems.append(InvalidInput("no such line on the receipt", field=f"qty-{line_no}"))
            continue
        left = int(line["quantity_milli"]) - int(line["refunded_quantity_milli"])
        if not 0 < quantity_milli <= left:
            problems.append(InvalidInput("at most %(left)s can be refunded",
                                         field=f"qty-{line_no}",
                                         params={"left": f"{left / 1000:g}"}))
            continue
        total += _line_amount(line, quantity_milli)
    return total


def assess(rt: Runtime, session: WebSession, ask: RefundAsk) -> RefundCheck:
    """What the refund would give back and whether it needs a manager's PIN. Raises
    :class:`NotFound` for another till's receipt and :class:`AskRefused` listing a missing
    reason (``reason``) and each quantity its line does not have left (``qty-<line>``)."""
    receipt = till_service.receipt(rt, session, ask.receipt_pk)
    problems: list[InvalidInput] = []
    amount = _amount(receipt, ask, problems)
    if not ask.reason.strip():
        problems.append(InvalidInput("enter the reason for the refund", field="reason"))
    elif len(ask.reason) > MAX_REASON_CHARS:
        problems.append(InvalidInput("at most %(limit)s characters", field="reason",
                                     params={"limit": MAX_REASON_CHARS}))
    if problems:
        raise AskRefused(problems)
    with rt.db.read() as conn:
        limit = refund_notes.manager_pin_above(conn, session.tenant_id)
    needs = limit is not None and amount > limit
    return RefundCheck(amount_minor=amount, needs_manager=needs,
                       managers=tuple(sessions.till_managers(rt, session)) if needs else ())


def refund(rt: Runtime, session: WebSession, ask: RefundAsk, *, key: str,
           manager_id: int | None = None, manager_pin: str = "", client: str = "") -> Outcome:
    """Refund or void as asked, once per ``key``, after :func:`assess`; when the amount
    needs it, ``manager_id``'s PIN must be right (:class:`Unauthorized` on
    ``manager_pin``, :class:`InvalidInput` on ``manager_id`` when none is chosen). The
    checkout's refusals (:class:`RefundRefused`, :class:`VoidRefused`) pass through."""
    check = assess(rt, session, ask)
    approved_by = None
    if check.needs_manager:
        if manager_id is None:
            raise InvalidInput("a manager must allow a refund of this amount",
                               field="manager_id")
        approved_by = sessions.manager_approval(rt, session, staff_id=manager_id,
                                                pin=manager_pin, client=client)
    lines = list(ask.lines) if ask.lines is not None else None
    payload = {"receipt": ask.receipt_pk, "lines": lines, "void": ask.void,
               "reason": ask.reason.strip()}
    return checkout.refund(rt, till_service.principal_for(session), ask.receipt_pk, lines,
                           key=f"terminal:{key}", payload=payload, void=ask.void,
                           note=RefundNote(reason=ask.reason.strip(), staff_id=session.staff_id,
                                           approved_by_staff_id=approved_by))


def owners_with_pin(rt: Runtime, tenant_id: int) -> int:
    """How many owners could allow a refund above the limit at a till (they have a PIN)."""
    with rt.db.read() as conn:
        return web_rows.owners_with_pin(conn, tenant_id)


def manager_pin_above(rt: Runtime, tenant_id: int) -> int | None:
    """The amount above which a refund at the built-in till needs a manager's PIN."""
    with rt.db.read() as conn:
        return refund_notes.manager_pin_above(conn, tenant_id)


def set_manager_pin_above(rt: Runtime, tenant_id: int, amount_minor: int | None, *,
                          actor: audit.Actor) -> None:
    """Set (``None``: clear) the amount above which a till refund needs a manager's PIN; the
    change is on the audit trail."""
    if amount_minor is not None and not 0 <= amount_minor <= MAX_LIMIT_MINOR:
        raise InvalidInput("must be 0 or more", field="manager_pin_above")
    for _ in range(2):  # two first saves at once: the second finds the row and updates it
        try:
            with rt.db.write() as conn:
                refund_notes.set_manager_pin_above(conn, tenant_id, amount_minor, rt.now())
                audit.record(conn, tenant_id, actor, "settings.till_policy", "till policy",
                             at=rt.now(), manager_pin_above_minor=amount_minor)
            return
        except UniqueViolation:
            continue


def notes(rt: Runtime, tenant_id: int, refund_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each refund's reason, cashier and approving manager, by refund id."""
    with rt.db.read() as conn:
        return refund_notes.notes_of(conn, tenant_id, refund_ids)
