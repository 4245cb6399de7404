"""How much of a region is obstructed: the changed pixels of the last frames (see
`adapters.video.compare`), people passing through and the view beyond glass left out."""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from adapters.video.compare import Mask, RegionComparer
from adapters.video.config import RegionConfig
from adapters.video.frames import FloatImage

_SHAKE = np.ones((3, 3), np.uint8)


def region_mask(polygon: tuple[tuple[int, int], ...], scale: float,
                size: tuple[int, int]) -> Mask:
    """The polygon (source pixels) as a mask of an analysis frame of `size` (w, h)."""
    mask = np.zeros((size[1], size[0]), np.uint8)
    points = np.array([[x * scale, y * scale] for x, y in polygon], dtype=np.float32)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


class RegionWatch:
    """One region's obstruction, persistent over the last few frames.

    A pixel is obstructed when it changed in every frame kept (up to `persistence_frames`)
    and was still from the frame before in at least half of them: boxes and carts stay,
    even with people passing in front of them; people walking through do not. With fewer
    frames the share is still given, with the number of frames it rests on, so a single
    frame has a verdict.
    See-through pixels (glass, between bars) count only where an object rises in front of
    them from the floor: changed, with obstruction right below in the same column.
    """

    def __init__(self, region: RegionConfig, scale: float, size: tuple[int, int],
                 persistence_frames: int) -> None:
        self.region = region
        self.mask = region_mask(region.polygon, scale, size)
        see_through = np.zeros_like(self.mask)
        for part in region.see_through:
            see_through |= region_mask(part, scale, size)
        self.see_through = see_through & self.mask
        self.area = int(self.mask.sum())
        self._history: deque[tuple[Mask, Mask | None]] = deque(maxlen=persistence_frames)
        """Per frame kept: changed, and changed and still since the frame before (None for
        a frame with none before it)."""
        self._previous: FloatImage | None = None

    @property
    def persistence_frames(self) -> int:
        return self._history.maxlen or 1

    @property
    def frames_kept(self) -> int:
        return len(self._history)

    def reset(self) -> None:
        self._history.clear()
        self._previous = None

    def update(self, changed: Mask, comparer: RegionComparer) -> tuple[float, int] | None:
        """(share of the region obstructed, frames it rests on), or None when the region is
        too small to judge. `changed` is of the comparer's crop."""
        if self.area == 0:  # smaller than a pixel at analysis size: cannot be judged
            return None
        # what stays is also still: a pixel that changed since the previous frame (one
        # passer-by after another) does not count as still; a pixel of shake allowed
        previous = self._previous
        still: Mask | None = None  # unknown without a frame before
        if previous is not None and previous.shape == changed.shape:
            now, allow = comparer.current_log, comparer.current_allowance
            low = cv2.erode(previous, _SHAKE) - allow
            high = cv2.dilate(previous, _SHAKE) + allow
            still = changed & (now >= low) & (now <= high)
        self._previous = comparer.current_log
        self._history.append((changed, still))
        persistent = self._lasting()
        persistent = comparer.obstructed(persistent, len(self._history) == 1)
        region, see_through = comparer.region, comparer.see_through
        opaque = persistent & region & ~see_through
        behind = _rising_in_front(opaque, persistent & see_through, see_through)
        area = int(region.sum())
        return float(opaque.sum() + behind.sum()) / max(1, area), len(self._history)

    def _lasting(self) -> Mask:
        """Changed in every frame kept, and still in at least half of the frames that
        had one before them (at least one): a box stays changed while people pass in front
        of it (moving there, but never unchanged); a passer-by leaves its pixels unchanged
        in the other frames, and is not still from one frame to the next. A first frame
        alone is all there is to judge."""
        frames = list(self._history)
        changed = frames[0][0].copy()
        still = np.zeros(changed.shape, np.uint8)
        known = 0
        for now, steady in frames:
            changed &= now
            if steady is not None:
                still += steady
                known += 1
        if not known:
            return changed
        result: Mask = changed & (still >= max(1, known // 2))
        return result


def _rising_in_front(opaque: Mask, changed_through: Mask, see_through: Mask) -> Mask:
    """See-through pixels hidden by something standing on the floor: changed, and the
    pixel below in the same column obstructed (opaque, or see-through hidden in turn)."""
    if not changed_through.any():
        return changed_through
    rows = np.nonzero(see_through.any(axis=1))[0]
    hidden = np.zeros_like(changed_through)
    below = np.zeros(opaque.shape[1], bool)
    bottom = min(opaque.shape[0] - 1, int(rows.max()) + 1)
    below = opaque[bottom].copy()
    for y in range(bottom - 1, int(rows.min()) - 1, -1):
        row = changed_through[y] & below
        hidden[y] = row
        below = row | opaque[y]
    return hidden

