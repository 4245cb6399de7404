"""The mosquitto configuration and ACL of docs/deploy.md, taken from the page as written
(only its paths and port moved into the test's folder): the broker starts with them, takes
TLS logins only, lets a device publish its own topics and nothing else, lets the gateway
read them all, and keeps queued messages across a `kill -9`."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from tests.forwarding.certs import make_pki
from tests.helpers import eventually, free_port, require_binary, wait_for_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
PASSWORDS = {"campusgw": "gw-pass-0001", "pb-a-301": "pb301-pass", "pb-a-302": "pb302-pass"}
PREFIX = "campus/xh"
NOT_AUTHORIZED = 135
PLAIN_CONNECT = b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01x"
"""An MQTT 3.1.1 CONNECT of client `x` without TLS."""


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(), re.M | re.S)


def doc_block(containing: str) -> str:
    found = [block for block in doc_blocks("conf") if containing in block]
    assert len(found) == 1, f"docs/deploy.md: one conf block with {containing!r}"
    return found[0]


@dataclass
class DocBroker:
    """mosquitto run with the page's configuration, restartable on the same port."""

    binary: str
    config: Path
    port: int
    ca_file: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.process.kill()
            _, errors = self.process.communicate(timeout=10)
            raise AssertionError(f"mosquitto refused the documented config: {errors!r}"
                                 ) from None

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.send_signal(sig)
            self.process.communicate(timeout=10)
            self.process = None


def documented_config(folder: Path, port: int) -> str:
    text = doc_block("listener").replace("/etc/mosquitto/", f"{folder}/").replace(
        "/var/lib/mosquitto/", f"{folder}/data/")
    text, moved = re.subn(r"^listener 8883$", f"listener {port} 127.0.0.1", text, flags=re.M)
    assert moved == 1, "the documented listener is `listener 8883`"
    # As root, mosquitto would switch to its own user, which cannot read the test's folder.
    return text + ("user root\n" if os.geteuid() == 0 else "")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[DocBroker]:
    binary = require_binary("mosquitto", "apt-get install mosquitto")
    passwd = require_binary("mosquitto_passwd", "apt-get install mosquitto")
    (tmp_path / "certs").mkdir()
    (tmp_path / "data").mkdir()
    pki = make_pki(tmp_path / "certs")
    for user, password in PASSWORDS.items():
        subprocess.run([passwd, "-b", *(["-c"] if user == "campusgw" else []),
                        str(tmp_path / "passwd"), user, password], check=True,
                       capture_output=True, timeout=30)
    (tmp_path / "acl").write_text(doc_block("pattern write"))
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(documented_config(tmp_path, port))
    running = DocBroker(binary, config, port, pki.ca)
    running.start()
    try:
        yield running
    finally:
        running.stop()


