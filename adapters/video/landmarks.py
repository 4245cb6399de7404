"""Where the camera looks, against its reference: textured patches of the reference view
(outside the watched regions) are searched for in the current frame. The median of
their displacements is the camera's shift; patches not found at all mean it looks
elsewhere. Passers-by hide a few patches, never most of them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from adapters.video.compare import Mask
from adapters.video.frames import FloatImage

_PATCH = 24
_SEARCH = 64
"""How far (analysis pixels) a landmark is looked for."""
_REFINE = 3
_MAX_LANDMARKS = 32
_MIN_TEXTURE = 8.0
_FOUND_SCORE = 0.6
_STILL_SCORE = 0.8
_AGREE_PX = 2
_RECOGNISABLE_SCORE = 0.5
_MIN_FOR_SHARPNESS = 3


@dataclass(frozen=True)
class Shift:
    """How the view moved against the reference, in source pixels."""

    dx: float
    dy: float
    match: float
    """Share of landmarks found again, all moved alike: 0 (a different picture) .. 1."""

    @property
    def distance(self) -> float:
        return math.hypot(self.dx, self.dy)


@dataclass(frozen=True)
class _Landmark:
    x: int
    y: int
    patch: FloatImage
    coarse: FloatImage
    """The patch at half size."""
    energy: float
    """Gradient energy of the patch: falls as the view blurs."""


@dataclass(frozen=True)
class InPlace:
    """The landmarks as they look at their own places in the current frame."""

    scores: npt.NDArray[np.float64]
    """Normalised correlation with the reference patch, per landmark."""
    energy_ratios: npt.NDArray[np.float64]
    """Edge energy against the reference's, per landmark."""
    contrast_ratios: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    """Grey spread over mean grey against the reference's, per landmark: about 1 in any
    light, well below under a veil."""


