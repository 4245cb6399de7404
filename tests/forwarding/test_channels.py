"""Channel configs build the right channel, by `type:`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter

from gateway.app.config import load_config
from gateway.core.clock import VirtualClock
from gateway.core.configfile import ConfigError
from gateway.forwarding.channel import Channel
from gateway.forwarding.channels import build_channel
from gateway.forwarding.config import ChannelConfig
from gateway.forwarding.file_channel import FileChannel
from gateway.forwarding.http_channel import PoliceHttpChannel


async def test_builds_each_channel_type_from_config(tmp_path: Path) -> None:
    configs = TypeAdapter(list[ChannelConfig]).validate_python([
        {"type": "police_http", "id": "police", "url": "http://127.0.0.1:8090/api/alerts",
         "secret": "s", "forward_drills": True},
        {"type": "file", "id": "archive", "path": str(tmp_path / "alerts.jsonl")},
    ])
    channels: list[Channel] = [build_channel(config, VirtualClock()) for config in configs]
    assert isinstance(channels[0], PoliceHttpChannel)
    assert isinstance(channels[1], FileChannel)
    assert [(c.id, c.forward_drills) for c in channels] == [("police", True), ("archive", True)]
    for channel in channels:
        await channel.stop()


def test_a_client_key_without_its_certificate_is_a_config_error_at_its_line(
        tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text("""\
site: {id: s1, name: School One}
zones: [{id: gate, name: Main gate}]
channels:
  - type: police_http
    id: police
    url: https://127.0.0.1:8090/api/alerts
    secret: s
    tls:
      ca_file: ca.pem
      key_file: client.key
api: {token: test-token-0001}
""")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        f"{path}:8: channels[0].tls: Value error, key_file needs cert_file"]
