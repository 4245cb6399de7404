"""The one explicit registration of forwarding channels: which config model (by its
`type:`) is served by which channel class. A new channel is one module plus one line here
and one member of the union."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args

from pydantic import Field

from gateway.core.clock import Clock
from gateway.forwarding.cap_channel import CapChannel, CapChannelConfig
from gateway.forwarding.channel import Channel
from gateway.forwarding.dc09_channel import SiaDc09Channel, SiaDc09ChannelConfig
from gateway.forwarding.file_channel import FileChannel, FileChannelConfig
from gateway.forwarding.http_channel import PoliceHttpChannel, PoliceHttpChannelConfig

ChannelConfig = Annotated[PoliceHttpChannelConfig | FileChannelConfig | CapChannelConfig
                          | SiaDc09ChannelConfig, Field(discriminator="type")]
"""One entry of the config's `channels:` list, chosen by its `type:`."""

ChannelFactory = Callable[[Any, Clock], Channel]

CHANNELS: dict[type[Any], ChannelFactory] = {
    PoliceHttpChannelConfig: PoliceHttpChannel,
    FileChannelConfig: FileChannel,
    CapChannelConfig: CapChannel,
    SiaDc09ChannelConfig: SiaDc09Channel,
}
"""Invariant: its keys are exactly the members of `ChannelConfig` (checked at import)."""

if set(CHANNELS) != set(get_args(get_args(ChannelConfig)[0])):  # pragma: no cover
    raise ImportError("CHANNELS and ChannelConfig name different channel configs")


def build_channel(config: ChannelConfig, clock: Clock) -> Channel:
    """The channel for one entry of the config's `channels:` list."""
    return CHANNELS[type(config)](config, clock)
