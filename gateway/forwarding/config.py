"""Forwarding config: the pieces channels share and the `channels:` entry union, whose
members are the channel modules' own config models (registered in `channels.py`)."""

from __future__ import annotations

from gateway.forwarding.channels import ChannelConfig
from gateway.forwarding.common import ClientTlsConfig, RetryConfig

__all__ = ["ChannelConfig", "ClientTlsConfig", "RetryConfig"]
