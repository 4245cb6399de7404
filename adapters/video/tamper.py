"""Camera tampering: a covered lens (dark tape, or a lit hand or cloth), a defocused view,
a camera turned away, a hazed lens (spray, smear)."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from adapters.video.config import TamperConfig
from adapters.video.frames import PreparedFrame, shrink
from adapters.video.landmarks import Shift

_THUMBNAIL = (48, 27)
_HAZE_CORRELATION = 0.6
"""Likeness of the whole view's structure to the reference's above which, with no
landmark to measure, a faint view is hazed rather than another scene."""
_UNLIKE = 0.25
"""Likeness of the whole view's structure below which it shows another scene."""
_SHARPER = 1.5
"""Landmark edges this much steeper than the reference's: not a veil (new content)."""
_SMEAR_CONTRAST = 0.7
"""Share of `haze_contrast` below which the landmarks' contrast, with softer edges, is a
smear whether or not the darks are lifted."""
_SOFTER = 1.0
"""Landmark edge energy against the reference's below which the view is softer."""
_NONE_FOUND = 0.05
"""Share of landmarks found below which the camera looks elsewhere whatever its edges
(another light leaves some landmarks recognisable)."""
_EDGE_THUMBNAIL = (80, 45)
_EDGES_UNLIKE = 0.3
"""Likeness of where the view's edges lie to the reference's below which, with the
landmarks not found, the camera looks elsewhere. Edges stay where they are in any light
(sun and shade, lamps, infrared), even when their contrast turns over."""


@dataclass(frozen=True)
class ViewSignature:
    """Whole-frame measures of what the camera sees."""

    brightness: float
    """Mean grey level."""
    contrast: float
    """Standard deviation of the grey levels."""
    texture: float
    """Fine structure of a thumbnail (grey spread of its high-pass over its mean): about
    0 for a lens covered by anything, lit or not; the same for any exposure."""
    floor: float
    """5th percentile of the thumbnail's grey over its median: haze lifts the darks."""
    fine: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros((1, 1), np.float32),
                                          compare=False, repr=False)
    """The thumbnail's high-pass over its mean grey."""
    edges: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((1, 1), np.float32), compare=False, repr=False)
    """Edge strength (for the local brightness, logarithmic, less its mean) of a
    thumbnail: where the view's edges lie, whatever the light."""


@dataclass(frozen=True)
class Likeness:
    """The fine structure of a view against the reference's."""

    correlation: float
    """Of the two high-passes: near 1 for the same scene in any light, near 0 for a
    different picture (a cover, another view)."""
    contrast: float
    """How strong the reference's structure still is, for the brightness: 1 for a light
    change, well below under a veil."""
    edges: float = 1.0
    """Of the two edge maps: high for the same view in any light, low for another."""


def likeness(view: ViewSignature, reference: ViewSignature) -> Likeness:
    now, then = view.fine.reshape(-1), reference.fine.reshape(-1)
    if now.shape != then.shape:
        return Likeness(0.0, 0.0, 0.0)
    energy = float(then @ then)
    norms = float(np.sqrt(energy * float(now @ now)))
    correlation = float(now @ then) / norms if norms > 1e-12 else 0.0
    contrast = float(now @ then) / energy if energy > 1e-12 else 0.0
    return Likeness(correlation, contrast, _correlation(view.edges, reference.edges))


