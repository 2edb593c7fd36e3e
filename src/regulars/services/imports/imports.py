"""Importing a file of receipts or members: checked whole first, then written in one unit of
work, in batches.

A file with a bad row is refused with every bad row's number, column and reason
(:class:`InvalidRows`) and nothing is written, unless ``skip_invalid``: then the good rows are
imported and the report lists the rejects (:func:`reject_rows` gives them back as they were,
to fix and import again). Imported receipts are history (see :mod:`regulars.db.imports.history`):
they count in reports and towards levels and earn points only with ``earn``, through the
ledger's write path at the entry level's rate. A row imported before is not imported again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.domain.imports.cells import N_
from regulars.domain.imports.fields import ColumnMap, Kind, map_columns
from regulars.domain.imports.rows import (
    MemberImportRow,
    Problem,
    ReceiptKeys,
    ReceiptReader,
    ReceiptRow,
    member_row,
    problem,
)
from regulars.errors import InvalidRows
from regulars.services.audit import audit
from regulars.services.imports import files, staged, writing
from regulars.services.imports.people import Ids, canonical
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant, minor_digits

Progress = Callable[[int], None]
BATCH_ROWS = 2000
MAX_PROBLEMS_KEPT = 10_000


@dataclass(frozen=True, kw_only=True)
class ImportRequest:
    kind: Kind
    path: Path
    preset: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    """File column → field, over the names the header gives."""
    store: str | None = None
    """The store code receipts without a ``store`` column are put at (else the first)."""
    earn: bool = False
    skip_invalid: bool = False


@dataclass(frozen=True, kw_only=True)
class ImportReport:
    kind: str
    rows: int
    imported: int
    already: int
    """Rows imported before (by an earlier import of the same rows): not imported again."""
    rejected: int
    problems: tuple[Problem, ...]
    """Up to :data:`MAX_PROBLEMS_KEPT` of the rejected rows' problems."""
    members_created: int
    members_matched: int
    amount_minor: int
    points_earned: int


@dataclass(frozen=True, kw_only=True)
class Setting:
    tenant_id: int
    region: str
    zone: ZoneInfo
    exponent: int
    table: files.Table
    mapping: ColumnMap
    header: dict[str, str]
    """Field → the file's name for its column."""


def import_file(rt: Runtime, tenant_id: int, req: ImportRequest, *,
                progress: Progress | None = None,
                expect: Callable[[int], None] | None = None,
                actor: audit.Actor) -> ImportReport:
    """Import the file in one unit of work, reading it once, on the audit trail as
    ``actor``'s in the same transaction. Raises :class:`InvalidInput` for a file, preset,
    mapping or store that cannot be used, :class:`InvalidRows` for bad rows (unless
    ``skip_invalid``), :class:`NotFound` for an unknown tenant; nothing is written then
    (after a first bad row, rows are only checked). ``expect`` is told about how many rows
    there are before they are read, ``progress`` how many more were."""
    setting = _setting(rt, tenant_id, req)
    if expect is not None:
        expect(files.count_rows(setting.table))
    rows = _Rows(setting, req, writing.store_codes(rt, tenant_id))

    def refuse() -> None:
        if rows.problems and not req.skip_invalid:
            raise InvalidRows(
                "%(rows)s rows of the file are not valid; nothing was imported",
                params={"rows": rows.rejected},
                problems=[(p.row, p.column, p.reason) for p in rows.problems],
                reasons=[(p.template or p.reason, dict(p.params)) for p in rows.problems])

    def refuse_bad_rows(conn: Connection, written: writing.Written) -> None:
        refuse()
        audit.record(conn, tenant_id, actor, f"import.{req.kind.value}",
                     f"{req.kind.value} import", at=rt.now(), rows=rows.count,
                     imported=written.imported, already=written.already,
                     rejected=rows.rejected, earn=req.earn)

    if req.kind is Kind.RECEIPTS and rt.db.dialect == "postgresql":
        written = staged.write(rt, setting.tenant_id, rows, zone=setting.zone,
                               store=req.store, earn=req.earn, batch_rows=BATCH_ROWS,
                               progress=progress, refuse=refuse,
                               before_commit=refuse_bad_rows)
    else:
        written = writing.write(rt, setting.tenant_id, rows, kind=req.kind,
                                zone=setting.zone, store=req.store, earn=req.earn,
                                batch_rows=BATCH_ROWS, progress=progress,
                                before_commit=refuse_bad_rows)
    return ImportReport(
        kind=req.kind.value, rows=rows.count, imported=written.imported,
        already=written.already, rejected=rows.rejected, problems=tuple(rows.problems),
        members_created=written.members_created, members_matched=written.members_matched,
        amount_minor=written.amount_minor, points_earned=written.points_earned)


