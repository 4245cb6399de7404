"""Username/password and TLS against a mosquitto that demands both."""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.base import AdapterContext
from adapters.mqtt import MqttAdapter, MqttSettings
from adapters.mqtt.config import MqttTlsConfig
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from tests.helpers import eventually, free_port, require_binary, wait_for_port
from tests.mqtt.rig import (
    SITE,
    fleet_rig,
    panic_button,
    running_adapter,
    running_bus,
    settings_for,
)

USER, PASSWORD = "campusgw", "s3cret-pass"


@dataclass
class SecureBroker:
    port: int
    ca_file: Path

    def settings(self, password: str = PASSWORD, **fields: object) -> MqttSettings:
        return settings_for(self.port, username=USER, password=password,
                            tls=MqttTlsConfig(ca_file=str(self.ca_file)), **fields)


def _run(*command: str, cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, timeout=30)


def _certificates(directory: Path) -> None:
    openssl = require_binary("openssl", "apt-get install openssl")
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _run(openssl, "req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days",
         "2", "-subj", "/CN=Campus test CA", cwd=directory)
    _run(openssl, "req", *curve, "-keyout", "server.key", "-out", "server.csr", "-subj",
         "/CN=127.0.0.1", cwd=directory)
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _run(openssl, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext",
         cwd=directory)


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[SecureBroker]:
    mosquitto = require_binary("mosquitto", "apt-get install mosquitto")
    passwd = require_binary("mosquitto_passwd", "apt-get install mosquitto")
    _certificates(tmp_path)
    _run(passwd, "-b", "-c", str(tmp_path / "passwd"), USER, PASSWORD, cwd=tmp_path)
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {tmp_path / 'passwd'}\ncafile {tmp_path / 'ca.pem'}\n"
        f"certfile {tmp_path / 'server.pem'}\nkeyfile {tmp_path / 'server.key'}\n"
        + ("user root\n" if os.geteuid() == 0 else ""))
    process = subprocess.Popen([mosquitto, "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield SecureBroker(port, tmp_path / "ca.pem")
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_tls_and_credentials_carry_a_press(secure_broker: SecureBroker) -> None:
    devices = [panic_button("pb-1")]
    async with fleet_rig("127.0.0.1", secure_broker.port, devices,
                         settings=secure_broker.settings()) as (r, fleet):
        await fleet.press("pb-1")
        pressed = await r.log.wait_point("pb-1", "pressed", True)
    assert pressed.urgent


async def test_a_refused_login_is_logged_once_and_retried_with_backoff(
        secure_broker: SecureBroker, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="adapters.mqtt")
    settings = secure_broker.settings(password="wrong")
    async with running_bus() as (bus, _log), \
            running_adapter(settings, [panic_button("pb-1")], bus,
                            wait_connected=False) as adapter:
        await eventually(lambda: adapter.counters()["connect_failures"] >= 3)
        assert adapter.counters()["connected"] == 0
    warnings = [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "refused" in warnings[0] and "wrong" not in warnings[0]


async def test_an_untrusted_broker_certificate_is_refused(secure_broker: SecureBroker,
                                                          tmp_path: Path) -> None:
    other_ca = tmp_path / "other"
    other_ca.mkdir()
    _certificates(other_ca)
    settings = settings_for(secure_broker.port, username=USER, password=PASSWORD,
                            tls=MqttTlsConfig(ca_file=str(other_ca / "ca.pem")))
    async with running_bus() as (bus, _log), \
            running_adapter(settings, [panic_button("pb-1")], bus,
                            wait_connected=False) as adapter:
        await eventually(lambda: adapter.counters()["connect_failures"] >= 2)
        assert adapter.counters()["connected"] == 0


def test_a_missing_ca_file_is_named_when_the_adapter_is_made(tmp_path: Path) -> None:
    missing = tmp_path / "absent-ca.pem"
    settings = settings_for(1, tls=MqttTlsConfig(ca_file=str(missing)))
    ctx = AdapterContext(site=SITE, clock=VirtualClock(), bus=EventBus())
    with pytest.raises(OSError, match=rf"^tls\.ca_file {re.escape(str(missing))}: "
                                      "No such file or directory$"):
        MqttAdapter(settings, [panic_button("pb-1")], ctx)
