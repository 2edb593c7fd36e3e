"""One write path for the ledger: no module outside it writes the ledger's tables.

The ledger's tables are entries, postings, lots, lot moves, holds and accounts (whose
balance, held points and debt are cached from the postings). Only the modules of the write
path (:mod:`regulars.db.ledger.ops` and the statements behind it) may insert into, update or
delete from them, whether through SQLAlchemy (``insert(lots)``, ``lots.update()``) or in SQL
text (``UPDATE accounts SET ...``). Alembic migrations (schema history) are not scanned.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "regulars"
LEDGER_TABLES = frozenset({"entries", "postings", "lots", "lot_moves", "holds", "accounts"})
WRITE_PATH = frozenset({
    "db/ledger/ops.py", "db/ledger/ledger.py", "db/ledger/lots.py", "db/ledger/holds.py",
    "db/ledger/expiry.py",
})
_WRITERS = frozenset({"insert", "update", "delete"})
_SQL_WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?\"?(" + "|".join(LEDGER_TABLES)
    + r")\b", re.IGNORECASE)


def _table_named(node: ast.expr) -> str | None:
    """The ledger table an expression names: ``lots`` or ``tables.lots``."""
    name = node.id if isinstance(node, ast.Name) else (
        node.attr if isinstance(node, ast.Attribute) else None)
    return name if name in LEDGER_TABLES else None


def ledger_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) of every write to a ledger table in Python ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            # insert(lots), sqlalchemy.update(accounts), delete(tables.entries)
            callee = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else None)
            if callee in _WRITERS and node.args and (table := _table_named(node.args[0])):
                found.append((node.lineno, f"{callee}({table})"))
            # lots.insert(), tables.accounts.update()
            if (isinstance(func, ast.Attribute) and func.attr in _WRITERS
                    and (table := _table_named(func.value))):
                found.append((node.lineno, f"{table}.{func.attr}()"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [(node.lineno, match.group(0)) for match in _SQL_WRITE.finditer(node.value)]
    return sorted(found)


def test_only_the_write_path_writes_the_ledger_tables() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative in WRITE_PATH or relative.startswith("db/migrations/"):
            continue
        offenders += [f"{relative}:{line}: {what}"
                      for line, what in ledger_writes(path.read_text(encoding="utf-8"))]
    assert offenders == [], "write the ledger through regulars.db.ledger.ops:\n" + "\n".join(
        offenders)


def test_the_write_path_modules_exist_and_do_write_the_ledger() -> None:
    # If a write path module were renamed, the scan above would silently lose its exemption
    # for a file that no longer exists; and a scanner that finds nothing proves nothing.
    for relative in WRITE_PATH - {"db/ledger/ops.py"}:
        assert ledger_writes((SRC / relative).read_text(encoding="utf-8")), relative


def test_the_scan_sees_every_way_of_writing() -> None:
    planted = '''
from sqlalchemy import insert, update, delete, text
from regulars.db import tables
from regulars.db.ledger.tables import accounts, lots

conn.execute(insert(lots).values(amount=1))
conn.execute(update(accounts).values(balance=accounts.c.balance + 1))
conn.execute(delete(tables.entries))
conn.execute(tables.postings.insert())
conn.execute(text("update accounts set held = 0"))
conn.execute(text("""INSERT INTO lot_moves (entry_id) VALUES (1)"""))
'''
    assert [what for _, what in ledger_writes(planted)] == [
        "insert(lots)", "update(accounts)", "delete(entries)", "postings.insert()",
        "update accounts", "INSERT INTO lot_moves"]


def test_reads_and_other_tables_are_not_writes() -> None:
    harmless = '''
conn.execute(select(accounts.c.balance).where(lots.c.remaining > 0))
conn.execute(insert(receipts).values(points_earned=1))
conn.execute(update(members).values(status="merged"))
conn.execute(text("SELECT id FROM accounts WHERE balance > 0"))
note = "entries are updated by the ledger"
'''
    assert ledger_writes(harmless) == []
