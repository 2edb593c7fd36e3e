"""Refunds and voids of committed receipts, inside the caller's unit of work.

A refund of some quantity of a line takes back the points that quantity earned and returns the
points that quantity was paid with, in proportion, computed cumulatively: after any sequence of
partial refunds that covers the whole receipt, exactly the earned points have been taken back
and exactly the spent points returned, each once. The refund or void that leaves nothing of the
receipt also gives back its coupon uses (see :func:`regulars.services.coupons.give_back`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db import ledger, ledger_lots, members, receipts, spend_totals, tenancy
from regulars.db.ledger import EntryContext, Shortfall
from regulars.domain.ledger import EntryCode, Posting, SystemAccount
from regulars.domain.money import prorate
from regulars.domain.program import DebtPolicy
from regulars.errors import InvalidInput, NotFound, RefundRefused, VoidRefused
from regulars.services import budgets, coupon_issue, coupons, programs, referral_chain
from regulars.services.auth import Principal
from regulars.services.checkout_results import RefundDone, RefundedLine, RefundResult


def refund_receipt(conn: Connection, principal: Principal, receipt_id: int,
                   lines: list[tuple[int, int]] | None, *, key: str, now: datetime,
                   void: bool) -> RefundResult:
    """Refund ``lines`` (``(line_no, quantity_milli)``; ``None``: everything left) of a
    receipt, or void it.

    Raises :class:`NotFound` for an unknown receipt (or another tenant's),
    :class:`RefundRefused` for a voided or fully refunded receipt, an unknown line, or more
    quantity than is left, and when the earned points were already spent and the program's
    debt policy is ``refuse``; :class:`VoidRefused` outside the void window or after a refund.
    """
    tenant_id = principal.tenant_id
    receipt = receipts.get_receipt(conn, tenant_id, receipt_id, for_update=True)
    if receipt is None:
        raise NotFound("receipt not found")
    program = programs.load_version(conn, tenant_id, receipt["program_version"])
    if void:
        if receipt["status"] != "committed":
            raise VoidRefused(f"a {receipt['status']} receipt cannot be voided")
        if now - receipt["recorded_at"] > timedelta(minutes=program.void_window_minutes):
            raise VoidRefused(f"receipts can be voided within {program.void_window_minutes} "
                              "minutes of their commit; refund it instead")
    elif receipt["status"] in ("voided", "refunded"):
        raise RefundRefused(f"the receipt is already {receipt['status']}")

    rows = {ln["line_no"]: ln for ln in receipts.lines_of(conn, tenant_id, receipt_id)}
    wanted = _wanted(rows, lines)
    earned_back = spent_back = paid_back = 0
    done_lines = []
    shares = []
    for line_no, quantity in wanted:
        row = rows[line_no]
        whole, before = row["quantity_milli"], row["refunded_quantity_milli"]
        if not receipts.add_refunded_quantity(conn, tenant_id, receipt_id, line_no, quantity):
            raise RefundRefused(f"line {line_no}: only {whole - before} thousandths are left "
                                "to refund", field="lines")
        after = before + quantity
        earned_back += _share(row["points_earned"], before, after, whole)
        spent_back += _share(row["points_spent"], before, after, whole)
        paid_back += _share(row["paid_minor"], before, after, whole)
        shares.append((line_no, before, after, whole))
        done_lines.append({"line_no": line_no, "quantity_milli": quantity})

    budgets.give_back(conn, tenant_id, receipt_id, receipt["member_id"],
                      point_value_minor=program.point_value_minor, refunded=shares,
                      earned_back=earned_back)
    fully = all(rows[n]["refunded_quantity_milli"] + _qty(wanted, n) == rows[n]["quantity_milli"]
                for n in rows)
    status = "voided" if void else ("refunded" if fully else "partially_refunded")
    member_id = receipt["member_id"]
    if member_id is not None:
        # Before the account row, in the order a commit takes them (no deadlock between the two).
        _count_spend(conn, receipt, status=status, paid_back=paid_back)
    debt = forgiven = 0
    reverse = earned_back
    entry_ids: dict[str, int] = {}
    if member_id is not None and (earned_back or spent_back):
        member = members.get_member(conn, tenant_id, member_id)
        assert member is not None
        ctx = EntryContext(tenant_id=tenant_id, member_id=member_id, receipt_id=receipt_id,
                           terminal_id=principal.terminal_id, store_id=principal.store_id,
                           program_version=receipt["program_version"], occurred_at=now,
                           recorded_at=now)
        kind = "void" if void else "refund"
        by_code = _entries_of(conn, tenant_id, receipt_id)
        if spent_back:
            code = EntryCode.VOID if void else EntryCode.REFUND_SPEND
            moves = _restorable(conn, tenant_id, by_code, spent_back)
            entry_ids["returned"] = entry_id = ledger.write_entry(
                conn, ctx, code=code, key=f"receipt:{receipt_id}:{kind}:{key}:returned",
                postings_=[Posting(ledger.system_account_id(conn, tenant_id,
                                                            SystemAccount.REDEEMED),
                                   -spent_back),
                           Posting(member.account_id, spent_back)],
                member_points=spent_back,
                memo={"lots": [list(move) for move in moves],
                      "why": [{"code": f"{kind}_returned", "params": {"points": spent_back}}]})
            ledger_lots.restore(conn, tenant_id, member.account_id, entry_id, moves, now=now,
                                fresh_expires_at=program.lot_dates(now)[1])
        if earned_back:
            # Earned points that expired before the refund were lost once already: they are
            # forgiven, not taken back a second time.
            origin = _origin_lot(conn, tenant_id, by_code)
            if origin is not None:
                gone = ledger_lots.lot_gone(conn, tenant_id, origin, now)
                earlier = sum(r["points_forgiven"]
                              for r in receipts.refunds_of(conn, tenant_id, receipt_id))
                forgiven = min(earned_back, max(0, gone - earlier))
            reverse = earned_back - forgiven
        if earned_back and reverse:
            code = EntryCode.VOID if void else EntryCode.REFUND_EARN
            why = [{"code": f"{kind}_reversed", "params": {"points": reverse}}]
            if forgiven:
                why.append({"code": "refund_forgiven", "params": {"points": forgiven}})
            entry_ids["reversed"] = entry_id = ledger.write_entry(
                conn, ctx, code=code, key=f"receipt:{receipt_id}:{kind}:{key}:reversed",
                postings_=[Posting(member.account_id, -reverse),
                           Posting(ledger.system_account_id(conn, tenant_id,
                                                            SystemAccount.ISSUED),
                                   reverse)],
                member_points=-reverse, memo={"forgiven": forgiven, "why": why})
            try:
                debt = ledger_lots.take_back(
                    conn, tenant_id, member.account_id, entry_id, reverse, origin, now,
                    allow_debt=program.debt_policy is DebtPolicy.ALLOW_NEGATIVE)
            except Shortfall as exc:
                raise RefundRefused(
                    "the points this receipt earned were already spent, and the program "
                    "does not allow a negative balance", field="lines") from exc

    voided_coupons = 0
    if status in ("voided", "refunded"):
        coupons.give_back(conn, tenant_id, receipt_id, now)
        voided_coupons = coupon_issue.void_unused(conn, tenant_id, receipt_id, now)
        if member_id is not None:
            referral_chain.reverse_first_purchase(
                conn, tenant_id, receipt_id=receipt_id, member_id=member_id, program=program,
                now=now, terminal_id=principal.terminal_id, store_id=principal.store_id)
    receipts.update_receipt(conn, tenant_id, receipt_id, status=status,
                            refunded_paid_minor=receipt["refunded_paid_minor"] + paid_back)
    refund_id = receipts.insert_refund(
        conn, tenant_id=tenant_id, receipt_id=receipt_id, terminal_id=principal.terminal_id,
        kind="void" if void else "refund", paid_minor=paid_back, points_reversed=reverse,
        points_returned=spent_back, points_forgiven=forgiven, debt_points=debt,
        lines=done_lines, occurred_at=now)
    balance = None
    if member_id is not None:
        balance = ledger.account_state(conn, tenant_id, member_id).balance
    return RefundResult(
        refund=RefundDone(id=refund_id, kind="void" if void else "refund",
                          receipt_id=receipt_id, status=status, paid_minor=paid_back,
                          points_reversed=reverse, points_returned=spent_back,
                          points_forgiven=forgiven, debt_points=debt,
                          lines=tuple(RefundedLine(**ln) for ln in done_lines), occurred_at=now),
        entries=entry_ids, member_id=member_id, balance_points=balance,
        issued_coupons_voided=voided_coupons)


def _count_spend(conn: Connection, receipt: dict[str, Any], *, status: str,
                 paid_back: int) -> None:
    """Take what a refund or void removed from the receipt's qualifying spend off the
    member's day (the receipt row is locked, so ``receipt`` is what this changed)."""
    before = spend_totals.qualifying(receipt)
    after = spend_totals.qualifying(
        {**receipt, "status": status,
         "refunded_paid_minor": receipt["refunded_paid_minor"] + paid_back})
    if after != before:
        tenant = tenancy.get_tenant(conn, receipt["tenant_id"])
        assert tenant is not None
        at = receipt["occurred_at"]
        spend_totals.add_spend(conn, tenant_id=tenant.id, member_id=receipt["member_id"],
                               day=spend_totals.local_day(at, ZoneInfo(tenant.timezone)),
                               net_minor=after - before, at=at)


def _wanted(rows: dict[int, dict[str, Any]],
            lines: list[tuple[int, int]] | None) -> list[tuple[int, int]]:
    if lines is None:
        left = [(n, r["quantity_milli"] - r["refunded_quantity_milli"]) for n, r in rows.items()]
        left = [(n, q) for n, q in left if q > 0]
        if not left:
            raise RefundRefused("nothing is left to refund on this receipt")
        return left
    if not lines:
        raise InvalidInput("name at least one line to refund", field="lines")
    merged: dict[int, int] = defaultdict(int)
    for line_no, quantity in lines:
        if line_no not in rows:
            raise RefundRefused(f"the receipt has no line {line_no}", field="lines")
        if quantity <= 0:
            raise InvalidInput("a refunded quantity must be positive", field="lines")
        merged[line_no] += quantity
    return sorted(merged.items())


def _qty(wanted: list[tuple[int, int]], line_no: int) -> int:
    return sum(q for n, q in wanted if n == line_no)


def _share(total: int, before: int, after: int, whole: int) -> int:
    return prorate(total, after, whole) - prorate(total, before, whole)


def _entries_of(conn: Connection, tenant_id: int, receipt_id: int) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for entry_id, code in ledger.receipt_entries(conn, tenant_id, receipt_id):
        found[code].append(entry_id)
    return found


def _origin_lot(conn: Connection, tenant_id: int, by_code: dict[str, list[int]]) -> int | None:
    for entry_id in by_code.get(EntryCode.EARN.value, []):
        for lot_id, amount in ledger_lots.moves_of(conn, tenant_id, entry_id):
            if amount > 0:
                return lot_id
    return None


def _restorable(conn: Connection, tenant_id: int, by_code: dict[str, list[int]],
                points: int) -> list[tuple[int, int]]:
    """Lots to return ``points`` to: those the spend took from, less what earlier refunds
    returned, latest-expiring first (the reverse of the order they were spent in)."""
    left: dict[int, int] = defaultdict(int)
    order: list[int] = []
    for entry_id in by_code.get(EntryCode.SPEND.value, []):
        for lot_id, amount in ledger_lots.moves_of(conn, tenant_id, entry_id):
            if amount < 0:
                if lot_id not in left:
                    order.append(lot_id)
                left[lot_id] += -amount
    returned = ledger.entry_memos(conn, tenant_id, by_code.get(EntryCode.REFUND_SPEND.value, []))
    for memo in returned.values():
        for lot_id, amount in memo.get("lots", []):
            left[lot_id] -= amount
    moves: list[tuple[int, int]] = []
    need = points
    for lot_id in reversed(order):
        part = min(need, max(0, left[lot_id]))
        if part:
            moves.append((lot_id, part))
            need -= part
    if need:
        raise RefundRefused("the spend on this receipt cannot be matched to its lots")
    return moves
