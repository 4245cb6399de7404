"""The light a frame was taken in, measured from the image alone: infrared (the picture is
grey: near-zero saturation), brightness, the colour of the light (daylight or lamps), and
the layout of the light over the view (which lamps are on, which wall is in the sun), so
that each frame is compared with the reference taken in the most alike light."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adapters.video.frames import PreparedFrame, shrink

_GRID = (6, 4)
_INFRARED_SATURATION = 0.045
"""Mean saturation below which the camera is seeing in infrared (grey picture)."""
_INFRARED_MISMATCH = 1.0
"""Distance added when one view is infrared and the other in colour."""


@dataclass(frozen=True)
class LightConditions:
    infrared: bool
    brightness: float
    """Mean grey level."""
    saturation: float
    layout: tuple[float, ...]
    """Log brightness of a coarse grid of the view, less its mean: where the light falls,
    whatever the exposure."""
    tint: float = 0.0
    """Mean log(blue / red): the colour of the light (daylight, warm or cold lamps)."""

    @property
    def label(self) -> str:
        if self.infrared:
            return "infrared"
        return "bright" if self.brightness >= 90 else "dim"

    def to_dict(self) -> dict[str, object]:
        return {"infrared": self.infrared, "brightness": round(self.brightness, 2),
                "saturation": round(self.saturation, 4),
                "layout": [round(v, 4) for v in self.layout], "tint": round(self.tint, 4)}

    @staticmethod
    def from_dict(data: dict[str, object]) -> LightConditions:
        layout = data.get("layout", [])
        assert isinstance(layout, list)
        return LightConditions(bool(data["infrared"]), float(str(data["brightness"])),
                               float(str(data.get("saturation", 0.0))),
                               tuple(float(v) for v in layout),
                               float(str(data.get("tint", 0.0))))


def measure(frame: PreparedFrame) -> LightConditions:
    sample = frame.colour[::4, ::4]
    b, g, r = sample[..., 0], sample[..., 1], sample[..., 2]
    high = np.maximum(np.maximum(b, g), r)
    low = np.minimum(np.minimum(b, g), r)
    saturation = float(((high - low) / (high + 8.0)).mean())
    cells = shrink(frame.grey, _GRID)
    logs = np.log(np.asarray(cells, np.float64) + 6.0).reshape(-1)
    layout = tuple(float(v) for v in logs - logs.mean())
    tint = float(np.log((b.mean() + 8.0) / (r.mean() + 8.0)))
    return LightConditions(saturation < _INFRARED_SATURATION, float(frame.grey.mean()),
                           saturation, layout, tint)


def distance(a: LightConditions, b: LightConditions) -> float:
    """How unlike two lights are: the median difference of their layouts (robust to a
    few cells changed by an obstacle or a person), plus the difference of their colour,
    plus a step when only one is infrared."""
    if len(a.layout) != len(b.layout):
        return _INFRARED_MISMATCH * 2
    spread = float(np.median(np.abs(np.array(a.layout) - np.array(b.layout))))
    colour = abs(a.tint - b.tint) if not (a.infrared or b.infrared) else 0.0
    return spread + colour + (_INFRARED_MISMATCH if a.infrared != b.infrared else 0.0)
