"""The demo's plain receipts, written in bulk: most of a year of trade needs no answer from the
till's commit (nobody spends points on them and no later step refunds them), so they are
priced here by the same engine as the till and written many at a time through the import
path (:func:`regulars.db.imports.history.insert_receipts_with_lines`) and the ledger's
:func:`~regulars.db.ledger.ops.earn_many`.

A receipt is priced when it is added, with the member's level from their qualifying spend per
day, which :class:`BulkReceipts` keeps for the members it has seen (read once from the
database, then counted as receipts are added). It is written at the next :meth:`flush`, in one
transaction with the others waiting: the receipt with its lines and spend, its base budget
row, its earn entry with the lot and balance, and the level the member was last told.
Before any use case reads or changes a member, :meth:`settle` writes that member's waiting
receipts, and :meth:`forget` drops what was counted for them, so the services always see
the ledger, spend and levels that one commit after another would have left.

The history this serves has no promotions, coupons, stamp cards, cashback or catalogue
rewards yet (the demo opens them afterwards), so a receipt's figures are the program's alone;
the explanation of what could have been spent is left out, as nothing here knows it.
Members' messages and webhook events a commit would queue are not written: the demo retires
its history's messages anyway, and its business has no webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.imports import history as import_history
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import Earning, EntryContext
from regulars.db.program import spend_totals
from regulars.db.promotions import budgets
from regulars.domain.checkout.engine import evaluate
from regulars.domain.checkout.quote import (
    BasketLine,
    Explanation,
    MemberContext,
    Quote,
    QuoteLine,
)
from regulars.domain.program.program import (
    DowngradePolicy,
    LevelStatus,
    Program,
    SpendWindows,
    level_status,
    window_starts,
)
from regulars.services.checkout.idempotency import request_hash
from regulars.services.checkout.pricing import explanation_text
from regulars.services.messaging import notify
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

LEFT_OUT = frozenset({"spend_limit"})
"""Explanations of a figure the bulk path does not know (the points that could be spent)."""


@dataclass(frozen=True, kw_only=True)
class Sale:
    """A plain receipt as a till would commit it, with no points spent."""

    terminal_id: int
    store_id: int
    staff_id: int | None
    receipt_no: str
    member_id: int | None
    may_earn: bool
    lines: tuple[BasketLine, ...]
    at: datetime
    identified_by: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Waiting:
    sale: Sale
    quote: Quote
    day: date
    explained: tuple[Explanation, ...]

    @property
    def why(self) -> list[dict[str, Any]]:
        return [{"code": e.code, "params": dict(e.params)} for e in self.explained]


@dataclass
class BulkReceipts:
    rt: Runtime
    tenant_id: int
    zone: ZoneInfo
    version: int = 0
    program: Program | None = None
    locale: str = "en"
    currency: str = "EUR"
    waiting: list[_Waiting] = field(default_factory=list)
    waiting_members: set[int] = field(default_factory=set)
    spend: dict[int, dict[date, int]] = field(default_factory=dict)
    levels: dict[int, str] = field(default_factory=dict)
    told: dict[int, str] = field(default_factory=dict)
    account_ids: dict[int, int] = field(default_factory=dict)
    written: int = 0

    def open(self) -> None:
        """Read the program in force and the business's language. Raises ``ValueError`` for a
        program that keeps a level floor (this path does not raise floors)."""
        tenant = get_tenant(self.rt, self.tenant_id)
        self.locale, self.currency = tenant.locale, tenant.currency
        with self.rt.db.read() as conn:
            self.version, self.program = programs.load_current(conn, self.tenant_id)
        if self.program.downgrade_policy is DowngradePolicy.NEVER:
            raise ValueError("the bulk path does not keep level floors")

    def joined(self, member_id: int) -> None:
        """A member registered just now: no spend yet."""
        self.spend[member_id] = {}

    def add(self, sale: Sale) -> int:
        """Price ``sale`` and keep it for the next :meth:`flush`; the points it earns."""
        program = self.program
        assert program is not None
        context = None
        day = sale.at.astimezone(self.zone).date()
        if sale.member_id is not None:
            status = self._status(sale.member_id, day)
            context = MemberContext(level=status, spendable_points=0, may_earn=sale.may_earn)
        quote = evaluate(program, sale.lines, context)
        explained = tuple(e for e in quote.explanations if e.code not in LEFT_OUT)
        self.waiting.append(_Waiting(sale, quote, day, explained))
        if sale.member_id is not None:
            days = self.spend[sale.member_id]
            days[day] = days.get(day, 0) + quote.paid_minor
            self.levels[sale.member_id] = self._status(sale.member_id, day).level.code
            self.waiting_members.add(sale.member_id)
        return quote.points_earned

    def _status(self, member_id: int, today: date) -> LevelStatus:
        assert self.program is not None
        days = self.spend.get(member_id)
        if days is None:
            with self.rt.db.read() as conn:
                days = spend_totals.daily_spend(conn, self.tenant_id, member_id)
            self.spend[member_id] = days
        rolling, this_year, last_year = window_starts(today)
        windows = SpendWindows(
            lifetime_minor=sum(v for d, v in days.items() if d <= today),
            rolling_12_months_minor=sum(v for d, v in days.items() if rolling <= d <= today),
            this_year_minor=sum(v for d, v in days.items() if this_year <= d <= today),
            last_year_minor=sum(v for d, v in days.items() if last_year <= d < this_year))
        return level_status(self.program, windows, None)

    def settle(self, member_id: int | None) -> None:
        """Write the waiting receipts when ``member_id`` has one among them."""
        if member_id is not None and member_id in self.waiting_members:
            self.flush()

    def forget(self, member_id: int | None) -> None:
        """Drop what was counted for a member a use case has just changed (read again when
        next needed)."""
        if member_id is not None:
            self.spend.pop(member_id, None)
            self.told.pop(member_id, None)

    def flush(self) -> None:
        """Write every waiting receipt in one transaction."""
        if not self.waiting:
            return
        waiting, self.waiting = self.waiting, []
        members, self.waiting_members = self.waiting_members, set()
        with self.rt.db.write() as conn:
            receipt_ids = self._receipts(conn, waiting)
            self._points(conn, waiting, receipt_ids)
            for member_id in sorted(members):
                level = self.levels[member_id]
                if self.told.get(member_id) != level:
                    notify.swap_level(conn, self.tenant_id, member_id, level,
                                      max(w.sale.at for w in waiting
                                          if w.sale.member_id == member_id))
                    self.told[member_id] = level
        self.written += len(waiting)

    def _receipts(self, conn: Connection, waiting: list[_Waiting]) -> list[int]:
        rows, lines = [], []
        for w in waiting:
            sale, q = w.sale, w.quote
            rows.append({
                "tenant_id": self.tenant_id, "terminal_id": sale.terminal_id,
                "store_id": sale.store_id, "staff_id": sale.staff_id,
                "receipt_no": sale.receipt_no, "member_id": sale.member_id,
                "status": "committed", "program_version": self.version,
                "gross_minor": q.gross_minor, "discount_minor": q.discount_minor,
                "points_spent": 0, "points_discount_minor": 0, "paid_minor": q.paid_minor,
                "points_earned": q.points_earned, "request_hash": request_hash(sale.payload),
                "response": self._response(q, w.explained), "occurred_at": sale.at,
                "recorded_at": sale.at, "identified_by": sale.identified_by})
            lines.append([_line(line, priced) for line, priced in zip(sale.lines, q.lines,
                                                                        strict=True)])
        return import_history.insert_receipts_with_lines(conn, rows, lines,
                                                         [w.day for w in waiting])

    def _points(self, conn: Connection, waiting: list[_Waiting], receipt_ids: list[int]
                ) -> None:
        assert self.program is not None
        earning = [(w, r) for w, r in zip(waiting, receipt_ids, strict=True)
                   if w.sale.member_id is not None and w.quote.points_earned > 0]
        wanted = [w.sale.member_id for w, _ in earning
                  if w.sale.member_id not in self.account_ids]
        if wanted:
            self.account_ids.update(ledger_ops.member_account_ids(
                conn, self.tenant_id, [m for m in wanted if m is not None]))
        budgets.record_base_many(conn, [
            {"tenant_id": self.tenant_id, "receipt_id": r, "month": w.day.replace(day=1),
             "base_points": w.quote.points_earned,
             "point_value_minor": self.program.point_value_minor} for w, r in earning])
        ledger_ops.earn_many(conn, self.tenant_id, [
            self._earning(w, receipt_id) for w, receipt_id in earning])

    def _earning(self, w: _Waiting, receipt_id: int) -> Earning:
        sale, member_id = w.sale, w.sale.member_id
        assert self.program is not None and member_id is not None
        available_at, expires_at = self.program.lot_dates(sale.at)
        return Earning(
            ctx=EntryContext(tenant_id=self.tenant_id, member_id=sale.member_id,
                             receipt_id=receipt_id, terminal_id=sale.terminal_id,
                             store_id=sale.store_id, staff_id=sale.staff_id,
                             program_version=self.version, occurred_at=sale.at,
                             recorded_at=sale.at),
            key=f"receipt:{receipt_id}:earn", account_id=self.account_ids[member_id],
            amount=w.quote.points_earned, available_at=available_at, expires_at=expires_at,
            memo={"why": w.why})

    def _response(self, q: Quote, explained: tuple[Explanation, ...]) -> dict[str, Any]:
        """What the receipt keeps of a commit's answer: its figures, each line's and the
        explanations (the receipt pages show these)."""
        return {
            "program_version": self.version, "currency": self.currency,
            "gross_minor": q.gross_minor, "discount_minor": q.discount_minor,
            "points_spent": 0, "points_discount_minor": 0, "paid_minor": q.paid_minor,
            "points_earned": q.points_earned, "rate_bp": q.rate_bp,
            "lines": [{"line_no": ln.line_no, "sku": ln.sku, "gross_minor": ln.gross_minor,
                       "discount_minor": _discount(ln),
                       "program_discount_minor": ln.program_discount_minor,
                       "promotion_discount_minor": ln.promotion_discount_minor,
                       "coupon_discount_minor": ln.coupon_discount_minor,
                       "points_spent": ln.points_spent,
                       "points_discount_minor": ln.points_discount_minor,
                       "paid_minor": ln.paid_minor, "points_earned": ln.points_earned}
                      for ln in q.lines],
            "explanations": [{"code": e.code, "params": dict(e.params),
                              "text": explanation_text(e, self.locale, self.currency)}
                             for e in explained]}


def _discount(ln: QuoteLine) -> int:
    return (ln.till_discount_minor + ln.program_discount_minor
               + ln.promotion_discount_minor + ln.coupon_discount_minor)


def _line(line: BasketLine, priced: QuoteLine) -> dict[str, Any]:
    return {"line_no": priced.line_no, "sku": priced.sku, "name": line.name,
            "category": priced.category, "quantity_milli": priced.quantity_milli,
            "unit_price_minor": line.unit_price_minor, "gross_minor": priced.gross_minor,
            "discount_minor": _discount(priced), "points_spent": priced.points_spent,
            "paid_minor": priced.paid_minor, "points_earned": priced.points_earned}
