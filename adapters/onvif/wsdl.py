"""The ONVIF WSDLs, parsed once per process whatever the number of cameras.

onvif-zeep-async keeps the WSDL documents it parsed in a process-wide cache, and every
camera's services use them from there. But cameras that connect at the same moment (all
of them, when the gateway starts) all miss that cache at once: each parses the WSDLs
itself and keeps its own copy for as long as it is connected: 10 MB and more a camera.
`parsed_once` lets one service creation per WSDL through at a time, until one has
succeeded; from then on every creation finds the document in the cache and none waits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from weakref import WeakKeyDictionary

_parsed: set[str] = set()
"""WSDL paths whose document is in onvif-zeep-async's cache (it is process-wide)."""
_first_parse: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = \
    WeakKeyDictionary()


@contextlib.asynccontextmanager
async def parsed_once(wsdl: str) -> AsyncIterator[None]:
    """Around the creation of a service described by `wsdl`: until one such creation
    has succeeded, one at a time; after that, at once."""
    if wsdl in _parsed:
        yield
        return
    locks = _first_parse.setdefault(asyncio.get_running_loop(), {})
    async with locks.setdefault(wsdl, asyncio.Lock()):
        yield
        _parsed.add(wsdl)
