"""Freed memory handed back to the system.

CPython gives a freed object's memory back to the C library's allocator, and glibc's malloc
keeps what it was given for reuse rather than returning it: after loading a site of
10,000 devices or a burst of messages, a long-running gateway would otherwise keep its
high-water mark for good. The gateway asks glibc (`malloc_trim`) to return the pages it
holds free every `RELEASE_EVERY_S` (the first time a minute after its start, so that it
does not hold the allocator while the gateway starts). Where the C library has no
`malloc_trim` (musl, macOS) this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache

from gateway.core.clock import Clock

RELEASE_EVERY_S = 60.0


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def can_release() -> bool:
    """Whether this C library can be asked to return free memory."""
    return _malloc_trim() is not None


def release_free_memory() -> bool:
    """Return the allocator's free pages to the system; False where it cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


async def keep_releasing_memory(clock: Clock, every_s: float = RELEASE_EVERY_S) -> None:
    """Release free memory every `every_s`, until cancelled (off the loop: it walks the
    whole heap)."""
    due = clock.now()
    while True:
        due += every_s  # on a fixed schedule: a slow release does not push the next one
        await clock.sleep(due - clock.now())
        await asyncio.to_thread(release_free_memory)
