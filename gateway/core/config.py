"""Pieces every config model shares, adapters' device models included."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Loc = tuple[str | int, ...]
"""Where in the config document: keys and list indexes."""


class StrictModel(BaseModel):
    """A config model that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceBase(StrictModel):
    """Fields every device has, whatever its protocol.

    Adapter packages subclass this with `type: Literal["..."]` and their protocol fields.
    """

    type: str = Field(description="Device type; each adapter narrows it to its literals.")
    id: str = Field(description="Unique device id within the site, e.g. `pb-a-301`.",
                    pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(description="What the control room calls it, e.g. 'Room A301 panic button'.")
    zone: str = Field(description="Id of the zone the device is in.")
    location: str = Field(default="", description="Where to find it, for responders.")
    tags: tuple[str, ...] = Field(default=(), description="Free tags for rule selectors.")
    heartbeat_s: float | None = Field(
        default=None, gt=0,
        description="Expected interval between messages; two missed intervals mean offline.")

    def point_names(self) -> tuple[str, ...]:
        """The points this device can emit, without the reserved `availability` point that
        every device has. A name with `*` stands for an open-ended family (`input_*`).

        Empty means unknown: rules naming this device's points are not checked against it.
        """
        return ()

