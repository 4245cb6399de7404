"""Camera tampering: a covered (or dark) lens, a defocused view, a camera turned away."""

from __future__ import annotations

from dataclasses import dataclass

import cv2

from adapters.video.config import TamperConfig
from adapters.video.frames import PreparedFrame
from adapters.video.landmarks import Shift


@dataclass(frozen=True)
class ViewSignature:
    """Whole-frame measures of what the camera sees."""

    brightness: float
    """Mean grey level."""
    contrast: float
    """Standard deviation of the grey levels."""


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


def signature(frame: PreparedFrame) -> ViewSignature:
    mean, spread = cv2.meanStdDev(frame.grey)
    return ViewSignature(float(mean[0, 0]), float(spread[0, 0]))


def is_covered(view: ViewSignature, config: TamperConfig) -> bool:
    return view.brightness < config.dark_level or view.contrast < config.min_contrast


def find_tampering(view: ViewSignature, sharpness_ratio: float | None, shift: Shift | None,
                   config: TamperConfig) -> TamperFindings:
    """Covered needs no reference; blurred and moved are judged against one."""
    covered = is_covered(view, config)
    if shift is None:
        return TamperFindings(covered, None, None, None, None, view)
    if covered:
        return TamperFindings(True, False, False, sharpness_ratio, shift, view)
    blurred = sharpness_ratio is not None and sharpness_ratio < config.blur_ratio
    if shift.distance >= config.moved_px:
        return TamperFindings(False, False, True, sharpness_ratio, shift, view)
    # Landmarks not found again: the camera looks elsewhere, unless the view is so
    # blurred that they cannot be recognised (then blur is what to report).
    moved = shift.match < config.min_match and not blurred
    return TamperFindings(False, blurred, moved, sharpness_ratio, shift, view)
