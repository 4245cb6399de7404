"""Which pixels of a region differ from the reference, whatever the light did.

Three cues, each blind to a different change of light:

- brightness against a *local* light field: the ratio of current to reference brightness
  is fitted as a plane over a band just around the region (a lamp off on one side, sun on
  one wall), and a pixel is changed when its own ratio leaves that plane by more than the
  change level (relative, so it holds in the dark as in daylight) and the noise allow;
  a patch changed in brightness alone whose outline runs along the reference's edges is
  a surface lit anew (a door the sun on its wall does not reach) and does not count; with
  one view in infrared, the other's colours are mapped to its grey first;
- colour (only when both views are in colour): the chromaticity against the band's;
- structure: edges, judged relative to the local brightness, that appear or vanish
  (a box's outline, the door's panels hidden), which catch a grey box before a grey door
  under infrared, where brightness alone differs too little.

Changed pixels are joined (closing), enclosed holes filled (the flat face of a box whose
outline was seen), and speckle removed (opening). The rim a window's cue alone adds
around an obstacle (its half-width beyond the outline) is taken off again, and in a
single frame the columns of someone standing before the region are left out. Everything
is computed on the region's bounding box only, so the cost does not grow with the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from adapters.video.frames import FloatImage, PreparedFrame

Mask = npt.NDArray[np.bool_]

_MARGIN = 10
"""Analysis pixels around the region kept in its crop (the light band lies there)."""
_BAND = 7
_EDGE_LEVEL = 0.12
"""Gradient magnitude over the local brightness above which a pixel is an edge."""
_CHROMA_LEVEL = 0.16
_MIN_BAND = 40
_BAND_SAMPLES = 400
_OFFSET = 6.0
"""Added to grey levels before ratios, so that black does not divide by zero."""
_TEXTURE_LEVEL = float(np.log(2.2))
"""Local texture this many times stronger or weaker than the reference's is a change."""
_CLIPPED = 245.0
"""Smoothed grey at or above which a pixel is saturated: its brightness says nothing."""
_WINDOW = 7
"""Side of the window of the local correlation (analysis pixels)."""
_CORRELATION_LEVEL = 0.4
"""Local correlation with the reference below which two structured views differ."""
_STRUCTURED = 1.5
"""Local grey spread, in noise levels, above which a window has structure."""
_RELATIVE_SPREAD = 0.04
"""... and over the local brightness."""
_MIN_HULL_PIXELS = 12
_STANDING_PX = 4
"""How close to the region's bottom edge a patch must reach to stand on the floor."""
_HULL_SUPPORT = 0.35
"""Share of its convex hull a changed patch must cover to be filled to it."""
_FOREIGN = 0.35
"""Share of a changed patch outside the region above which it is not the region's."""
_BEYOND_PX = 5
"""How far beyond the region's top or bottom edge a patch must reach, in a column, to be
someone standing there (further than the comparison's windows spread an edge)."""
_CLOSE = np.ones((5, 5), np.uint8)
_WINDOW_KERNEL = np.ones((_WINDOW, _WINDOW), np.uint8)
_OPEN = np.ones((3, 3), np.uint8)
_TOLERANCE = np.ones((3, 3), np.uint8)
_WIDE = np.ones((5, 5), np.uint8)
_MIN_OUTLINE = 12
"""Outline pixels a patch needs before its outline is judged."""
_RELIT_OUTLINE = 0.6
"""Share of a patch's outline along the reference's edges above which it is a surface
lit anew, not something new."""
_DETAIL_HIDDEN = 0.5
"""Share of the reference's edges within a patch gone (or changed) at or above which the
patch hides the surface rather than shows it lit anew."""


