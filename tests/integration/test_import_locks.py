"""An import holds no member's or day's aggregate row while it runs: it writes them as the
last statements before its ``COMMIT`` (as a till's commit does), so a till that sells to a
member whose history is being imported, on a day the import counts, goes through while the
import's transaction is still open. PostgreSQL only (SQLite has one writer at a time)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from regulars.db.program.spend_totals import LIFETIME_DAY
from regulars.db.program.tables import spend_days
from regulars.services.audit import audit
from regulars.services.imports.imports import import_file
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.integration.support import Pos, line, phone
from tests.integration.test_imports import receipts_import

POSTGRES_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture
def short_waits(rt: Runtime) -> Iterator[None]:
    """Every connection gives up on a lock after a second: a commit the import blocked
    fails (with :class:`Unavailable`) instead of waiting for an import that waits for it."""
    def short(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")
        dbapi_connection.commit()

    rt.db.engine.dispose()
    event.listen(rt.db.engine, "connect", short)
    yield
    event.remove(rt.db.engine, "connect", short)


@POSTGRES_ONLY
@pytest.mark.usefixtures("short_waits")
def test_a_till_sells_to_a_member_while_their_history_is_being_imported(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    pos = Pos(rt, shop)
    member = pos.register(1)["id"]
    path = tmp_path / "sales.csv"
    # The same local day as the clock's now (2026-03-02 13:00 in Moscow), before it.
    path.write_text("phone;date;amount\n"
                    f"{phone(1)};2026-03-02 09:00;100,00\n"
                    f"{phone(1)};2026-03-02 10:00;50,00\n"
                    f"{phone(2)};2026-03-02 11:00;20,00\n", "utf-8")
    sold: list[dict[str, Any]] = []

    def during_import(rows: int) -> None:
        assert rows == 3
        # The batch is written and its transaction open: the till commits now, in its own.
        sold.append(pos.commit(member, (line("tea", 30000),), receipt="LIVE-1"))

    report = import_file(rt, shop.tenant_id, receipts_import(
        path, mapping={"phone": "phone", "date": "date", "amount": "amount"}),
        progress=during_import, actor=audit.SYSTEM)
    assert report.imported == 3 and report.members_matched == 1
    assert len(sold) == 1 and sold[0]["receipt"]["status"] == "committed", sold
    assert sold[0]["member"]["id"] == member
    # Both are counted once each: the day's aggregates and the member's purchases and
    # spend agree with the receipts.
    assert ledger_admin.check(rt, shop.tenant_id) == []
    with rt.db.read() as conn:
        lifetime = conn.execute(select(spend_days.c.net_minor).where(
            spend_days.c.tenant_id == shop.tenant_id, spend_days.c.member_id == member,
            spend_days.c.day == LIFETIME_DAY)).scalar_one()
    assert lifetime == 10000 + 5000 + 30000
