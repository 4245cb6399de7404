"""Site plans: a picture of a building's floor (or of the whole campus) and where each
device is on it, for the console's map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator

from gateway.core.config import StrictModel

Pixel = Annotated[float, Field(ge=0)]

IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".webp": "image/webp"}


class PlanConfig(StrictModel):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Plan id.")
    name: str = Field(description="What the floor picker shows (zh-CN).")
    name_en: str = Field(default="", description="The same, in English.")
    building: str = Field(default="", description="Building, as in the zones.")
    floor: str = Field(default="", description="Floor, as in the zones.")
    image: Path = Field(description="The picture (SVG, PNG, JPEG or WebP); `!path file` "
                                    "names it relative to the config file.")
    width: Pixel = Field(gt=0, description="The picture's width in its own pixels.")
    height: Pixel = Field(gt=0, description="The picture's height in its own pixels.")
    devices: dict[str, tuple[Pixel, Pixel]] = Field(
        default_factory=dict, description="Device id -> `[x, y]` on the picture, in "
                                          "pixels from its top-left corner.")

    @field_validator("image")
    @classmethod
    def _readable_picture(cls, image: Path) -> Path:
        if image.suffix.lower() not in IMAGE_TYPES:
            raise ValueError(f"{image.name}: a plan is a picture ("
                             + ", ".join(sorted(IMAGE_TYPES)) + ")")
        if not image.is_file():
            raise ValueError(f"no such file {image}")
        return image

    @property
    def media_type(self) -> str:
        return IMAGE_TYPES[self.image.suffix.lower()]
