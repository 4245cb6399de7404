"""Where a simulated camera's pictures come from: the scene renderer of
`simulators.camera.scene` (a corridor with an emergency exit), rendered off the event
loop, or a pre-rendered cycle of JPEGs so that benchmarks do not count rendering."""

from __future__ import annotations

import asyncio
import dataclasses

from simulators.camera.scene import SceneRenderer, SceneState

PRERENDERED_FRAMES = 12
"""Length of the pre-rendered cycle, per camera."""


class FrameSource:
    """Snapshots of one camera: rendered on demand in a worker thread, or served from a
    pre-rendered cycle that is rendered again (off the loop) when the scene changes."""

    def __init__(self, seed: int, prerendered: bool, width: int = 640, height: int = 360) -> None:
        self._renderer = SceneRenderer(seed, width=width, height=height)
        self._prerendered = prerendered
        self._cycle: list[bytes] = []
        self._cycle_state: SceneState | None = None
        self._next = 0
        self._lock = asyncio.Lock()

    async def jpeg(self, t: float, state: SceneState) -> bytes:
        if not self._prerendered:
            return await asyncio.to_thread(self._renderer.render_jpeg, t, state)
        async with self._lock:
            if self._cycle_state != state or not self._cycle:
                self._cycle = await asyncio.to_thread(self._render_cycle, t, state)
                self._cycle_state = dataclasses.replace(state)
                self._next = 0
            frame = self._cycle[self._next % len(self._cycle)]
            self._next += 1
            return frame

    def _render_cycle(self, t: float, state: SceneState) -> list[bytes]:
        return [self._renderer.render_jpeg(t + i * 0.5, state) for i in range(PRERENDERED_FRAMES)]
