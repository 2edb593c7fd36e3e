"""a partly refunded receipt's reward cost in the daily aggregates holds the points discount of the quantities kept

Revision ID: 0059
Revises: 0057
Create Date: 2026-12-07 10:00:00

``sales_days.*_reward_cost_minor`` counted the discount points paid on a partly refunded
receipt (its catalogue rewards' discount left out) in the proportion of the money it kept,
where a refund gives the member back each returned line's own share of the points. Commits
and refunds now count the points discount of the quantities kept, line by line: each line's
points discount (its gross less its discounts and the money it was paid) less the catalogue
reward's part of it (the discount of a claim naming the line; of a claim spread over several
lines, the share the line's points discount carries of the receipt's, rounded up), less the
share of that its returned quantity carries, rounded down. Here every partly refunded receipt
paid partly with points gets the difference of the two rules added to the row of its local
day, till, store and cashier; the downgrade takes it off again. The catalogue rewards' stated
cost and the cashback count as before.

It also counts in the base bucket the program's cashback of the receipts committed before
0055, which ``receipt_budgets`` left at 0: their ``cashback`` entry's memo names the program's
part (the ``cashback`` explanation's ``amount_minor``; the promotions' part explains itself
apart), and every commit since records that part on its row, so a row at 0 beside a memo
naming more is such a receipt and nothing else. What its refunds took back is the share of it
the money paid back carries (the rule of ``regulars.domain.stored_value.cashback`` as it
stands at this revision: cumulative, so the refunds' sum is the share of their total). The
downgrade leaves these counts: 0057 reads the same columns, and a new upgrade finds nothing
left at 0 to fill.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0059"
down_revision = "0057"
branch_labels = None
depends_on = None

_WHERE = "r.status = 'partially_refunded' AND r.points_discount_minor > 0"

_RECEIPTS = f"""
SELECT r.id, r.tenant_id, r.occurred_at, r.terminal_id, r.store_id, r.staff_id, r.member_id,
       r.points_discount_minor, r.paid_minor, r.refunded_paid_minor, t.timezone
FROM receipts r
JOIN tenants t ON t.id = r.tenant_id
WHERE {_WHERE}
"""

_LINES = f"""
SELECT l.receipt_id, l.line_no, l.quantity_milli, l.refunded_quantity_milli, l.gross_minor,
       l.discount_minor, l.paid_minor
FROM receipt_lines l
JOIN receipts r ON r.tenant_id = l.tenant_id AND r.id = l.receipt_id
WHERE {_WHERE} AND l.refunded_quantity_milli > 0
"""

# The claims whose discount the receipt's points discount holds: standing or closed by a refund.
_CLAIMS = f"""
SELECT c.receipt_id, c.line_no, c.discount_minor
FROM reward_claims c
JOIN receipts r ON r.tenant_id = c.tenant_id AND r.id = c.receipt_id
WHERE {_WHERE} AND c.status IN ('used', 'refunded')
"""


# The program cashback of receipts committed before 0055: rows at 0 (or none) beside a memo.
_CASHBACK = """
SELECT e.memo, r.id AS receipt_id, r.tenant_id, r.occurred_at, r.paid_minor,
       r.refunded_paid_minor, t.timezone, b.id AS budget_id
FROM entries e
JOIN receipts r ON r.tenant_id = e.tenant_id AND r.id = e.receipt_id
JOIN tenants t ON t.id = r.tenant_id
LEFT JOIN receipt_budgets b ON b.tenant_id = r.tenant_id AND b.receipt_id = r.id
WHERE e.code = 'cashback' AND (b.id IS NULL OR b.cashback_minor = 0)
ORDER BY r.id
"""


def _utc(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _floor_share(total: int, part: int, whole: int) -> int:
    """``total``'s share carried by ``part`` of ``whole``, floored toward zero (the rule of
    ``regulars.domain.money.prorate`` as it stands at this revision)."""
    if part >= whole:
        return total
    sign = -1 if total < 0 else 1
    return sign * (abs(total) * part // whole)


def _claims() -> dict[int, tuple[int, dict[int, int]]]:
    """Per receipt: its claims' whole discount, and the discount of those naming a line."""
    found: dict[int, tuple[int, dict[int, int]]] = {}
    for c in op.get_bind().execute(sa.text(_CLAIMS)).mappings():
        total, named = found.setdefault(int(c["receipt_id"]), (0, {}))
        if c["line_no"] is not None:
            named[int(c["line_no"])] = named.get(int(c["line_no"]), 0) + int(c["discount_minor"])
        found[int(c["receipt_id"])] = (total + int(c["discount_minor"]), named)
    return found