def _correlation(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    """Normalised correlation of two zero-mean maps (0 when they do not compare)."""
    if a.shape != b.shape:
        return 0.0
    now, then = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    norms = float(np.sqrt(float(now @ now) * float(then @ then)))
    return float(now @ then) / norms if norms > 1e-12 else 0.0


@dataclass(frozen=True)
class TamperFindings:
    covered: bool
    blurred: bool | None
    """None without a reference."""
    moved: bool | None
    """None without a reference."""
    sharpness_ratio: float | None
    """Edge energy against the reference's; None without a reference."""
    shift: Shift | None
    signature: ViewSignature
    hazed: bool | None = None
    """None without a reference."""
    contrast_ratio: float | None = None
    """Contrast of the landmarks for their brightness against the reference's; None
    without a reference or too few landmarks recognisable."""

    @property
    def any(self) -> bool:
        return bool(self.covered or self.blurred or self.moved or self.hazed)


def signature(frame: PreparedFrame) -> ViewSignature:
    mean, spread = cv2.meanStdDev(frame.grey)
    thumbnail = shrink(frame.grey, _THUMBNAIL)
    high_pass = thumbnail - cv2.GaussianBlur(thumbnail, (0, 0), 2.0)
    level = float(thumbnail.mean())
    texture = float(high_pass.std()) / (level + 10.0)
    low, middle = np.percentile(thumbnail, (5, 50))
    fine = np.asarray(high_pass / (level + 10.0), np.float32)
    return ViewSignature(float(mean[0, 0]), float(spread[0, 0]), texture,
                         float(low) / (float(middle) + 4.0), fine, _edge_map(frame.grey))


def _edge_map(grey: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    small = shrink(grey, _EDGE_THUMBNAIL)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    strength = np.log1p(10.0 * cv2.magnitude(gx, gy) / (cv2.blur(small, (5, 5)) + 10.0))
    return np.asarray(strength - strength.mean(), np.float32)


def is_covered(view: ViewSignature, config: TamperConfig) -> bool:
    """Featureless (whatever its light), or dark with little structure left."""
    if view.contrast < config.min_contrast or view.texture < config.min_texture:
        return True
    return view.brightness < config.dark_level and view.texture < 3 * config.min_texture


def is_hazed(view: ViewSignature, reference: ViewSignature, similar: Likeness,
             contrast: float | None, sharpness_ratio: float | None,
             config: TamperConfig) -> bool:
    """A veil over the lens: the darks lifted, and the structure still there but much
    weaker for the brightness, at the landmarks (where they are recognisable) or over
    the whole view. A change of light scales structure and brightness alike, so it moves
    neither the contrast for the brightness nor the darks over the median; and a veil
    never makes edges steeper. A smear (the veil with the edges softened too) needs no
    darks lifted: the landmarks' contrast far down and their edges softer than the
    reference's, which no change of light does."""
    if similar.correlation < 0.3:
        return False
    if contrast is not None and sharpness_ratio is not None and \
            contrast < _SMEAR_CONTRAST * config.haze_contrast and sharpness_ratio < _SOFTER:
        return True
    if view.floor - reference.floor < config.haze_floor:
        return False
    if sharpness_ratio is not None and sharpness_ratio > _SHARPER:
        return False
    if contrast is not None:
        return contrast < config.haze_contrast
    return similar.correlation >= _HAZE_CORRELATION and similar.contrast < config.haze_contrast


def find_tampering(view: ViewSignature, sharpness_ratio: float | None, shift: Shift | None,
                   config: TamperConfig, reference: ViewSignature | None = None,
                   contrast: float | None = None, light_matched: bool = True) -> TamperFindings:
    """Covered needs no reference (and with one, a view whose structure is gone and not
    found elsewhere is covered too); blurred, moved and hazed are judged against one.
    Landmarks not found where they were count as moved when the light matches the
    reference's; in another light (where they may simply look different) only when the
    whole view's structure is unlike the reference's too."""
    covered = is_covered(view, config)
    if shift is None:
        return TamperFindings(covered, None, None, None, None, view)
    similar = likeness(view, reference) if reference is not None else Likeness(1.0, 1.0)
    faint = view.texture < 0.5 * (reference.texture if reference else view.texture)
    if not covered and shift.match < config.min_match and similar.correlation < _UNLIKE \
            and view.texture < 3 * config.min_texture:
        covered = True
    if covered:
        return TamperFindings(True, False, False, sharpness_ratio, shift, view, False, contrast)
    hazed = reference is not None and is_hazed(view, reference, similar, contrast,
                                                     sharpness_ratio, config)
    blurred = (sharpness_ratio is not None and sharpness_ratio < config.blur_ratio) or \
        (sharpness_ratio is None and faint and not hazed)
    if shift.distance >= config.moved_px:
        return TamperFindings(False, False, True, sharpness_ratio, shift, view, hazed, contrast)
    # Landmarks not found again: the camera looks elsewhere, unless the view is so
    # blurred or hazed that they cannot be recognised (then that is what to report).
    moved = shift.match < config.min_match and not blurred and not hazed and \
        (light_matched or similar.correlation < _UNLIKE) and \
        (similar.edges < _EDGES_UNLIKE or shift.match < _NONE_FOUND)
    return TamperFindings(False, blurred, moved, sharpness_ratio, shift, view, hazed, contrast)
