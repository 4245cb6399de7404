"""The school as the config describes it: the site and its zones."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from gateway.core.config import StrictModel


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
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ZoneConfig(StrictModel):
    id: str = Field(description="Zone id, e.g. `building-a-3f`.")
    name: str = Field(description="Zone name shown to operators and police.")
    building: str = Field(default="", description="Building the zone is in.")
    floor: str = Field(default="", description="Floor, as signed in the building.")
    tags: tuple[str, ...] = Field(default=(), description="Free tags for rule selectors.")
