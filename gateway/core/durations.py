"""Durations in config: `90` or `"90"` (seconds), `"90s"`, `"5m"`, `"2h"`, `"1d"`, `"1h30m"`."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

_NUMBER = r"\d+(?:\.\d+)?"
_PART = re.compile(rf"({_NUMBER})([smhd])")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> float:
    """Seconds in `value`; raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text like 90s, 5m, 2h, 1h30m")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace(" ", "")
        if re.fullmatch(_NUMBER, text):
            text += "s"
        parts = _PART.findall(text)
        if "".join(n + u for n, u in parts) != text:
            raise ValueError(f"bad duration {value!r}: write e.g. 90s, 5m, 2h, 1h30m")
        seconds = sum(float(number) * _UNIT_S[unit] for number, unit in parts)
    else:
        raise ValueError("a duration is a number of seconds or text like 90s, 5m, 2h, 1h30m")
    if not math.isfinite(seconds):
        raise ValueError(f"duration must be a finite number, got {value!r}")
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A positive duration in seconds, written as a number or as `5m`, `2h`, `1h30m`..."""


def format_duration(seconds: float) -> str:
    """`300` -> `5m`, `5400` -> `1h30m`, `42.5` -> `42.5s`."""
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds:g}s"
    text = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            text += f"{whole // size}{unit}"
            whole %= size
    return text or "0s"
