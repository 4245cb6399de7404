"""Decoding snapshots and bringing them to the small, smoothed form the analytics use."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
FloatImage = npt.NDArray[np.float32]

_JPEG_START = b"\xff\xd8"
_JPEG_END = b"\xff\xd9"


class CorruptFrame(ValueError):
    """The bytes are not a complete image."""


_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
            4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def decode_jpeg(data: bytes, reduction: int = 1) -> Image:
    """A BGR image from JPEG bytes, optionally decoded straight at 1/2, 1/4 or 1/8 size
    (much cheaper than decoding in full and scaling down); raises `CorruptFrame` for
    anything else or a truncated JPEG."""
    if not data.startswith(_JPEG_START) or _JPEG_END not in data[-64:]:
        raise CorruptFrame(f"not a complete JPEG ({len(data)} bytes)")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), _REDUCED[reduction])
    if image is None or image.size == 0:
        raise CorruptFrame(f"undecodable JPEG ({len(data)} bytes)")
    return np.asarray(image, dtype=np.uint8)


@dataclass(frozen=True)
class PreparedFrame:
    """A frame scaled to the analysis width: smoothed against sensor noise for comparing
    colours, and unsmoothed grey for judging sharpness."""

    colour: FloatImage
    """BGR, float32, smoothed."""
    grey: FloatImage
    """Grey of `colour`."""
    detail: FloatImage
    """Grey, not smoothed."""
    scale: float
    """Analysis pixels per source pixel."""
    source_size: tuple[int, int]
    """Width and height of the source frame."""

    @property
    def size(self) -> tuple[int, int]:
        height, width = self.grey.shape[:2]
        return width, height


def reduction_for(width: int, analysis_width: int) -> int:
    """The largest JPEG decoding reduction that still leaves `analysis_width` pixels."""
    for factor in (8, 4, 2):
        if width // factor >= analysis_width:
            return factor
    return 1


def prepare(frame: Image, analysis_width: int,
            source_size: tuple[int, int] | None = None) -> PreparedFrame:
    """`frame` scaled for analysis; `source_size` is the camera's frame size when `frame`
    was decoded smaller than that."""
    height, width = frame.shape[:2]
    source = source_size or (width, height)
    scale = min(1.0, analysis_width / source[0])
    size = (max(1, round(source[0] * scale)), max(1, round(source[1] * scale)))
    small = frame if size == (width, height) else \
        cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    small_f = small.astype(np.float32)
    colour = _float(cv2.GaussianBlur(small_f, (5, 5), 1.0))
    return PreparedFrame(colour=colour, grey=_float(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)),
                         detail=_float(cv2.cvtColor(small_f, cv2.COLOR_BGR2GRAY)), scale=scale,
                         source_size=source)


def shrink(image: FloatImage, size: tuple[int, int]) -> FloatImage:
    """`image` averaged down to `size` (w, h): halved while at least four times as large
    (a cheap exact average), then by area; much cheaper than one step by area."""
    width, height = size
    while image.shape[1] >= 4 * width and image.shape[0] >= 4 * height:
        image = _float(cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2),
                                  interpolation=cv2.INTER_AREA))
    return _float(cv2.resize(image, size, interpolation=cv2.INTER_AREA))


def _float(image: object) -> FloatImage:
    return np.asarray(image, dtype=np.float32)