@dataclass(frozen=True)
class Crop:
    """The bounding box of a region (with margin) in analysis pixels."""

    x0: int
    y0: int
    x1: int
    y1: int

    def of(self, image: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return image[self.y0:self.y1, self.x0:self.x1]


def crop_around(mask: Mask) -> Crop:
    ys, xs = np.nonzero(mask)
    height, width = mask.shape
    if len(ys) == 0:
        return Crop(0, 0, 1, 1)
    return Crop(max(0, int(xs.min()) - _MARGIN), max(0, int(ys.min()) - _MARGIN),
                min(width, int(xs.max()) + 1 + _MARGIN), min(height, int(ys.max()) + 1 + _MARGIN))


def noise_level(frame: PreparedFrame, crop: Crop) -> float:
    """Sensor noise (grey levels, of the unsmoothed frame) in the crop: the robust spread
    of the difference between the frame and its smoothed self."""
    detail = crop.of(frame.detail)[::2, ::2]
    smooth = crop.of(frame.grey)[::2, ::2]
    residual = np.abs(np.asarray(detail, np.float32) - np.asarray(smooth, np.float32))
    return float(np.median(residual)) * 1.4826 + 0.5


class RegionComparer:
    """The reference side of one region, prepared once per reference."""

    def __init__(self, reference: PreparedFrame, region: Mask, see_through: Mask,
                 change_level: float, infrared: bool) -> None:
        self.crop = crop_around(region)
        self.region = np.asarray(self.crop.of(region), bool)
        self.see_through = np.asarray(self.crop.of(see_through), bool) & self.region
        ring = cv2.dilate(self.region.astype(np.uint8), np.ones((2 * _BAND + 1,) * 2, np.uint8))
        self.band = (ring > 0) & ~self.region
        self.level = float(np.log1p(change_level / (128.0 + _OFFSET)))
        self.infrared = infrared
        self.through_changed = np.zeros_like(self.see_through)
        self._sees_through = \
            (cv2.dilate(self.see_through.astype(np.uint8), _WINDOW_KERNEL) > 0) & ~self.see_through
        """Opaque pixels whose comparison windows reach into a see-through part."""
        self.current_log: FloatImage = np.zeros(self.region.shape, np.float32)
        """The log grey of the crop in the last frame compared."""
        self.current_allowance: FloatImage = np.zeros(self.region.shape, np.float32)
        self.current_located: Mask = np.zeros(self.region.shape, bool)
        """Pixels of the last frame compared whose change a pixel's own cue (an edge, its
        brightness or colour) shows, not only a window's."""
        # copies of the crops (np.array): views would keep the whole reference frame
        grey = np.array(self.crop.of(reference.grey), np.float32)
        self._log = _log(_smooth(grey))
        self._edges = _edges(grey, noise_level(reference, self.crop))
        self._near_edges = cv2.dilate(self._edges.astype(np.uint8), _TOLERANCE) > 0
        self._colour = np.array(self.crop.of(reference.colour), np.float32)
        self._chroma = _chroma(self._colour)
        self._texture = _texture(grey)
        self._grey = grey
        rows = np.arange(self.region.shape[0])[:, None]
        self._bottom = np.where(self.region, rows, -1).max(axis=0)
        """Per column of the crop, the region's lowest row (-1: none)."""
        top = np.where(self.region, rows, self.region.shape[0]).min(axis=0)
        self._beyond = ((rows < top - _BEYOND_PX) | (rows > self._bottom + _BEYOND_PX)) & \
            (self._bottom >= 0)
        """Pixels well above or below the region in its own columns: where someone
        standing before it shows, and no obstacle standing in it reaches."""
        self._floor_or_glass = ((rows > self._bottom) & (self._bottom >= 0)) | self.see_through
        """Below the region in its columns (the floor an obstacle stands on) and the
        see-through parts: no outline of an obstacle lies against them."""
        self._mean, self._spread = _local_stats(grey)
        ys, xs = np.nonzero(self.band)
        if len(ys) > _BAND_SAMPLES:
            pick = np.linspace(0, len(ys) - 1, _BAND_SAMPLES).astype(np.intp)
            ys, xs = ys[pick], xs[pick]
        self._band_ys, self._band_xs = ys, xs
        h, w = self.region.shape
        grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
        self._grid = (grid_x / max(1, w), grid_y / max(1, h))
        self._design = np.stack([np.ones(len(ys)), xs / max(1, w), ys / max(1, h)],
                                axis=1) if len(ys) else np.zeros((0, 3))

    def changed(self, current: PreparedFrame, noise: float, infrared: bool) -> Mask:
        """Changed pixels of the whole crop, see-through pixels as they are (`RegionWatch`
        decides which of them count)."""
        grey = np.asarray(self.crop.of(current.grey), np.float32)
        log_now = _log(_smooth(grey))
        self.current_log = log_now
        self.current_allowance = np.asarray(
            self.level + 2.5 * (noise / 3.0) / np.exp(log_now), np.float32)
        edges = _edges(grey, noise)
        near_now = cv2.dilate(edges.astype(np.uint8), _TOLERANCE) > 0
        structure = (edges & ~self._near_edges) | (self._edges & ~near_now)
        located = structure.copy()  # changes a pixel shows of itself, not a window's
        texture = _texture(grey)
        rough = 1.5 * noise / 3.0 / np.exp(log_now) + 0.01
        windowed = np.abs(np.log((texture + rough) / (self._texture + rough))) > _TEXTURE_LEVEL
        windowed |= self._unlike(grey, noise)
        # a window reaching into a see-through part sees the view beyond change: what it
        # says of the opaque pixels (bars, frames) next to it is left out
        structure |= windowed & ~self._sees_through
        unclipped = (grey < _CLIPPED) & (self._grey < _CLIPPED)
        ratio = log_now - self._log
        if infrared != self.infrared:  # one view in infrared: each colour mapped to its grey
            steady = ~structure & unclipped
            if self.infrared:
                colour = np.asarray(self.crop.of(current.colour), np.float32)
                ratio = _log(self._mapped(colour, self._grey, steady)) - self._log
            else:
                ratio = log_now - _log(self._mapped(self._colour, grey, steady))
        # the light is read where nothing new stands (passers-by in the band do not bend
        # it) and where neither view is saturated (a wall in the sun burnt to white)
        field = self._light_field(ratio, ~structure & unclipped)
        brightness = np.exp(self._log) * np.exp(field)
        changed = structure.copy()
        if not infrared and not self.infrared:
            chroma = _chroma(np.asarray(self.crop.of(current.colour), np.float32)) - self._chroma
            usable = unclipped[self._band_ys, self._band_xs]
            offset = np.median(chroma[self._band_ys[usable], self._band_xs[usable]], axis=0) \
                if usable.sum() >= _MIN_BAND else np.zeros(2, np.float32)
            distance = np.maximum(np.abs(chroma[..., 0] - offset[0]),
                                  np.abs(chroma[..., 1] - offset[1]))
            bright = brightness > 25.0
            changed |= (distance > _CHROMA_LEVEL + 3.0 * noise / brightness) & bright
            located |= changed & ~structure
        allowed = self.level + 2.5 * (noise / 3.0) / brightness
        brighter = self._relit_left_out(
            (np.abs(ratio - field) > allowed) & unclipped & ~structure, structure)
        changed |= brighter
        self.current_located = cv2.dilate((located | brighter).astype(np.uint8), _TOLERANCE) > 0
        self.through_changed = changed & self.see_through
        changed &= ~self.see_through
        mask = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_CLOSE, _CLOSE)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _OPEN)
        result: Mask = ((mask > 0) & ~self.see_through) | self.through_changed
        return result

    def _relit_left_out(self, brighter: Mask, structure: Mask) -> Mask:
        """`brighter` (pixels whose brightness alone changed) less each patch whose outline
        runs along the reference's own edges, still there, and which keeps the reference's
        detail within it: a whole surface (a door, a wall) lit anew, as the sun or a lamp
        does. What stands in front draws an outline of its own, or, covering the whole door
        or a pane, hides the edges of what it covers (`structure` there: its frame, panels,
        push bar)."""
        whole = _fill_holes(brighter.astype(np.uint8))  # a patch with the edges it encloses
        count, labels = cv2.connectedComponents(whole, connectivity=8)
        if count <= 1:
            return brighter
        grown = cv2.dilate(labels.astype(np.float32), _TOLERANCE).astype(np.int32)
        outline = (grown > 0) & (labels == 0)
        outline[0, :] = outline[-1, :] = False
        outline[:, 0] = outline[:, -1] = False
        owners = grown[outline]
        total = np.bincount(owners, minlength=count)
        still_there = cv2.dilate((self._edges & ~structure).astype(np.uint8), _WIDE) > 0
        along = np.bincount(owners[still_there[outline]], minlength=count)
        detail = np.bincount(labels[self._edges], minlength=count)
        hidden = np.bincount(labels[self._edges & structure], minlength=count)
        detail_kept = (detail < _MIN_OUTLINE) | (hidden < _DETAIL_HIDDEN * detail)
        relit = (total >= _MIN_OUTLINE) & (along >= _RELIT_OUTLINE * total) & detail_kept
        relit[0] = False
        result: Mask = brighter & ~relit[labels]
        return result

    def _unlike(self, grey: FloatImage, noise: float) -> Mask:
        """Where both views have structure but not the same: the local normalised
        correlation (the structure term of SSIM) low. Blind to any local change of gain
        and offset, so it holds whatever the light, infrared against colour too."""
        mean, spread = _local_stats(grey)
        cross = cv2.blur(grey * self._grey, (_WINDOW, _WINDOW)) - mean * self._mean
        correlation = cross / (spread * self._spread + 1e-3)
        floor = np.float32(_STRUCTURED * noise + 1.0)
        structured = (spread > floor) & (self._spread > floor) & \
            (spread > _RELATIVE_SPREAD * (mean + _OFFSET)) & \
            (self._spread > _RELATIVE_SPREAD * (self._mean + _OFFSET))
        result: Mask = structured & (np.abs(correlation) < _CORRELATION_LEVEL)
        return result

    def obstructed(self, persistent: Mask, single: bool) -> Mask:
        """What the changes that lasted hide: each patch filled within its outline, and
        (for a `single` frame) passers-by left out. True only inside the region."""
        opaque = (persistent & ~self.see_through).astype(np.uint8)
        if single:
            opaque = self._without_passers_by(opaque)
        filled = self._placed(_fill_standing(opaque, self._bottom) > 0)
        result: Mask = (filled & self.region & ~self.see_through) | (persistent & self.see_through)
        return result

    def _placed(self, filled: Mask) -> Mask:
        """`filled` less the outer rim a window's cue alone put there: a window flags the
        pixels up to its half-width beyond an outline, so the rim of that width which no
        pixel's own cue shows is where the window reached, not the obstacle."""
        solid = (filled | self._floor_or_glass).astype(np.uint8)
        core = cv2.erode(solid, _WINDOW_KERNEL) > 0
        result: Mask = filled & (core | self.current_located)
        return result

    def _without_passers_by(self, mask: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """Passers-by left out of a single frame: the columns in which a patch reaches well
        above or below the region (someone taller than the door, or nearer the camera than
        its foot; an obstacle standing in the region stays within it), then the patches
        changed mostly outside the region (a person crossing beside it). What the person
        joined to stays: a box with someone before it keeps its other columns."""
        count, labels = cv2.connectedComponents(mask, connectivity=8)
        if count <= 1:
            return mask
        width = mask.shape[1]
        keys = labels * width + np.arange(width)[None, :]
        standing = np.zeros(count * width, bool)
        standing[keys[self._beyond & (labels > 0)]] = True
        standing[:width] = False
        remaining = (mask > 0) & ~standing[keys]
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            remaining.astype(np.uint8), connectivity=8)
        if count <= 1:
            return np.asarray(remaining, np.uint8)
        inside = np.bincount(labels[self.region], minlength=count)
        total = stats[:, cv2.CC_STAT_AREA]
        keep = inside >= (1.0 - _FOREIGN) * total
        keep[0] = False
        return np.asarray(keep[labels], np.uint8)

    def _mapped(self, colour: FloatImage, grey: FloatImage, usable: Mask) -> FloatImage:
        """`grey` (one view's) predicted from `colour` (the other's) over the crop: a mix of
        the colour channels whose weights vary as a plane over the crop (the light), fitted
        over the band where nothing new stands, twice (without the worst third)."""
        ys, xs = self._band_ys, self._band_xs
        steady = usable[ys, xs]
        if steady.sum() < _MIN_BAND:
            steady = np.ones(len(ys), bool)
        if len(ys) < _MIN_BAND:
            mix = colour.mean(axis=2)
            return np.asarray(mix * (np.median(grey) / max(1e-3, float(np.median(mix)))),
                              np.float32)
        gx, gy = self._grid
        samples = colour[ys, xs][steady].astype(np.float64)
        px, py = gx[ys, xs][steady, None], gy[ys, xs][steady, None]
        design = np.concatenate([samples, samples * px, samples * py], axis=1)
        target = grey[ys, xs][steady].astype(np.float64)
        keep = np.ones(len(target), bool)
        for _ in range(2):
            coefficients = np.linalg.lstsq(design[keep], target[keep], rcond=None)[0]
            residual = np.abs(design @ coefficients - target)
            keep = residual <= np.partition(residual, len(residual) * 2 // 3)[
                len(residual) * 2 // 3]
        weights = coefficients.reshape(3, 3)
        mix = sum((weights[0, c] + weights[1, c] * gx + weights[2, c] * gy) * colour[..., c]
                  for c in range(3))
        return np.asarray(np.maximum(mix, 0.0), np.float32)

    def _light_field(self, ratio: FloatImage, usable: Mask) -> FloatImage:
        """The log light ratio as a plane fitted over the band: fitted once, then again
        without the worst third, so passers-by in the band do not bend it."""
        if len(self._band_ys) < _MIN_BAND:
            return np.full(ratio.shape, float(np.median(ratio)), np.float32)
        steady = usable[self._band_ys, self._band_xs]
        if steady.sum() < _MIN_BAND:  # the band is all new or saturated: one gain
            inside = ratio[usable] if usable.sum() >= _MIN_BAND else ratio
            return np.full(ratio.shape, float(np.median(inside)), np.float32)
        samples = ratio[self._band_ys, self._band_xs][steady].astype(np.float64)
        design = self._design[steady]
        median = float(np.median(samples))
        deviation = np.abs(samples - median)
        keep = deviation <= np.partition(deviation, len(deviation) * 2 // 3)[
            len(deviation) * 2 // 3]
        coefficients = np.linalg.lstsq(design[keep], samples[keep], rcond=None)[0]
        residual = np.abs(samples - design @ coefficients)
        cut = np.partition(residual, len(residual) * 2 // 3)[len(residual) * 2 // 3]
        keep = residual <= max(float(cut), 1e-3)
        if keep.sum() >= _MIN_BAND // 2:
            coefficients = np.linalg.lstsq(design[keep], samples[keep], rcond=None)[0]
        a, b, c = (float(v) for v in coefficients)
        gx, gy = self._grid
        return np.asarray(a + b * gx + c * gy, np.float32)


def _smooth(grey: FloatImage) -> FloatImage:
    return np.asarray(cv2.blur(grey, (3, 3)), np.float32)


def _log(grey: FloatImage) -> FloatImage:
    return np.asarray(np.log(np.maximum(grey, 0) + _OFFSET), np.float32)


def _edges(grey: FloatImage, noise: float) -> Mask:
    """Steps of at least `_EDGE_LEVEL` of the local brightness, and well above the noise
    (`noise` of the unsmoothed frame; the analysed grey is smoothed about threefold)."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx, gy) / 4.0
    local = cv2.blur(grey, (5, 5)) + _OFFSET * 2
    return np.asarray((magnitude > _EDGE_LEVEL * local) & (magnitude > 1.2 * noise), bool)


def _local_stats(grey: FloatImage) -> tuple[FloatImage, FloatImage]:
    """Local mean and spread of the grey over `_WINDOW` pixels."""
    mean = cv2.blur(grey, (_WINDOW, _WINDOW))
    square = cv2.blur(grey * grey, (_WINDOW, _WINDOW))
    spread = np.sqrt(np.maximum(square - mean * mean, 0.0))
    return np.asarray(mean, np.float32), np.asarray(spread, np.float32)


def _chroma(colour: FloatImage) -> FloatImage:
    """log(B/G) and log(R/G): what the colour is, whatever its brightness."""
    b, g, r = cv2.split(colour + _OFFSET)
    return np.stack([np.log(b / g), np.log(r / g)], axis=2).astype(np.float32)


def _texture(grey: FloatImage) -> FloatImage:
    """Local grey spread over the local brightness (5x5)."""
    mean = cv2.blur(grey, (5, 5))
    square = cv2.blur(grey * grey, (5, 5))
    spread = np.sqrt(np.maximum(square - mean * mean, 0.0))
    return np.asarray(spread / (mean + _OFFSET), np.float32)


def _fill_standing(mask: npt.NDArray[np.uint8],
                   bottom: npt.NDArray[np.intp]) -> npt.NDArray[np.uint8]:
    """Each changed patch that stands on the floor (reaches the region's bottom edge)
    filled to its convex hull when the outline it leaves is substantial (an object's edges
    seen, its flat face not): what stands in front of the door hides all within its
    outline. Patches floating higher (what is left of passers-by) are not filled."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    result = mask.copy()
    for label in range(1, count):
        area = int(stats[label, cv2.CC_STAT_AREA])
        if area < _MIN_HULL_PIXELS:
            continue
        ys, xs = np.nonzero(labels == label)
        if not np.any(ys >= bottom[xs] - _STANDING_PX):
            continue
        hull = cv2.convexHull(np.stack([xs, ys], axis=1).astype(np.int32))
        if area >= _HULL_SUPPORT * cv2.contourArea(hull):
            cv2.fillPoly(result, [hull], 1)
    return _fill_holes(result)


def _fill_holes(mask: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """`mask` with every hole it fully encloses filled."""
    h, w = mask.shape
    padded = np.zeros((h + 2, w + 2), np.uint8)
    padded[1:-1, 1:-1] = mask
    flood = padded.copy()
    cv2.floodFill(flood, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 1)
    holes = flood[1:-1, 1:-1] == 0
    result = mask.copy()
    result[holes] = 1
    return result
