"""What an API server process does for itself when it starts (``regulars serve`` builds the
app without a runtime; the app opens its own from the environment's settings)."""

from __future__ import annotations

import ctypes
import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from regulars.api.app import create_app


@pytest.fixture
def unfrozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REGULARS_DATABASE_URL", f"sqlite:///{tmp_path / 'server.db'}")
    monkeypatch.delenv("REGULARS_GC_FREEZE", raising=False)
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process itself keeps collecting everything


@pytest.mark.usefixtures("unfrozen")
def test_a_server_process_freezes_what_it_loaded_so_full_collections_stay_short() -> None:
    app = create_app()
    with TestClient(app) as client:
        assert client.get("/v1/health").status_code == 200
        runtime = app.state.runtime  # opened by the app as it started
        # What the process held once started, the app's own runtime included, is out of the
        # collector's way: a full collection no longer walks it ...
        assert gc.get_freeze_count() > 10_000
        assert not any(tracked is runtime for tracked in gc.get_objects())
        # ... only what was created since.
        assert len(gc.get_objects()) < gc.get_freeze_count()


@pytest.mark.usefixtures("unfrozen")
def test_freezing_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGULARS_GC_FREEZE", "false")
    with TestClient(create_app()) as client:
        assert client.get("/v1/health").status_code == 200
        assert gc.get_freeze_count() == 0


def test_an_app_given_its_runtime_leaves_the_collector_alone(client: TestClient) -> None:
    # Tests and embedding code pass their runtime: their process is not a server's.
    assert client.get("/v1/health").status_code == 200
    assert gc.get_freeze_count() == 0


LARGE_BLOCKS = """
import ctypes
from fastapi.testclient import TestClient
from regulars.api.app import create_app

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info

def mapped_after_a_larger_one_is_freed():
    block = bytearray(8 << 20)
    del block  # glibc's own threshold rises above 8 MiB
    before = libc.mallinfo2().hblkhd
    block = bytearray(2 << 20)
    return libc.mallinfo2().hblkhd - before >= 2 << 20

with TestClient(create_app()) as client:
    assert client.get("/v1/health").status_code == 200
    print(mapped_after_a_larger_one_is_freed())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux")
                    or not hasattr(ctypes.CDLL(None), "mallinfo2"),
                    reason="glibc's mallinfo2 (2.33 and later) only")
def test_a_server_process_maps_the_reports_large_blocks_on_their_own(tmp_path: Path) -> None:
    # In a process of its own: the allocator's threshold, once fixed, stays fixed.
    done = subprocess.run([sys.executable, "-c", LARGE_BLOCKS], capture_output=True, text=True,
                          check=True, env={"REGULARS_DATABASE_URL":
                                           f"sqlite:///{tmp_path / 'server.db'}",
                                           "PATH": "/usr/bin:/bin"})
    # glibc's own threshold would have risen above the 8 MiB block freed, and the 2 MiB one
    # come from a heap (and stay in the process once freed).
    assert done.stdout.split() == ["True"]
