"""Exports of members, receipts with lines and ledger entries, as CSV and XLSX, read back:
every row of the tenant and none of another's, across pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from python_calamine import CalamineWorkbook

from regulars.services.analytics import exports
from regulars.services.analytics.exports import ExportFormat, ExportKind
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.integration.support import Pos, line


def read_csv(rt: Runtime, tenant_id: int, kind: ExportKind) -> list[list[str]]:
    data = b"".join(exports.chunks(rt, tenant_id, kind, ExportFormat.CSV, actor=audit.SYSTEM))
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(rt: Runtime, tenant_id: int, kind: ExportKind,
              tmp_path: Path) -> list[list[object]]:
    path = tmp_path / f"{kind.value}.xlsx"
    path.write_bytes(b"".join(exports.chunks(rt, tenant_id, kind, ExportFormat.XLSX,
                                             actor=audit.SYSTEM)))
    return [list(r) for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
            .iter_rows()]


def test_every_export_has_the_tenants_rows_only_in_both_formats(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    pos = Pos(rt, shop)
    other = Pos(rt, make_shop(rt, "Elsewhere"))
    other.commit(other.register(9)["id"], (line("tea", 300),), receipt="X-1")
    ids = [pos.register(n)["id"] for n in range(1, 4)]
    for n, member in enumerate(ids):
        pos.commit(member, (line("cup", 100000, 2), line("cake", 45000)), receipt=f"R-{n}")
    members = read_csv(rt, shop.tenant_id, ExportKind.MEMBERS)
    assert members[0][:3] == ["id", "external_id", "phone"]
    assert [int(r[0]) for r in members[1:]] == ids
    receipts = read_csv(rt, shop.tenant_id, ExportKind.RECEIPTS)
    assert len(receipts) == 1 + 3 * 2
    header = receipts[0]
    assert {r[header.index("sku")] for r in receipts[1:]} == {"cup", "cake"}
    assert sum(int(r[header.index("paid_minor")]) for r in receipts[1:]) == 3 * 245000
    ledger = read_csv(rt, shop.tenant_id, ExportKind.LEDGER)
    assert {r[3] for r in ledger[1:]} == {"earn"}
    assert {int(r[4]) for r in ledger[1:]} == set(ids)
    sheet = read_xlsx(rt, shop.tenant_id, ExportKind.RECEIPTS, tmp_path)
    assert sheet[0] == header and len(sheet) == len(receipts)
    assert [int(float(str(r[0]))) for r in sheet[1:]] == [int(r[0]) for r in receipts[1:]]


def test_an_export_reads_page_after_page(rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    ids = [pos.register(n)["id"] for n in range(1, 8)]
    found = list(exports.rows(rt, shop.tenant_id, ExportKind.MEMBERS, page_rows=3))
    assert [row[0] for row in found] == ids
