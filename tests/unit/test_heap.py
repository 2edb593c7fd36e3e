"""The allocator settings a server process takes for the reports' large arrays."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from regulars.services.analytics import heap

MIB = 1 << 20


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    libc = None if name is None else ctypes.CDLL(name)
    return libc if libc is not None and hasattr(libc, "mallinfo2") else None


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _mapped(libc: ctypes.CDLL) -> int:
    """Bytes in blocks glibc mapped each on its own."""
    libc.mallinfo2.restype = _Mallinfo2
    return int(libc.mallinfo2().hblkhd)


@pytest.mark.skipif(_glibc() is None, reason="glibc's mallinfo2 (2.33 and later) only")
def test_large_blocks_stay_mapped_on_their_own_after_one_is_freed() -> None:
    libc = _glibc()
    assert libc is not None
    assert heap.settle_large_blocks()
    before = _mapped(libc)
    block = bytearray(8 * MIB)
    assert _mapped(libc) - before >= 8 * MIB
    del block
    assert _mapped(libc) == before  # unmapped, given back at once
    # glibc's own threshold would have risen above 8 MiB with that free: this one would
    # then come from a heap, and stay in the process once freed.
    block = bytearray(2 * MIB)
    assert _mapped(libc) - before >= 2 * MIB
    del block
    assert _mapped(libc) == before


def test_settle_large_blocks_asks_glibc_on_linux() -> None:
    assert heap.settle_large_blocks() is (_glibc() is not None)