class Landmarks:
    """Textured patches of a reference frame, picked at corners outside the regions."""

    def __init__(self, reference: FloatImage, excluded: Mask, scale: float,
                 detail: FloatImage | None = None) -> None:
        self.scale = scale
        self._landmarks = _pick(reference, excluded, reference if detail is None else detail)
        patches = np.stack([m.patch.reshape(-1) for m in self._landmarks]).astype(np.float64) \
            if self._landmarks else np.zeros((0, _PATCH * _PATCH))
        centred = patches - patches.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(centred, axis=1, keepdims=True)
        self._unit = centred / np.maximum(norms, 1e-6)
        self._energy = np.array([m.energy for m in self._landmarks], dtype=np.float64)
        self._contrast = _relative_spread(patches)
        self._index: npt.NDArray[np.intp] | None = None
        self._index_width = 0

    def in_place(self, current: FloatImage, detail: FloatImage | None = None) -> InPlace:
        """Correlation (of the smoothed grey) and edge energy (of the unsmoothed `detail`
        when given: blur shows there first) of every landmark at its place (vectorised)."""
        if not self._landmarks:
            empty = np.zeros(0)
            return InPlace(empty, empty, empty)
        fine = current if detail is None else detail
        index = self._pixels(current.shape[1])
        energy = gradient_energy(fine).reshape(-1)[index].mean(axis=1, dtype=np.float64)
        here = current.reshape(-1)[index].astype(np.float64)
        fine_here = here if detail is None else fine.reshape(-1)[index].astype(np.float64)
        centred = here - here.mean(axis=1, keepdims=True)
        squares = (centred * centred).sum(axis=1)
        scores = (centred * self._unit).sum(axis=1) / np.maximum(np.sqrt(squares), 1e-6)
        variance = fine_here.var(axis=1)
        ratios = (energy / (variance + 1.0)) / np.maximum(self._energy, 1e-9)
        contrast = _relative_spread(here) / np.maximum(self._contrast, 1e-9)
        return InPlace(scores, ratios, contrast)

    def _pixels(self, width: int) -> npt.NDArray[np.intp]:
        """Flat indices of every landmark's pixels in a frame `width` wide, one row each."""
        if self._index is None or self._index_width != width:
            ys, xs = np.mgrid[0:_PATCH, 0:_PATCH]
            offsets = (ys * width + xs).reshape(-1)
            self._index = np.stack([m.y * width + m.x + offsets for m in self._landmarks])
            self._index_width = width
        return self._index

    def sharpness(self, seen: InPlace) -> float | None:
        """Median, over the landmarks still recognisable in place, of their edge energy
        now against the reference's: about 1 for the same focus, well below for a blurred
        view. Measuring the same structures keeps new content (boxes, passers-by) from
        passing as sharpness. None when too few landmarks are recognisable to tell."""
        ratios = seen.energy_ratios[(seen.scores >= _RECOGNISABLE_SCORE) & (self._energy > 0)]
        return float(np.median(ratios)) if ratios.size >= _MIN_FOR_SHARPNESS else None

    def contrast(self, seen: InPlace) -> float | None:
        """Median, over the landmarks still recognisable in place, of their contrast for
        their brightness against the reference's: about 1 whatever the light, low under a
        veil (spray, smear). None when too few are recognisable to tell."""
        ratios = seen.contrast_ratios[seen.scores >= _RECOGNISABLE_SCORE]
        return float(np.median(ratios)) if ratios.size >= _MIN_FOR_SHARPNESS else None

    def locate(self, current: FloatImage, seen: InPlace) -> Shift:
        """The view's shift; `match` is the share of landmarks that agree with it."""
        total = len(self._landmarks)
        if not total:
            return Shift(0.0, 0.0, 1.0)
        still = int((seen.scores >= _STILL_SCORE).sum())
        if still >= total / 2:
            return Shift(0.0, 0.0, still / total)
        coarse = np.asarray(cv2.pyrDown(current), dtype=np.float32)
        found = [move for move in (self._search(current, coarse, mark)
                                   for mark in self._landmarks) if move is not None]
        at_rest = sum(_near(move, (0, 0)) for move in found)
        best, support = _consensus(found)
        if support >= min(3, total) and support > at_rest:
            return Shift(best[0] / self.scale, best[1] / self.scale, support / total)
        return Shift(0.0, 0.0, at_rest / total)

    def _search(self, current: FloatImage, coarse: FloatImage,
                mark: _Landmark) -> tuple[int, int] | None:
        """Where the landmark went: searched far on the half-size frame, then refined."""
        rough = _best_match(coarse, mark.coarse, mark.x // 2, mark.y // 2, _SEARCH // 2)
        if rough is None:
            return None
        fine = _best_match(current, mark.patch, mark.x + rough[0] * 2, mark.y + rough[1] * 2,
                           _REFINE)
        if fine is None:
            return None
        return rough[0] * 2 + fine[0], rough[1] * 2 + fine[1]


def _best_match(image: FloatImage, patch: FloatImage, x: int, y: int,
                radius: int) -> tuple[int, int] | None:
    """Offset from (x, y) where `patch` matches best within `radius`, if it matches."""
    height, width = image.shape[:2]
    size_y, size_x = patch.shape[:2]
    x0, y0 = max(0, x - radius), max(0, y - radius)
    x1, y1 = min(width, x + size_x + radius), min(height, y + size_y + radius)
    if x1 - x0 < size_x or y1 - y0 < size_y:
        return None
    scores = cv2.matchTemplate(image[y0:y1, x0:x1], patch, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(scores)
    return (x0 + bx - x, y0 + by - y) if best >= _FOUND_SCORE else None


def gradient_energy(image: FloatImage) -> FloatImage:
    """Squared gradient magnitude of every pixel."""
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(cv2.add(cv2.multiply(gx, gx), cv2.multiply(gy, gy)), dtype=np.float32)


def _patch_energy(energy: FloatImage, image: FloatImage, x: int, y: int) -> float:
    """Mean squared gradient over the grey-level variance of one patch: how steep its
    edges are for its contrast, whatever the light."""
    _, spread = cv2.meanStdDev(image[y:y + _PATCH, x:x + _PATCH])
    mean_energy = cv2.mean(energy[y:y + _PATCH, x:x + _PATCH])[0]
    return float(mean_energy) / (float(spread[0, 0]) ** 2 + 1.0)


def _relative_spread(patches: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Grey spread over mean grey of each flattened patch (one per row)."""
    if patches.size == 0:
        return np.zeros(len(patches))
    spread: npt.NDArray[np.float64] = patches.std(axis=1) / (patches.mean(axis=1) + 4.0)
    return spread


def _near(move: tuple[int, int], other: tuple[int, int]) -> bool:
    return abs(move[0] - other[0]) <= _AGREE_PX and abs(move[1] - other[1]) <= _AGREE_PX


def _consensus(moves: list[tuple[int, int]]) -> tuple[tuple[int, int], int]:
    """The move most landmarks agree with, and how many do."""
    best, support = (0, 0), 0
    for move in moves:
        agreeing = sum(_near(other, move) for other in moves)
        if agreeing > support:
            best, support = move, agreeing
    return best, support


def _pick(reference: FloatImage, excluded: Mask, detail: FloatImage) -> list[_Landmark]:
    """Corners (they fix a position in both directions) spread over the view."""
    height, width = reference.shape[:2]
    half = _PATCH // 2
    allowed = np.zeros((height, width), np.uint8)
    allowed[half:height - half, half:width - half] = 255
    near_region = cv2.dilate(excluded.astype(np.uint8), np.ones((_PATCH, _PATCH), np.uint8))
    allowed[near_region > 0] = 0
    corners = cv2.goodFeaturesToTrack(reference, maxCorners=_MAX_LANDMARKS, qualityLevel=0.01,
                                      minDistance=_PATCH * 2 // 3, mask=allowed, blockSize=5)
    picked = []
    energy = gradient_energy(detail)
    for x, y in ([] if corners is None else corners.reshape(-1, 2)):
        left, top = round(float(x)) - half, round(float(y)) - half
        patch = reference[top:top + _PATCH, left:left + _PATCH]
        if patch.shape == (_PATCH, _PATCH) and float(patch.std()) >= _MIN_TEXTURE:
            coarse = np.asarray(cv2.resize(patch, (_PATCH // 2, _PATCH // 2),
                                           interpolation=cv2.INTER_AREA), dtype=np.float32)
            picked.append(_Landmark(left, top, patch.copy(), coarse,
                                    _patch_energy(energy, detail, left, top)))
    return picked
