"""How much of a region differs from its reference, ignoring light changes, noise and
people passing through."""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np
import numpy.typing as npt

from adapters.video.config import RegionConfig
from adapters.video.frames import PreparedFrame

Mask = npt.NDArray[np.bool_]

_OPEN_KERNEL = np.ones((3, 3), np.uint8)


def region_mask(polygon: tuple[tuple[int, int], ...], scale: float,
                size: tuple[int, int]) -> Mask:
    """The polygon (source pixels) as a mask of an analysis frame of `size` (w, h)."""
    mask = np.zeros((size[1], size[0]), np.uint8)
    points = np.array([[x * scale, y * scale] for x, y in polygon], dtype=np.float32)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


class LightProbe:
    """Fixed sample pixels outside every region, to tell how the light changed."""

    def __init__(self, reference: PreparedFrame, background: Mask, samples: int = 1500) -> None:
        colour = reference.colour
        usable = background & (colour.min(axis=2) > 12)
        ys, xs = np.nonzero(usable)
        if len(ys) > samples:
            pick = np.linspace(0, len(ys) - 1, samples).astype(np.intp)
            ys, xs = ys[pick], xs[pick]
        self._ys, self._xs = ys, xs
        self._reference = colour[ys, xs]

    def gain(self, current: PreparedFrame) -> tuple[float, float, float]:
        """Per-channel factor by which the light changed (median of the samples)."""
        if len(self._ys) < 50:
            return (1.0, 1.0, 1.0)
        ratio = current.colour[self._ys, self._xs] / self._reference
        b, g, r = np.clip(np.median(ratio, axis=0), 0.05, 20.0)
        return (float(b), float(g), float(r))


def change_mask(reference: PreparedFrame, current: PreparedFrame,
                gain: tuple[float, float, float], level: float) -> Mask:
    """Pixels whose colour, light-compensated, differs from the reference by `level`."""
    compensated = cv2.transform(current.colour, np.diag([1 / g for g in gain]))
    b, g, r = cv2.split(cv2.absdiff(compensated, reference.colour))
    difference = cv2.max(cv2.max(b, g), r)
    _, changed = cv2.threshold(difference, level, 1, cv2.THRESH_BINARY)
    opened = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_OPEN, _OPEN_KERNEL)
    return np.asarray(opened, dtype=bool)


class RegionWatch:
    """One region's obstruction, persistent over the last few frames."""

    def __init__(self, region: RegionConfig, scale: float, size: tuple[int, int],
                 persistence_frames: int) -> None:
        self.region = region
        self.mask = region_mask(region.polygon, scale, size)
        self.area = int(self.mask.sum())
        self._history: deque[Mask] = deque(maxlen=persistence_frames)

    def reset(self) -> None:
        self._history.clear()

    def update(self, changed: Mask) -> float | None:
        """Share of the region changed in each of the last frames; None until there are
        enough frames to tell lasting obstruction from people passing through."""
        if self.area == 0:  # smaller than a pixel at analysis size: cannot be judged
            return None
        self._history.append(changed & self.mask)
        if len(self._history) < (self._history.maxlen or 1):
            return None
        persistent = self._history[0]
        for earlier in list(self._history)[1:]:
            persistent = persistent & earlier
        return float(persistent.sum()) / self.area
