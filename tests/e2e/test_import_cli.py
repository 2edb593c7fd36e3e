"""``regulars import``: a progress bar and a summary for a good file; for a bad one each bad
row on stderr, exit 2 and nothing written; --skip-invalid writes the rejects to a file."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from regulars.cli.main import app
from regulars.config import Settings
from regulars.services.runtime import open_runtime
from tests.conftest import make_shop

runner = CliRunner()
BAD = "customer;date;amount\nC1;2025-01-01;5,00\nC2;yesterday;5,00\nC3;2025-01-02;abc\n"


def shop_db(tmp_path: Path) -> tuple[str, int]:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with open_runtime(Settings(database_url=url), migrate=True) as rt:
        return url, make_shop(rt).tenant_id


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_good_file_imports_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    url, tenant = shop_db(tmp_path)
    path = tmp_path / "sales.txt"
    path.write_text(" 00001 19970101  1   11.77\n 00002 19970112  2   12.00\n", "ascii")
    args = ("import", "receipts", str(path), "--tenant", str(tenant), "--preset", "cdnow",
            "--database-url", url)
    code, out, _ = invoke(*args)
    assert code == 0 and "imported 2 receipts of 2 rows" in out and "2 new" in out
    code, out, _ = invoke(*args)
    assert code == 0 and "imported 0 receipts of 2 rows (2 imported before" in out
    code, out, _ = invoke("ledger", "check", "--database-url", url)
    assert code == 0


def test_bad_rows_are_listed_and_exit_2_with_nothing_written(tmp_path: Path) -> None:
    url, tenant = shop_db(tmp_path)
    path = tmp_path / "bad.csv"
    path.write_text(BAD, "utf-8")
    code, out, err = invoke("import", "receipts", str(path), "--tenant", str(tenant),
                            "--database-url", url)
    assert code == 2
    assert "row 3, column date: not a date" in err and "row 4, column amount: not a number" in err
    assert "2 rows of the file are not valid; nothing was imported" in err
    assert "Traceback" not in err + out
    code, out, err = invoke("import", "receipts", str(path), "--tenant", str(tenant),
                            "--database-url", url, "--skip-invalid",
                            "--rejects", str(tmp_path / "rejects.csv"))
    assert code == 0 and "imported 1 receipts of 3 rows" in out
    with (tmp_path / "rejects.csv").open(encoding="utf-8") as handle:
        rejects = list(csv.reader(handle))
    assert [r[0] for r in rejects] == ["row", "3", "4"]


def test_bad_options_exit_2_with_one_line(tmp_path: Path) -> None:
    url, tenant = shop_db(tmp_path)
    path = tmp_path / "sales.csv"
    path.write_text("who,when\nx,y\n", "utf-8")
    for extra, words in ((["--map", "nope"], "is not column=field"),
                         ([], "no column for date, amount"),
                         ([], "name one with --map column=field"),
                         (["--preset", "abc"], "unknown preset abc"),
                         (["--tenant", "99"], "tenant not found")):
        code, out, err = invoke("import", "receipts", str(path), "--tenant", str(tenant),
                                "--database-url", url, *extra)
        assert code == 2, (extra, out, err)
        assert words in " ".join(err.split()), (extra, err)


def test_export_writes_the_file_whole_or_exits_2(tmp_path: Path) -> None:
    url, tenant = shop_db(tmp_path)
    path = tmp_path / "sales.txt"
    path.write_text(" 00001 19970101  1   11.77\n 00002 19970112  2   12.00\n", "ascii")
    assert invoke("import", "receipts", str(path), "--tenant", str(tenant), "--preset",
                  "cdnow", "--database-url", url)[0] == 0
    out = tmp_path / "receipts.csv"
    code, stdout, _ = invoke("export", "receipts", "--tenant", str(tenant), "--out", str(out),
                             "--database-url", url)
    assert code == 0 and "receipts written to" in stdout
    with out.open(encoding="utf-8-sig") as handle:
        found = list(csv.DictReader(handle))
    assert [(r["paid_minor"], r["quantity_milli"]) for r in found] == [("1177", "1000"),
                                                                       ("1200", "2000")]
    code, _, err = invoke("export", "ledger", "--tenant", "99", "--out",
                          str(tmp_path / "none.csv"), "--database-url", url)
    assert code == 2 and "tenant not found" in err
    assert not (tmp_path / "none.csv").exists() and not (tmp_path / "none.csv.part").exists()
    code, _, err = invoke("export", "everything", "--tenant", str(tenant), "--out",
                          str(tmp_path / "x.csv"), "--database-url", url)
    assert code == 2


def test_a_report_table_is_exported_for_a_period(tmp_path: Path) -> None:
    url, tenant = shop_db(tmp_path)
    path = tmp_path / "sales.txt"
    path.write_text(" 00001 19970101  1   11.77\n 00002 19970112  2   12.00\n", "ascii")
    assert invoke("import", "receipts", str(path), "--tenant", str(tenant), "--preset",
                  "cdnow", "--database-url", url)[0] == 0
    out = tmp_path / "overview.csv"
    code, stdout, err = invoke("export", "overview", "--tenant", str(tenant), "--out", str(out),
                               "--range", "custom", "--from", "1997-01-01", "--to",
                               "1997-01-31", "--database-url", url)
    assert code == 0, err
    with out.open(encoding="utf-8") as handle:
        rows = {r[0]: r[1:] for r in csv.reader(handle)}
    assert rows["figure"][0] == "1997-01-01..1997-01-31"
    assert rows["receipts"][0] == "2" and rows["revenue_minor"][0] == "2377"
    book = tmp_path / "stores.xlsx"
    assert invoke("export", "stores", "--tenant", str(tenant), "--out", str(book), "--format",
                  "xlsx", "--range", "custom", "--from", "1997-01-01", "--to", "1997-01-31",
                  "--database-url", url)[0] == 0
    assert book.read_bytes()[:2] == b"PK"
    for bad in (["--from", "1997-13-01", "--to", "1997-01-31"],
                ["--from", "1997-02-01", "--to", "1997-01-31"]):
        code, _, err = invoke("export", "overview", "--tenant", str(tenant), "--out",
                              str(tmp_path / "bad.csv"), "--range", "custom", *bad,
                              "--database-url", url)
        assert code == 2 and "Traceback" not in err, err
        assert not (tmp_path / "bad.csv").exists()