class Client:
    """A paho client logged in over TLS; collects what it receives and its publish acks."""

    def __init__(self, broker: DocBroker, user: str | None, *, mqtt5: bool = True,
                 password: str | None = None, session: bool = False) -> None:
        protocol = paho.MQTTv5 if mqtt5 else paho.MQTTv311
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{user}",
                                  protocol=protocol,
                                  clean_session=None if mqtt5 else not session)
        if user is not None:
            self.client.username_pw_set(user, password or PASSWORDS[user])
        self.client.tls_set(ca_certs=str(broker.ca_file))
        self.received: list[tuple[str, bytes]] = []
        self.acks: dict[int, int] = {}
        self.changed = threading.Condition()
        self.refused: ReasonCode | None = None
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.subscribed: set[int] = set()
        self.client.on_subscribe = self._on_subscribe
        self.connected = False
        self.broker = broker

    def __enter__(self) -> Client:
        self.client.connect("127.0.0.1", self.broker.port)
        self.client.loop_start()
        self.wait(lambda: self.connected or self.refused is not None)
        return self

    def __exit__(self, *_: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def _on_connect(self, _c: paho.Client, _u: object, _f: object, code: ReasonCode,
                    _p: Properties | None) -> None:
        if code.is_failure:
            self.refused = code
        else:
            self.connected = True
        self._notify()

    def _on_subscribe(self, _c: paho.Client, _u: object, mid: int, _codes: object,
                      _p: Properties | None) -> None:
        self.subscribed.add(mid)
        self._notify()

    def _on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        self.received.append((message.topic, bytes(message.payload)))
        self._notify()

    def _on_publish(self, _c: paho.Client, _u: object, mid: int, code: ReasonCode,
                    _p: Properties | None) -> None:
        self.acks[mid] = code.value
        self._notify()

    def wait(self, done: object, within_s: float = 10.0) -> None:
        assert callable(done)
        with self.changed:
            assert self.changed.wait_for(done, within_s), "timed out"

    def publish(self, topic: str, payload: bytes) -> int:
        """Publish at QoS 1; the broker's PUBACK reason code."""
        mid = self.client.publish(topic, payload, qos=1).mid
        self.wait(lambda: mid in self.acks)
        return self.acks[mid]

    def subscribe(self, pattern: str) -> None:
        result, mid = self.client.subscribe(pattern, qos=1)
        assert result == 0
        self.wait(lambda: mid in self.subscribed)


def test_the_documented_broker_takes_only_known_logins_over_tls(broker: DocBroker) -> None:
    with Client(broker, "pb-a-301", password="wrong") as wrong:
        assert wrong.refused is not None and not wrong.connected
    with Client(broker, None) as anonymous:
        assert anonymous.refused is not None and not anonymous.connected
    with Client(broker, "campusgw") as gateway:
        assert gateway.connected
    with socket.create_connection(("127.0.0.1", broker.port), timeout=5) as plain:
        plain.sendall(PLAIN_CONNECT)
        try:
            answer = plain.recv(64)
        except ConnectionResetError:
            answer = b""
    assert not answer.startswith(b"\x20"), "a CONNACK without TLS"


def test_a_device_publishes_only_its_own_topics_and_the_gateway_reads_them(
        broker: DocBroker) -> None:
    own_state, own_beat = (f"{PREFIX}/panic_button/pb-a-301/{kind}"
                           for kind in ("state", "heartbeat"))
    with Client(broker, "campusgw") as gateway:
        gateway.subscribe(f"{PREFIX}/#")
        with Client(broker, "pb-a-301") as device:
            outcomes = {
                own_state: device.publish(own_state, b'{"pressed": true}'),
                f"{PREFIX}/panic_button/pb-a-302/state": device.publish(
                    f"{PREFIX}/panic_button/pb-a-302/state", b'{"pressed": true}'),
                f"{PREFIX}/panic_button/pb-a-301/config": device.publish(
                    f"{PREFIX}/panic_button/pb-a-301/config", b"{}"),
                "other/pb-a-301/state": device.publish("other/pb-a-301/state", b"{}"),
                own_beat: device.publish(own_beat, b'{"seq": 1}'),
            }
        gateway.wait(lambda: len(gateway.received) >= 2)
        with Client(broker, "pb-a-302") as other:  # the gateway itself publishes nothing
            other.subscribe(f"{PREFIX}/#")
            assert gateway.publish(f"{PREFIX}/panic_button/pb-a-302/state", b"{}") == (
                NOT_AUTHORIZED)
    allowed = {topic for topic, code in outcomes.items() if code < 128}
    assert allowed == {own_state, own_beat}, outcomes
    assert set(outcomes.values()) - {0} == {NOT_AUTHORIZED}
    assert [topic for topic, _ in gateway.received] == [own_state, own_beat]
    assert other.received == [], "a device read another device's topics"


async def test_messages_queued_for_the_gateway_survive_a_killed_broker(
        broker: DocBroker) -> None:
    topic, press = f"{PREFIX}/panic_button/pb-a-301/state", b'{"pressed": true}'
    saved = broker.config.parent / "data" / "mosquitto.db"
    with Client(broker, "campusgw", mqtt5=False, session=True) as gateway:
        gateway.subscribe(f"{PREFIX}/#")
    with Client(broker, "pb-a-301") as device:
        assert device.publish(topic, press) == 0
    # Saved after the change, without a clean shutdown (the file mosquitto reads back).
    await eventually(lambda: saved.exists() and press in saved.read_bytes(), within_s=5,
                     what="the queued press in the persistence file")
    broker.stop(signal.SIGKILL)
    broker.start()
    with Client(broker, "campusgw", mqtt5=False, session=True) as gateway:
        gateway.wait(lambda: len(gateway.received) == 1)
    assert gateway.received == [(topic, press)]


def test_systemd_accepts_every_line_of_the_documented_unit(tmp_path: Path) -> None:
    analyze = require_binary("systemd-analyze", "apt-get install systemd")
    (unit,) = re.findall(r"^```ini\n(.*?)^```", DOC.read_text(), re.M | re.S)
    checkout = Path(__file__).resolve().parents[2]
    (tmp_path / "campusgw.service").write_text(unit.replace("/opt/campusgw", str(checkout)))
    result = subprocess.run([analyze, "verify", str(tmp_path / "campusgw.service")],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
