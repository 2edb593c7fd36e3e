"""Giving a large report's freed memory back to the system once it is done.

A report over every member (the CLV report and its table) allocates arrays and rows of
hundreds of megabytes in all; once they are freed, glibc's allocator keeps much of that memory
in the process, scattered between pieces still in use, and the next such request grows the
process from there instead of from where it started. ``malloc_trim(0)`` returns every free
page to the system. A server process also keeps glibc's threshold for mapping a block on its
own fixed (:func:`settle_large_blocks`), so that the member-wide arrays are unmapped as soon
as they are freed. Elsewhere than glibc on Linux nothing is done.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable
from functools import cache

M_TRIM_THRESHOLD = -1
"""glibc's ``mallopt`` parameter: the free memory at a heap's top from which it is returned."""
M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter: the size from which a block is mapped on its own."""
MMAP_THRESHOLD = 1 << 20
"""Blocks of 1 MiB and more (a column over 131,072 members and up) are mapped each on its own
and unmapped when freed. glibc's threshold starts at 128 KiB but rises to the largest mapped
block freed so far (up to 32 MiB): after a first report, every member-wide array comes from
the heaps instead, where what is freed stays in the process between the blocks still in use
and the next report grows it from there. Fixed, the threshold stays where it is; the free
memory at a heap's top is returned from twice that, where glibc's own rule would put it."""


@cache
def _libc() -> ctypes.CDLL | None:
    """The process's own symbols, the C library's among them, on Linux only (found without
    ``ldconfig``, which ``ctypes.util.find_library`` runs and a server's ``PATH`` may lack)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def _function(name: str) -> Callable[..., int] | None:
    """glibc's ``name`` (None elsewhere: musl has no ``malloc_trim``)."""
    libc = _libc()
    found: Callable[..., int] | None = getattr(libc, name, None)
    return found


def give_back() -> bool:
    """Collect the cycles left by a large report and return the allocator's free pages to the
    system; whether anything could be asked of the allocator (glibc on Linux)."""
    gc.collect()
    trim = _function("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True


def settle_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Map blocks of ``threshold`` bytes and more each on its own, whatever was freed before
    (:data:`MMAP_THRESHOLD`), for a server process; whether the allocator took it (glibc on
    Linux). Smaller blocks, all a checkout allocates, are served as before."""
    mallopt = _function("mallopt")
    return (mallopt is not None and mallopt(M_MMAP_THRESHOLD, threshold) == 1
            and mallopt(M_TRIM_THRESHOLD, 2 * threshold) == 1)
