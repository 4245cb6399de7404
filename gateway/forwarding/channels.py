"""Which channel class serves which `type:` of channel config: one explicit mapping."""

from __future__ import annotations

from typing import assert_never

from gateway.core.clock import Clock
from gateway.forwarding.channel import Channel
from gateway.forwarding.config import ChannelConfig, FileChannelConfig, PoliceHttpChannelConfig
from gateway.forwarding.file_channel import FileChannel
from gateway.forwarding.http_channel import PoliceHttpChannel


def build_channel(config: ChannelConfig, clock: Clock) -> Channel:
    """The channel for one entry of the config's `channels:` list."""
    if isinstance(config, PoliceHttpChannelConfig):
        return PoliceHttpChannel(config, clock)
    if isinstance(config, FileChannelConfig):
        return FileChannel(config)
    assert_never(config)