def _returned(points_minor: dict[int, int],
              claims: dict[int, tuple[int, dict[int, int]]]) -> dict[int, int]:
    """Per receipt (of ``points_minor``, its points discount): the points discount of the
    quantities returned, the catalogue rewards' part left out."""
    back: dict[int, int] = defaultdict(int)
    for ln in op.get_bind().execute(sa.text(_LINES)).mappings():
        receipt_id, whole = int(ln["receipt_id"]), int(ln["quantity_milli"])
        total, named = claims.get(receipt_id, (0, {}))
        receipt_points = points_minor[receipt_id]
        points = int(ln["gross_minor"]) - int(ln["discount_minor"]) - int(ln["paid_minor"])
        spread = total - sum(named.values())
        off = points - named.get(int(ln["line_no"]), 0) + (-spread * points) // receipt_points
        if whole > 0:
            back[receipt_id] += _floor_share(off, int(ln["refunded_quantity_milli"]), whole)
    return back


def _differences() -> dict[tuple[Any, ...], int]:
    """What each row gains: (tenant, day, till, store, cashier, column) -> minor units."""
    receipts = list(op.get_bind().execute(sa.text(_RECEIPTS)).mappings())
    claims = _claims()
    back = _returned({int(r["id"]): int(r["points_discount_minor"]) for r in receipts}, claims)
    found: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in receipts:
        paid, refunded = int(r["paid_minor"]), int(r["refunded_paid_minor"] or 0)
        net = int(r["points_discount_minor"]) - claims.get(int(r["id"]), (0, {}))[0]
        old = net if paid <= 0 else net * (paid - refunded) // paid
        new = net - back.get(int(r["id"]), 0)
        if new == old:
            continue
        day = _utc(r["occurred_at"]).astimezone(ZoneInfo(r["timezone"])).date()
        kind = "anonymous" if r["member_id"] is None else "member"
        found[(r["tenant_id"], day, r["terminal_id"] or 0, r["store_id"] or 0,
               r["staff_id"] or 0, f"{kind}_reward_cost_minor")] += new - old
    return found


def _apply(sign: int) -> None:
    bind = op.get_bind()
    for (tenant_id, day, terminal_id, store_id, staff_id, column), amount in sorted(
        _differences().items(), key=lambda item: tuple(str(k) for k in item[0])
    ):
        bind.execute(
            sa.text(
                f"UPDATE sales_days SET {column} = {column} + :amount "
                "WHERE tenant_id = :tenant_id AND day = :day AND terminal_id = :terminal_id "
                "AND store_id = :store_id AND staff_id = :staff_id"
            ).bindparams(sa.bindparam("day", type_=sa.Date())),
            {"amount": sign * amount, "tenant_id": tenant_id, "day": day,
             "terminal_id": terminal_id, "store_id": store_id, "staff_id": staff_id},
        )


def _program_cashback(memo: Any) -> int:
    """The program's part of a ``cashback`` entry, as its memo explains it."""
    found = json.loads(memo) if isinstance(memo, str) else memo
    return sum(int(why.get("params", {}).get("amount_minor", 0))
               for why in found.get("why", []) if why.get("code") == "cashback")


def _fill_program_cashback() -> None:
    bind = op.get_bind()
    for row in list(bind.execute(sa.text(_CASHBACK)).mappings()):
        amount = _program_cashback(row["memo"])
        if amount <= 0:
            continue
        paid, refunded = int(row["paid_minor"]), int(row["refunded_paid_minor"] or 0)
        back = _floor_share(amount, min(refunded, paid), paid) if paid > 0 else 0
        values = {"cashback": amount, "back": back, "tenant_id": row["tenant_id"],
                  "receipt_id": row["receipt_id"]}
        if row["budget_id"] is not None:
            bind.execute(sa.text(
                "UPDATE receipt_budgets SET cashback_minor = :cashback, "
                "refunded_cashback_minor = :back "
                "WHERE tenant_id = :tenant_id AND receipt_id = :receipt_id"), values)
            continue
        day = _utc(row["occurred_at"]).astimezone(ZoneInfo(row["timezone"])).date()
        bind.execute(sa.text(
            "INSERT INTO receipt_budgets (tenant_id, receipt_id, month, base_points, "
            "refunded_points, point_value_minor, cashback_minor, refunded_cashback_minor) "
            "VALUES (:tenant_id, :receipt_id, :month, 0, 0, 0, :cashback, :back)"
        ).bindparams(sa.bindparam("month", type_=sa.Date())),
            {**values, "month": day.replace(day=1)})


def upgrade() -> None:
    _apply(1)
    _fill_program_cashback()


def downgrade() -> None:
    _apply(-1)
