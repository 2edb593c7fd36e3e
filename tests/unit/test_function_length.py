"""No function in src/regulars is longer than 60 lines (migrations excepted): a long function
is split into named steps."""

from __future__ import annotations

import ast
from pathlib import Path

import regulars

MAX_LINES = 60
ROOT = Path(regulars.__file__).parent


def long_functions(root: Path, max_lines: int) -> set[tuple[str, str, int]]:
    """(module path under ``root``, function name, lines) of each function, method or
    nested function longer than ``max_lines``, decorators included."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("db/migrations/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > max_lines:
                    found.add((relative, node.name, lines))
    return found


def test_no_function_in_src_is_over_sixty_lines() -> None:
    over = {(path, name): lines for path, name, lines in long_functions(ROOT, MAX_LINES)}
    assert over == {}


def test_the_check_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    (tmp_path / "long.py").write_text(f"def long() -> None:\n{body}\n\n\ndef short() -> None:\n"
                                      "    pass\n")
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "migrations" / "old.py").write_text(f"def upgrade() -> None:\n{body}\n")
    assert long_functions(tmp_path, MAX_LINES) == {("long.py", "long", MAX_LINES + 1)}
