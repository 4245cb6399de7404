"""A register map: the points of one device model, declared as data."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from adapters.modbus.points import ReadableRange, RegisterPoint, validate_map_wrap
from gateway.core.config import StrictModel


class RegisterMap(StrictModel):
    """A named register map that many devices of one model share."""

    description: str = Field(default="", description="Which device model this map is for.")
    readable: tuple[ReadableRange, ...] = Field(
        default=(), description="Address ranges the device answers; none: any address.")
    points: tuple[RegisterPoint, ...] = Field(min_length=1, description="The points.")

    @model_validator(mode="wrap")
    @classmethod
    def _map(cls, data: Any, handler: Any) -> Any:
        return validate_map_wrap(data, handler)
