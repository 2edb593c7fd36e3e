"""entries name their asset; the daily aggregates count entries of points only

Revision ID: 0053
Revises: 0050
Create Date: 2026-12-07 00:00:00

``sales_days.points_issued``, ``points_redeemed`` and ``points_expired`` counted every ledger
entry by its code, whatever its asset: a ``void`` giving 20.00 back to a wallet counted as
2000 points redeemed less, a stamp card's ``earn`` as points issued, a certificate's
``expire`` as points expired. Entries of money, goods and stamps now count nothing, and the
figures tell them by ``entries.asset`` (new here, ``points`` by default, set from the
accounts of each entry of another asset's postings). Each such entry already counted has what
it counted taken off the row of its local day, till, store and cashier, by the rules that
counted it; the downgrade adds it back and drops the column.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0053"
down_revision = "0050"
branch_labels = None
depends_on = None

ACCRUALS = "('earn', 'welcome', 'referral', 'birthday', 'profile', 'event')"
COUNTED = (
    "('earn', 'welcome', 'referral', 'birthday', 'profile', 'event', 'refund_earn', "
    "'referral_reversal', 'void', 'spend', 'refund_spend', 'expire')"
)
_ISSUED = (
    f"CASE WHEN (e.code IN {ACCRUALS} AND e.points > 0) OR e.code IN ('refund_earn', "
    "'referral_reversal') OR (e.code = 'void' AND e.points < 0) THEN e.points ELSE 0 END"
)
_REDEEMED = (
    "CASE WHEN e.code IN ('spend', 'refund_spend') OR (e.code = 'void' AND "
    "e.points > 0) THEN -e.points ELSE 0 END"
)
_EXPIRED = "CASE WHEN e.code = 'expire' THEN -e.points ELSE 0 END"
COLUMNS = ("points_issued", "points_redeemed", "points_expired")

_NOT_POINTS = f"""
SELECT e.tenant_id, e.occurred_at, e.terminal_id, e.store_id, e.staff_id, t.timezone,
       {_ISSUED} AS points_issued, {_REDEEMED} AS points_redeemed,
       {_EXPIRED} AS points_expired
FROM entries e
JOIN tenants t ON t.id = e.tenant_id
WHERE e.code IN {COUNTED}
  AND e.asset <> 'points'
"""

# Driven by the accounts of other assets (few postings each, by the postings' (tenant,
# account) index): every posting of an entry is of its asset.
_SET_ASSET = """
UPDATE entries SET asset = other.asset
FROM (SELECT DISTINCT p.tenant_id, p.entry_id, a.asset
      FROM accounts a JOIN postings p ON p.tenant_id = a.tenant_id AND p.account_id = a.id
      WHERE a.asset <> 'points') AS other
WHERE entries.tenant_id = other.tenant_id AND entries.id = other.entry_id
"""


def _utc(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _counted() -> dict[tuple[Any, ...], dict[str, int]]:
    """What the entries of other assets counted: (tenant, day, till, store, cashier) ->
    {column: amount}."""
    found: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in op.get_bind().execute(sa.text(_NOT_POINTS)).mappings():
        day = _utc(e["occurred_at"]).astimezone(ZoneInfo(e["timezone"])).date()
        key = (e["tenant_id"], day, e["terminal_id"] or 0, e["store_id"] or 0, e["staff_id"] or 0)
        for name in COLUMNS:
            found[key][name] += int(e[name])
    return found


def _apply(sign: int) -> None:
    bind = op.get_bind()
    # An upsert: the downgrade may add to a row that nothing else made.
    statement = sa.text(
        "INSERT INTO sales_days (tenant_id, day, terminal_id, store_id, staff_id, "
        f"{', '.join(COLUMNS)}) VALUES (:tenant_id, :day, :terminal_id, :store_id, "
        f":staff_id, {', '.join(f':{n}' for n in COLUMNS)}) "
        "ON CONFLICT (tenant_id, day, terminal_id, store_id, staff_id) DO UPDATE SET "
        f"{', '.join(f'{n} = sales_days.{n} + excluded.{n}' for n in COLUMNS)}"
    ).bindparams(sa.bindparam("day", type_=sa.Date()))
    for (tenant_id, day, terminal_id, store_id, staff_id), values in sorted(
        _counted().items(), key=lambda item: tuple(str(k) for k in item[0])
    ):
        if not any(values.values()):
            continue
        bind.execute(
            statement,
            {
                **{name: sign * values[name] for name in COLUMNS},
                "tenant_id": tenant_id,
                "day": day,
                "terminal_id": terminal_id,
                "store_id": store_id,
                "staff_id": staff_id,
            },
        )


def upgrade() -> None:
    op.add_column(
        "entries", sa.Column("asset", sa.String(20), nullable=False, server_default="points")
    )
    op.execute(_SET_ASSET)
    _apply(-1)


def downgrade() -> None:
    _apply(1)
    # Not a batch: on SQLite that copies ``entries``, which other tables' keys refer to.
    op.execute("ALTER TABLE entries DROP COLUMN asset")
