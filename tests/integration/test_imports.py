"""Importing receipts and members from files, on both databases: delimiters and encodings
sniffed, XLSX read, members matched or created, history that counts towards levels but earns
nothing unless asked, a second import that adds nothing, and bad rows refused whole."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import func, select

from regulars.analytics.text_receipts import read_receipt_file
from regulars.db import bulk, personal
from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.ledger.tables import entries
from regulars.db.members.tables import member_identifiers, members
from regulars.db.program.spend_totals import LIFETIME_DAY
from regulars.db.program.tables import spend_days
from regulars.domain.imports.fields import Kind
from regulars.errors import InvalidInput, InvalidRows
from regulars.services.audit import audit
from regulars.services.imports.imports import ImportRequest, import_file, reject_rows
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members import members as member_service
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.integration.support import Pos, line, phone, set_program

CDNOW = Path(__file__).parents[3] / "shared" / "data" / "cdnow" / "CDNOW_master.txt"

RU_CSV = (
    "Клиент;Телефон;Дата;Сумма;Кол-во\n"
    "A-1;8 (916) 123-45-67;01.03.2025 13:45;1 234,50;2\n"
    "A-2;;02.03.2025;99,90;1\n"
    "A-1;;2025-03-05;10;1\n"
)
RU_MAP = {"Клиент": "external_id", "Телефон": "phone", "Дата": "date", "Сумма": "amount",
          "Кол-во": "quantity"}


def count(rt: Runtime, table: object, tenant_id: int) -> int:
    with rt.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)  # type: ignore[arg-type]
                                .where(table.c.tenant_id == tenant_id)).scalar_one())  # type: ignore[attr-defined]


def receipts_import(path: Path, **options: object) -> ImportRequest:
    return ImportRequest(kind=Kind.RECEIPTS, path=path, **options)  # type: ignore[arg-type]


def test_a_cp1251_semicolon_file_imports_members_and_history_that_earns_nothing(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_bytes(RU_CSV.encode("cp1251"))
    report = import_file(rt, shop.tenant_id, receipts_import(path, mapping=RU_MAP),
                         actor=audit.SYSTEM)
    assert (report.rows, report.imported, report.already, report.rejected) == (3, 3, 0, 0)
    assert (report.members_created, report.members_matched) == (2, 0)
    assert report.amount_minor == 123450 + 9990 + 1000 and report.points_earned == 0
    member = member_service.get(rt, shop.tenant_id, MemberRef(phone="+79161234567"))
    assert member.balance_points == 0
    with rt.db.read() as conn:
        rows = conn.execute(select(receipts.c.paid_minor, receipts.c.occurred_at,
                                   members.c.external_id, members.c.phone_sealed)
                            .join(members, members.c.id == receipts.c.member_id)
                            .where(receipts.c.tenant_id == shop.tenant_id)
                            .order_by(receipts.c.occurred_at)).all()
        quantities = sorted(conn.execute(select(receipt_lines.c.quantity_milli).where(
            receipt_lines.c.tenant_id == shop.tenant_id)).scalars())
    assert [(r.paid_minor, r.external_id, personal.unseal_optional(r.phone_sealed))
            for r in rows] == [
        (123450, "A-1", "+79161234567"), (9990, "A-2", None), (1000, "A-1", "+79161234567")]
    assert rows[0].occurred_at.hour == 10  # 13:45 in Moscow is 10:45 UTC
    assert quantities == [1000, 1000, 2000]
    assert count(rt, entries, shop.tenant_id) == 0
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_the_same_file_twice_adds_nothing_and_a_longer_one_adds_only_its_new_rows(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("customer,date,amount\nC1,2025-01-01,5.00\nC1,2025-01-01,5.00\n",
                    encoding="utf-8")
    first = import_file(rt, shop.tenant_id, receipts_import(path), actor=audit.SYSTEM)
    again = import_file(rt, shop.tenant_id, receipts_import(path), actor=audit.SYSTEM)
    path.write_text("customer,date,amount\nC1,2025-01-01,5.00\nC1,2025-01-01,5.00\n"
                    "C1,2025-01-01,5.00\nC2,2025-01-02,7.00\n", encoding="utf-8")
    longer = import_file(rt, shop.tenant_id, receipts_import(path), actor=audit.SYSTEM)
    assert (first.imported, again.imported, again.already) == (2, 0, 2)
    assert (longer.imported, longer.already, longer.members_created) == (2, 2, 1)
    assert count(rt, receipts, shop.tenant_id) == 4
    assert count(rt, members, shop.tenant_id) == 2
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_history_imported_around_a_members_own_receipts_keeps_every_aggregate_exact(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    pos = Pos(rt, shop)
    member = pos.register(1)["id"]
    # Their own receipts on three days (an offline till, committing them later).
    for n, at in enumerate(("2026-02-05 12:00", "2026-02-15 09:00", "2026-02-25 18:00")):
        pos.commit(member, (line("tea", 30000),), receipt=f"OWN-{n}",
                   occurred_at=datetime.fromisoformat(at).replace(tzinfo=UTC))
    path = tmp_path / "sales.csv"
    # Before all of theirs, between, on one of their days, after; a new member's first and
    # second purchase; nobody's receipt.
    path.write_text("phone;date;amount\n"
                    f"{phone(1)};2026-02-01 10:00;10,00\n"
                    f"{phone(1)};2026-02-10 10:00;20,00\n"
                    f"{phone(1)};2026-02-15 22:00;30,00\n"
                    f"{phone(1)};2026-03-01 10:00;40,00\n"
                    f"{phone(2)};2026-01-03 10:00;50,00\n"
                    f"{phone(2)};2026-01-03 10:00;50,00\n"
                    f"{phone(2)};2026-01-05 11:00;60,00\n"
                    ";2026-01-05 11:00;70,00\n", encoding="utf-8")
    mapping = {"phone": "phone", "date": "date", "amount": "amount"}
    first = import_file(rt, shop.tenant_id, receipts_import(path, mapping=mapping),
                        actor=audit.SYSTEM)
    again = import_file(rt, shop.tenant_id, receipts_import(path, mapping=mapping),
                        actor=audit.SYSTEM)
    assert (first.imported, first.members_matched, first.members_created) == (8, 1, 1)
    assert (again.imported, again.already) == (0, 8)
    assert ledger_admin.check(rt, shop.tenant_id) == []
    with rt.db.read() as conn:
        lifetime = dict(conn.execute(select(spend_days.c.member_id, spend_days.c.net_minor)
                                     .where(spend_days.c.tenant_id == shop.tenant_id,
                                            spend_days.c.day == LIFETIME_DAY)).all())
    assert lifetime[member] == 3 * 30000 + 1000 + 2000 + 3000 + 4000
    assert sorted(lifetime.values()) == [5000 + 5000 + 6000, lifetime[member]]


BAD_CSV = ("receipt,phone,date,amount\n"
           "R1,+79161234567,2025-01-01,5.00\n"
           "R2,12,2025-01-01,5.00\n"
           "R3,,2025-02-30,-1\n"
           "R1,,2025-01-03,1.23\n"
           "R6,,2025-01-04,1.234\n"
           "R7,,2025-01-04,8\n")


def test_a_file_with_bad_rows_is_refused_naming_each_and_writes_nothing(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    with pytest.raises(InvalidRows) as refused:
        import_file(rt, shop.tenant_id, receipts_import(path), actor=audit.SYSTEM)
    assert [(row, column) for row, column, _ in refused.value.problems] == [
        (3, "phone"), (4, "date"), (4, "amount"), (5, "receipt"), (6, "amount")]
    assert "negative" in refused.value.problems[2][2]
    assert "earlier row" in refused.value.problems[3][2]
    assert "2 decimals" in refused.value.problems[4][2]
    assert count(rt, receipts, shop.tenant_id) == 0
    assert count(rt, members, shop.tenant_id) == 0


def test_skip_invalid_imports_the_rest_and_gives_back_the_rejects_as_they_were(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    req = receipts_import(path, skip_invalid=True)
    report = import_file(rt, shop.tenant_id, req, actor=audit.SYSTEM)
    assert (report.rows, report.imported, report.rejected) == (6, 2, 4)
    rejects = list(reject_rows(path, req, report.problems))
    assert rejects[0] == ["row", "receipt", "phone", "date", "amount", "problem"]
    assert [r[:2] for r in rejects[1:]] == [["3", "R2"], ["4", "R3"], ["5", "R1"], ["6", "R6"]]
    assert rejects[2][-1].startswith("date: ") and "; amount: " in rejects[2][-1]
    assert count(rt, receipts, shop.tenant_id) == 2


def test_xlsx_members_then_receipts_matched_by_card_and_phone(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    people = tmp_path / "people.xlsx"
    with xlsxwriter.Workbook(str(people)) as book:
        sheet = book.add_worksheet()
        for r, row in enumerate([("Customer ID", "Phone", "Card", "First name", "Birthday"),
                                 (1001, "+7 916 000 00 01", "CARD-0001", "Anna", "1990-05-01"),
                                 (1002, "", "card 0002", "Boris", "")]):
            sheet.write_row(r, 0, row)
    made = import_file(rt, shop.tenant_id, ImportRequest(kind=Kind.MEMBERS, path=people),
                       actor=audit.SYSTEM)
    assert (made.imported, made.members_created, made.already) == (2, 2, 0)
    again = import_file(rt, shop.tenant_id, ImportRequest(kind=Kind.MEMBERS, path=people),
                        actor=audit.SYSTEM)
    assert (again.imported, again.already) == (0, 2)
    sales = tmp_path / "sales.xlsx"
    with xlsxwriter.Workbook(str(sales)) as book:
        sheet = book.add_worksheet()
        date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(0, 0, ("card", "when", "total"))
        sheet.write_row(1, 0, ("CARD0002",))
        sheet.write_datetime(1, 1, datetime(2025, 6, 1, 9, 30), date_format)
        sheet.write_number(1, 2, 12.5)
        sheet.write_row(2, 0, ("CARD0001",))
        sheet.write_datetime(2, 1, datetime(2025, 6, 2, 9, 30), date_format)
        sheet.write_number(2, 2, 3)
    report = import_file(rt, shop.tenant_id, receipts_import(sales, mapping={"when": "date"}),
                         actor=audit.SYSTEM)
    assert (report.imported, report.members_created, report.members_matched) == (2, 0, 2)
    assert report.amount_minor == 1250 + 300
    with rt.db.read() as conn:
        owners = conn.execute(select(members.c.first_name, receipts.c.paid_minor).join(
            members, members.c.id == receipts.c.member_id).where(
            receipts.c.tenant_id == shop.tenant_id).order_by(receipts.c.paid_minor)).all()
        kinds = Counter(conn.execute(select(member_identifiers.c.kind).where(
            member_identifiers.c.tenant_id == shop.tenant_id)).scalars())
    assert [tuple(o) for o in owners] == [("Anna", 300), ("Boris", 1250)]
    assert kinds == {"qr": 2, "card": 2, "phone": 1}


def test_earn_credits_the_programs_points_through_the_ledger(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    set_program(rt, shop.tenant_id, expire_after_days=None)
    path = tmp_path / "sales.csv"
    path.write_text("phone\tdate\tamount\n+79160000001\t2025-01-01\t1000\n"
                    "+79160000001\t2025-01-02\t250\n", encoding="utf-8")
    report = import_file(rt, shop.tenant_id, receipts_import(path, earn=True), actor=audit.SYSTEM)
    assert report.points_earned == 30 + 7  # 3 % of 1000.00 and of 250.00, a point = 1.00
    member = member_service.get(rt, shop.tenant_id, MemberRef(phone="+79160000001"))
    assert member.balance_points == 37
    assert count(rt, entries, shop.tenant_id) == 2
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_an_unknown_mapping_preset_or_store_is_refused_by_field(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("who,when,how much\nx,2025-01-01,1\n", encoding="utf-8")
    for options, field in (({}, "map"), ({"mapping": {"nope": "amount"}}, "map"),
                           ({"mapping": {"who": "price"}}, "map"),
                           ({"preset": "other"}, "preset"),
                           ({"mapping": {"who": "external_id", "when": "date",
                                         "how much": "amount"}, "store": "zzz"}, "store")):
        with pytest.raises(InvalidInput) as refused:
            import_file(rt, shop.tenant_id, receipts_import(path, **options), actor=audit.SYSTEM)
        assert refused.value.field == field, options
    assert count(rt, receipts, shop.tenant_id) == 0


def test_the_cdnow_preset_reads_what_the_lifetime_value_models_read(
        rt: Runtime, shop: Shop, tmp_path: Path) -> None:
    part = tmp_path / "cdnow.txt"
    with CDNOW.open(encoding="ascii") as source:
        part.write_text("".join(next(source) for _ in range(3001)), encoding="ascii")
    expected = read_receipt_file(part)
    report = import_file(rt, shop.tenant_id, receipts_import(part, preset="cdnow"),
                         actor=audit.SYSTEM)
    assert report.imported == len(expected) == 3000
    assert report.members_created == len({r.member_id for r in expected})
    assert report.amount_minor == sum(r.amount_minor for r in expected)
    with rt.db.read() as conn:
        by_member = dict(conn.execute(
            select(members.c.external_id, func.sum(receipts.c.paid_minor))
            .join(members, members.c.id == receipts.c.member_id)
            .where(receipts.c.tenant_id == shop.tenant_id)
            .group_by(members.c.external_id)).all())
    oracle: Counter[str] = Counter()
    for r in expected:
        oracle[r.member_id] += r.amount_minor
    assert by_member == dict(oracle)
    assert ledger_admin.check(rt, shop.tenant_id) == []
    assert import_file(rt, shop.tenant_id, receipts_import(part, preset="cdnow"),
                       actor=audit.SYSTEM).imported == 0


def test_a_bulk_copy_gives_each_row_its_id_in_order_with_its_times_and_json(
        rt: Runtime, shop: Shop) -> None:
    at = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    rows = [{"tenant_id": shop.tenant_id, "terminal_id": shop.terminal_ids[0],
             "store_id": shop.store_id, "staff_id": None, "receipt_no": f"C{n}",
             "member_id": None, "status": "committed", "program_version": 1,
             "gross_minor": n, "discount_minor": 0, "points_spent": 0,
             "points_discount_minor": 0, "paid_minor": n, "points_earned": 0,
             "request_hash": "h", "response": {"imported": True, "n": n},
             "occurred_at": at + timedelta(minutes=n), "recorded_at": at} for n in range(5)]
    with rt.db.write() as conn:
        ids = bulk.copy_returning_ids(conn, receipts, rows)
        bulk.copy_rows(conn, receipt_lines, [
            {"tenant_id": shop.tenant_id, "receipt_id": receipt_id, "line_no": 1, "sku": "s",
             "name": "n", "category": "c", "quantity_milli": 1000, "unit_price_minor": n,
             "gross_minor": n, "discount_minor": 0, "points_spent": 0, "paid_minor": n,
             "points_earned": 0} for n, receipt_id in enumerate(ids)])
    with rt.db.read() as conn:
        found = conn.execute(select(receipts.c.id, receipts.c.receipt_no, receipts.c.response,
                                    receipts.c.occurred_at, receipt_lines.c.paid_minor)
                             .join(receipt_lines, receipt_lines.c.receipt_id == receipts.c.id)
                             .where(receipts.c.id.in_(ids)).order_by(receipts.c.id)).all()
    assert len(set(ids)) == 5 and ids == sorted(ids)
    assert [(r.id, r.receipt_no, r.response, r.occurred_at, r.paid_minor) for r in found] == [
        (i, f"C{n}", {"imported": True, "n": n}, at + timedelta(minutes=n), n)
        for n, i in enumerate(ids)]
