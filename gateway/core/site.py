"""The school as the config describes it: the site and its zones."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, Field, field_validator

from gateway.core.config import StrictModel
from gateway.core.configfile import did_you_mean


class SiteConfig(StrictModel):
    id: str = Field(description="Site (school) id, sent with every alert.")
    name: str = Field(description="School name as the police know it.")
    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of the site.")
    address: str = Field(default="", description="Street address, for responders.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}"
                             f"{did_you_mean(value, available_timezones())}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


LatLon = tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]
"""A WGS 84 position as `[latitude, longitude]` in decimal degrees."""


def _three_corners(ring: tuple[LatLon, ...]) -> tuple[LatLon, ...]:
    if len(set(ring)) < 3:
        raise ValueError("a polygon needs at least 3 different corners")
    return ring


Polygon = Annotated[tuple[LatLon, ...], AfterValidator(_three_corners)]
"""A WGS 84 outline as `[[lat, lon], ...]`: at least 3 corners, closed or not."""


class ZoneConfig(StrictModel):
    id: str = Field(description="Zone id, e.g. `building-a-3f`.")
    name: str = Field(description="Zone name shown to operators and police.")
    building: str = Field(default="", description="Building the zone is in.")
    floor: str = Field(default="", description="Floor, as signed in the building.")
    tags: tuple[str, ...] = Field(default=(), description="Free tags for rule selectors.")
    point: LatLon | None = Field(
        default=None, description="Where the zone is, `[lat, lon]` (WGS 84), for map areas.")
    polygon: Polygon | None = Field(
        default=None, description="The zone's outline, `[[lat, lon], ...]` (WGS 84).")