def _setting(rt: Runtime, tenant_id: int, req: ImportRequest) -> Setting:
    tenant = get_tenant(rt, tenant_id)
    table = files.open_table(req.path, preset=req.preset)
    mapping = map_columns(table.header, req.kind, overrides=req.mapping)
    writing.check_store(rt, tenant_id, req.store)
    return Setting(tenant_id=tenant_id, region=tenant.phone_region,
                   zone=ZoneInfo(tenant.timezone), exponent=minor_digits(tenant.currency),
                   table=table, mapping=mapping,
                   header={f: table.header[i] for f, i in mapping.columns.items()})


Parsed = tuple[ReceiptRow | MemberImportRow, Ids]


def _read(setting: Setting, kind: Kind) -> Iterator[tuple[int, Parsed | list[Problem]]]:
    table, mapping = setting.table, setting.mapping
    receipt_row = ReceiptReader(mapping, table.header, exponent=setting.exponent,
                                text=table.format == "text")
    for number, values in table.rows():
        row: ReceiptRow | MemberImportRow | list[Problem]
        if kind is Kind.RECEIPTS:
            row = receipt_row(number, values)
        else:
            row = member_row(number, values, mapping, table.header)
        if isinstance(row, list):
            yield number, row
            continue
        ids = canonical(row.who, row=number, region=setting.region, header=setting.header)
        yield number, ids if isinstance(ids, list) else (row, ids)


def _row_issues(found: Parsed, setting: Setting, stores: set[str], seen: set[str]
                ) -> list[Problem]:
    row = found[0]
    if not isinstance(row, ReceiptRow):
        return []
    issues = []
    unknown = unknown_store(row, setting.header, stores)
    if unknown is not None:
        issues.append(unknown)
    if row.receipt:
        if row.receipt in seen:
            issues.append(problem(row.row, setting.header.get("receipt", "receipt"),
                                  N_("this receipt number is on an earlier row too")))
        seen.add(row.receipt)
    return issues


def unknown_store(row: ReceiptRow, header: Mapping[str, str], stores: set[str]
                  ) -> Problem | None:
    """The row's problem if it names a store the business does not have, with what to do."""
    if not row.store or row.store in stores:
        return None
    return problem(row.row, header.get("store", "store"),
                   N_("no store with the code %(code)s: add a store with this code first, "
                      "or do not import this column"), code=repr(row.store))


class _Rows:
    """The good rows of a file, each with its identity, in order; the bad rows' problems
    collected on the way (once a row is bad and bad rows refuse the file, no more rows are
    handed out: the rest are only checked)."""

    def __init__(self, setting: Setting, req: ImportRequest, stores: set[str]) -> None:
        self.setting, self.req, self.stores = setting, req, stores
        self.count = self.rejected = 0
        self.problems: list[Problem] = []

    def __iter__(self) -> Iterator[tuple[Parsed, str]]:
        keys, seen = ReceiptKeys(), set[str]()
        for _, found in _read(self.setting, self.req.kind):
            self.count += 1
            issues = found if isinstance(found, list) else _row_issues(
                found, self.setting, self.stores, seen)
            if issues:
                self.rejected += 1
                if len(self.problems) < MAX_PROBLEMS_KEPT:
                    self.problems.extend(issues)
                continue
            if self.problems and not self.req.skip_invalid:
                continue
            assert not isinstance(found, list)
            row = found[0]
            yield found, keys.key(row) if isinstance(row, ReceiptRow) else ""


def reject_rows(checked_path: Path, req: ImportRequest, problems: Sequence[Problem]
                ) -> Iterator[list[str]]:
    """The rejected rows as the file has them, each after its problems, with a header:
    ``row``, the file's columns, ``problem`` (text cells, for a CSV of rejects)."""
    table = files.open_table(checked_path, preset=req.preset)
    why: dict[int, list[str]] = {}
    for p in problems:
        why.setdefault(p.row, []).append(f"{p.column}: {p.reason}")
    yield ["row", *table.header, "problem"]
    for number, values in table.rows():
        if number in why:
            yield [str(number), *("" if v is None else str(v) for v in values),
                   "; ".join(why[number])]
