"""Giving a large report's freed memory back to the system once it is done.

A report over every member (the CLV report and its table) allocates arrays and rows of
hundreds of megabytes in all; once they are freed, glibc's allocator keeps much of that memory
in the process, scattered between pieces still in use, and the next such request grows the
process from there instead of from where it started. ``malloc_trim(0)`` returns every free
page to the system. Elsewhere than glibc on Linux nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Callable
from functools import cache


@cache
def _trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


def give_back() -> bool:
    """Collect the cycles left by a large report and return the allocator's free pages to the
    system; whether anything could be asked of the allocator (glibc on Linux)."""
    gc.collect()
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
