"""The declarative point mapping: which MQTT message carries which point of a device."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from gateway.core.config import StrictModel

PointKind = Literal["bool", "int", "float", "str"]

PLACEHOLDERS = ("{prefix}", "{id}")
"""What a mapping's topic may contain besides MQTT levels and wildcards."""

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class PointMapping(StrictModel):
    """One point read from an MQTT message: `topic` (with `+`/`#`, and `{id}` for the
    device id) and either a JSON field (dotted path) or the plain payload."""

    point: str = Field(description="Point name, e.g. `pressed`.", min_length=1)
    topic: str = Field(
        description="Topic pattern; `{prefix}` (the broker settings' topic prefix) and `{id}` "
                    "(the device id) are filled in; `+` matches one level, a final `#` any rest.")
    json_field: str | None = Field(
        default=None, pattern=r"^[^.]+(\.[^.]+)*$",
        description="Dotted path into a JSON object payload (`battery.low`, `zones.0.open`); "
                    "none: the whole payload is the value as plain text.")
    kind: PointKind = Field(
        default="bool",
        description="Value type. Plain bool payloads accept true/false, 1/0, on/off, yes/no; "
                    "JSON bools accept true/false and 0/1.")
    urgent: bool = Field(default=False,
                         description="Every value of this point takes the bus's priority lane.")

    @field_validator("topic")
    @classmethod
    def _valid_topic_pattern(cls, value: str) -> str:
        problem = topic_pattern_problem(value)
        if problem:
            raise ValueError(problem)
        return value


def topic_pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not a usable topic pattern, or None."""
    if not pattern:
        return "topic is empty"
    if "\x00" in pattern:
        return "topic contains a NUL character"
    for placeholder in _PLACEHOLDER.findall(pattern):
        if placeholder not in PLACEHOLDERS:
            return f"unknown placeholder {placeholder}; use {{prefix}} or {{id}}"
    rest = _PLACEHOLDER.sub("", pattern)
    if "{" in rest or "}" in rest:
        return "unbalanced `{` or `}`"
    levels = pattern.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return "`#` must be a whole level and the last one"
        if "+" in level and level != "+":
            return "`+` must be a whole level"
    return None
