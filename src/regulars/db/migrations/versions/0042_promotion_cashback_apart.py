"""promotion cashback apart: a promotion's cashback no longer counted in its discount

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06 20:10:00
``receipt_promotions`` gains ``cashback_minor`` and ``refunded_cashback_minor``, and each
line's share in ``lines`` becomes ``[discount_minor, points, cashback_minor]``. Until now the
money a promotion credited to the wallet was stored in ``discount_minor``. Here it moves over
for the rows whose promotion version has a cashback effect: the whole amount when cashback is
its only money effect, else the ``cashback_minor`` the receipt's stored answer gave that
promotion. Each line's share of it is spread by the money paid on the lines, and what refunds
gave back of it follows each line's refunded quantity, as commits and refunds now record them.
Downgrade adds the cashback back into the discount.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from regulars.domain.money import allocate, prorate

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

BATCH = 1000
# The effects that give money off the receipt (regulars.domain.promotions.effects).
MONEY_OFF = {'percent_discount', 'fixed_discount', 'set_price', 'cheapest_free',
             'volume_steps', 'gift_with_purchase'}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _cashback_given(row: sa.Row[Any]) -> int:
    """The part of the row's ``discount_minor`` that was cashback."""
    kinds = {e.get('kind') for e in _json(row.definition).get('effects', [])}
    if 'cashback' not in kinds:
        return 0
    if not kinds & MONEY_OFF:
        return int(row.discount_minor)
    answer = _json(row.response) or {}
    given = [p.get('cashback_minor', 0) for p in answer.get('promotions', [])
             if p.get('id') == row.promotion_id]
    return min(int(row.discount_minor), int(given[0])) if given else 0


def _moved(row: sa.Row[Any], lines_of: dict[int, list[sa.Row[Any]]]) -> dict[str, Any] | None:
    """The row with its cashback apart: each line's share spread by the money paid on the
    lines (as commits now record it), and what refunds gave back of it by each line's
    refunded quantity (cumulative shares telescope, so that is exact)."""
    cashback = _cashback_given(row)
    if cashback <= 0:
        return None
    total, refunded = int(row.discount_minor), int(row.refunded_discount_minor)
    stored, new_lines = _json(row.lines), None
    refunded_back = prorate(refunded, cashback, total)
    receipt_lines = lines_of.get(row.receipt_id, [])
    if stored is not None and len(stored) == len(receipt_lines):
        paid = [int(ln.paid_minor) for ln in receipt_lines]
        parts = allocate(cashback, paid)
        new_lines = json.dumps([[int(pair[0]) - c, pair[1], c]
                                for pair, c in zip(stored, parts, strict=True)])
        refunded_back = min(refunded, sum(
            prorate(c, int(ln.refunded_quantity_milli), int(ln.quantity_milli))
            for c, ln in zip(parts, receipt_lines, strict=True) if ln.quantity_milli > 0))
    return {'id': row.id, 'discount': total - cashback, 'cashback': cashback,
            'refunded': refunded - refunded_back, 'refunded_cashback': refunded_back,
            'lines': new_lines}


def _lines_of(bind: sa.Connection, receipt_ids: set[int]) -> dict[int, list[sa.Row[Any]]]:
    found: dict[int, list[sa.Row[Any]]] = {}
    if not receipt_ids:
        return found
    rows = bind.execute(sa.text(
        'SELECT receipt_id, paid_minor, quantity_milli, refunded_quantity_milli '
        'FROM receipt_lines WHERE receipt_id IN :ids ORDER BY receipt_id, line_no').bindparams(
        sa.bindparam('ids', expanding=True)), {'ids': sorted(receipt_ids)}).all()
    for r in rows:
        found.setdefault(r.receipt_id, []).append(r)
    return found


def upgrade() -> None:
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cashback_minor', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('refunded_cashback_minor', sa.BigInteger(),
                                      server_default='0', nullable=False))
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(sa.text(
            'SELECT rp.id, rp.receipt_id, rp.promotion_id, rp.discount_minor, '
            'rp.refunded_discount_minor, rp.lines, v.definition, r.response '
            'FROM receipt_promotions rp '
            'JOIN promotion_versions v ON v.tenant_id = rp.tenant_id '
            'AND v.promotion_id = rp.promotion_id AND v.version = rp.version '
            'JOIN receipts r ON r.tenant_id = rp.tenant_id AND r.id = rp.receipt_id '
            'WHERE rp.id > :after ORDER BY rp.id LIMIT :n'), {'after': after, 'n': BATCH}).all()
        if not rows:
            return
        with_cashback = [r for r in rows if _cashback_given(r) > 0]
        lines_of = _lines_of(bind, {r.receipt_id for r in with_cashback})
        moved = [m for m in (_moved(r, lines_of) for r in with_cashback) if m is not None]
        if moved:
            bind.execute(sa.text(
                'UPDATE receipt_promotions SET discount_minor = :discount, '
                'cashback_minor = :cashback, refunded_discount_minor = :refunded, '
                'refunded_cashback_minor = :refunded_cashback, '
                'lines = COALESCE(:lines, lines) WHERE id = :id'), moved)
        after = rows[-1].id


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        'SELECT id, discount_minor, cashback_minor, refunded_discount_minor, '
        'refunded_cashback_minor, lines FROM receipt_promotions '
        'WHERE cashback_minor <> 0 OR refunded_cashback_minor <> 0')).all()
    if rows:
        bind.execute(sa.text(
            'UPDATE receipt_promotions SET discount_minor = :discount, '
            'refunded_discount_minor = :refunded, lines = COALESCE(:lines, lines) '
            'WHERE id = :id'),
            [{'id': r.id, 'discount': r.discount_minor + r.cashback_minor,
              'refunded': r.refunded_discount_minor + r.refunded_cashback_minor,
              'lines': None if _json(r.lines) is None else json.dumps(
                  [[p[0] + (p[2] if len(p) > 2 else 0), p[1]] for p in _json(r.lines)])}
             for r in rows])
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.drop_column('refunded_cashback_minor')
        batch_op.drop_column('cashback_minor')
