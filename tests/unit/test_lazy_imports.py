"""What the server, the worker and the CLI do at start: they import no numerical stack (numpy
and scipy, and statsmodels should it come back, are imported by the reports that compute,
when one is asked for) and hash no password."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "scipy", "statsmodels")


def _imported_after(statement: str) -> list[str]:
    probe = (f"import json, sys; {statement}; "
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))")
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                          text=True, timeout=120)
    return list(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("statement", ["import regulars.api.app", "import regulars.cli.main"])
def test_starting_the_app_or_the_cli_imports_no_numerical_library(statement: str) -> None:
    assert _imported_after(statement) == []


def test_the_probe_sees_a_numerical_library_once_a_report_needs_it() -> None:
    imported = _imported_after("import regulars.api.app; import regulars.analytics.uplift")
    assert "numpy" in imported and "scipy" in imported


def test_the_written_out_dummy_hash_costs_what_a_staff_password_s_does() -> None:
    """An unknown e-mail verifies against the dummy hash: its parameters must be the ones
    staff passwords are hashed with, or the time taken would tell unknown e-mails apart."""
    from regulars.services.web_sessions import sessions

    assert not sessions._HASHER.check_needs_rehash(sessions._DUMMY)
    assert sessions._DUMMY.startswith("$argon2id$")
