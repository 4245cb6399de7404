"""One paho-mqtt client driven by a network thread of its own.

The thread connects, runs paho's network loop (reading bursts of incoming packets
back to back, the socket in large chunks: `adapters.mqtt.reads`) and, when the connection
fails or drops, waits a delay from the gateway's one retry policy
(`gateway.core.backoff.Backoff`: capped, exponential, jittered) before trying again. A
broker that goes away is logged once when it does and once when it is back. `stop()`
sends DISCONNECT and joins the thread.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from adapters.mqtt.config import MqttSettings
from adapters.mqtt.reads import ChunkedReads
from gateway.core.backoff import Backoff
from gateway.core.clock import Clock

if TYPE_CHECKING:
    from paho.mqtt.client import SocketLike

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes], None]
"""Called on the network thread with each message's topic and payload."""

PublishedHandler = Callable[[int], None]
"""Called on the network thread with the message id the broker acknowledged."""

StateHandler = Callable[[bool], None]
"""Called on the network thread when the connection becomes ready (subscribed) or not."""

IdleHandler = Callable[[], None]
"""Called on the network thread when a burst of incoming messages has been read."""

SUBSCRIBE_QOS = 1

ACK_BATCH = 256
"""Messages held unacknowledged at most before their acknowledgement is asked for, even in
a burst that has not ended."""


@dataclass(frozen=True)
class PendingAcks:
    """QoS 1 messages received on one connection (its `generation`), handled but not yet
    acknowledged to the broker."""

    generation: int
    mids: tuple[int, ...]


class MqttConnection:
    """A client connection that keeps itself up until stopped."""

    def __init__(self, settings: MqttSettings, clock: Clock, *, name: str, client_id: str,
                 persistent_session: bool, subscriptions: Sequence[str] = (),
                 on_message: MessageHandler | None = None,
                 on_published: PublishedHandler | None = None,
                 on_state: StateHandler | None = None,
                 on_idle: IdleHandler | None = None, no_delay: bool = False,
                 rng: random.Random | None = None, poll_s: float = 1.0,
                 manual_ack: bool = False) -> None:
        """`no_delay`: send small packets at once (TCP_NODELAY), for a publisher whose
        messages must not wait; a receiver, whose only packets are acknowledgements, does
        better letting the kernel coalesce them.

        `manual_ack`: a QoS 1 message is not acknowledged when its callback returns; the
        owner takes the handled ones with `take_unacked()` (from `on_idle`, which is also
        called every `ACK_BATCH` messages) and acknowledges them with `ack()` once they
        are safe. Unacknowledged messages are redelivered by the broker after a
        reconnect, so an acknowledgement never outlives its connection."""
        self.name = name
        self._settings = settings
        self._clock = clock
        self._subscriptions = list(subscriptions)
        self._on_message = on_message
        self._on_published = on_published
        self._on_state = on_state
        self._on_idle = on_idle or _nothing
        self._delivered = 0
        self._burst_reads = 0
        self._poll_s = poll_s
        self._backoff = Backoff(settings.reconnect_initial_s, settings.reconnect_max_s,
                                rng=rng or random.Random())
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._socket_open = False
        self._ever_connected = False
        self._down_since: float | None = None
        self._refusal: str | None = None
        self.reconnects = 0
        self.connect_failures = 0
        self.sessions_lost = 0
        self._persistent = persistent_session
        self._manual_ack = manual_ack
        self._unacked: list[int] = []
        self._generation = 0
        self._ack_lock = threading.Lock()
        self._no_delay = no_delay
        self._client = self._make_client(client_id, persistent_session)

    @property
    def address(self) -> str:
        return f"{self._settings.host}:{self._settings.port}"

    @property
    def connected(self) -> bool:
        """Connected, and subscribed if there is anything to subscribe to."""
        return self._connected.is_set()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name}: already started")
        self._thread = threading.Thread(target=self._serve, name=f"mqtt-{self.name}")
        self._thread.start()

    def stop(self) -> None:
        """Disconnect cleanly and join the network thread (blocking; at most about the
        connect timeout when a connection attempt is under way)."""
        self._stopping.set()
        self._client.disconnect()  # wakes the thread's select() at once
        if self._thread is not None:
            self._thread.join(self._settings.connect_timeout_s + self._poll_s + 5.0)
            if self._thread.is_alive():
                log.error("%s: network thread did not stop", self.name)

    def take_unacked(self) -> PendingAcks | None:
        """The QoS 1 messages handled since the last call (network thread only)."""
        if not self._unacked:
            return None
        pending = PendingAcks(self._generation, tuple(self._unacked))
        self._unacked.clear()
        return pending

    def ack(self, pending: PendingAcks) -> None:
        """Acknowledge handled messages to the broker (any thread). Messages of an earlier
        connection are not acknowledged: the broker redelivers them, and after a lost
        session their ids may already name other messages. The PUBACKs are queued as one
        write for the network thread, which the queueing wakes once: `client.ack` would
        queue, wake and send each one on its own."""
        with self._ack_lock:
            if pending.generation != self._generation or self._stopping.is_set():
                return
            self._client._packet_queue(paho.PUBACK, pubacks(pending.mids), 0, 0)

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> int:
        """Queue a message; returns its message id. QoS 1 messages queued while the broker
        is away are sent when it is back."""
        info = self._client.publish(topic, payload, qos=qos)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            raise ConnectionError(f"{self.name}: cannot queue a message on {topic}: "
                                  f"{paho.error_string(info.rc)}")
        return info.mid

    # -- the network thread --------------------------------------------------------------

    def _make_client(self, client_id: str, persistent_session: bool) -> paho.Client:
        settings = self._settings
        client = _ChunkedClient(CallbackAPIVersion.VERSION2, client_id=client_id,
                                clean_session=not persistent_session,
                                protocol=paho.MQTTv311, manual_ack=self._manual_ack)
        client.connect_timeout = settings.connect_timeout_s
        client.suppress_exceptions = True
        client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        client.max_inflight_messages_set(100)
        if settings.username is not None:
            password = settings.password.get_secret_value() if settings.password else None
            client.username_pw_set(settings.username, password)
        if settings.tls is not None:
            tls = settings.tls
            try:
                client.tls_set(ca_certs=tls.ca_file, certfile=tls.cert_file,
                               keyfile=tls.key_file)
            except OSError as exc:
                files = {"ca_file": tls.ca_file, "cert_file": tls.cert_file,
                         "key_file": tls.key_file}
                named = ", ".join(f"tls.{setting} {path}" for setting, path in files.items()
                                  if path is not None)
                raise OSError(f"{named}: {exc.strerror or exc}") from exc
            client.tls_insecure_set(tls.insecure)
        # Writes queued from other threads wake our select() instead of writing there.
        client.on_socket_register_write = _leave_writes_to_the_loop
        if self._no_delay:
            client.on_socket_open = _send_without_delay
        client.on_connect = self._handle_connack
        client.on_subscribe = self._handle_suback
        if self._on_message is not None:
            handler = self._on_message
            manual_ack = self._manual_ack
            unacked = self._unacked

            def on_message(_client: paho.Client, _userdata: Any,
                           message: paho.MQTTMessage) -> None:
                self._delivered += 1
                try:
                    topic = message.topic
                except UnicodeDecodeError:
                    topic = "\x00(not UTF-8)"
                payload = message.payload
                handler(topic, payload if type(payload) is bytes else bytes(payload))
                if manual_ack and message.qos:
                    unacked.append(message.mid)
                    if len(unacked) >= ACK_BATCH:
                        self._on_idle()

            client.on_message = on_message
        if self._on_published is not None:
            published = self._on_published
            client.on_publish = lambda _c, _u, mid, _rc, _p: published(mid)
        client.connect_async(settings.host, settings.port, settings.keepalive_s)
        return client

    def _serve(self) -> None:
        try:
            self._keep_connected()
        finally:
            self._finish()

    def _keep_connected(self) -> None:
        client = self._client
        busy = False
        while not self._stopping.is_set():
            if not self._socket_open and not self._open_socket():
                self._stopping.wait(self._backoff.next_delay())
                continue
            delivered = self._delivered
            try:
                rc = self._read_on(client) if busy else client.loop(self._poll_s)
            except Exception:  # never lose the thread: drop the connection and start over
                log.exception("%s: unexpected error in the MQTT network loop", self.name)
                rc = MQTTErrorCode.MQTT_ERR_UNKNOWN
            busy = rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._delivered != delivered
            if not busy:
                self._on_idle()
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._socket_open = False
                if self._stopping.is_set():
                    break
                if self._refusal is not None:
                    self.connect_failures += 1
                self._went_down(self._refusal or paho.error_string(rc))
                self._stopping.wait(self._backoff.next_delay())

    def _read_on(self, client: paho.Client) -> MQTTErrorCode:
        """In a burst of incoming messages: read the next packet straight away, without
        select(); the first read that finds nothing ends the burst (the receiver hands its
        batch on then). Acknowledgements go out as they are queued."""
        rc = client.loop_read()
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and client.want_write():
            rc = client.loop_write()
        self._burst_reads += 1
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._burst_reads % 64 == 0:
            rc = client.loop_misc()  # keepalive
        return rc

    def _open_socket(self) -> bool:
        self._refusal = None
        with self._ack_lock:  # what the old connection delivered is redelivered on this one
            self._generation += 1
            self._unacked.clear()
        try:
            rc = self._client.reconnect()
        except (OSError, ValueError) as exc:
            self.connect_failures += 1
            self._went_down(str(exc) or type(exc).__name__)
            return False
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.connect_failures += 1
            self._went_down(paho.error_string(rc))
            return False
        self._socket_open = True
        return True

    def _finish(self) -> None:
        client = self._client
        if client.socket() is not None:
            client.disconnect()
            for _ in range(20):
                if client.socket() is None:
                    break
                client.loop(0.05)
        self._on_idle()
        self._set_ready(False)

    def _set_ready(self, ready: bool) -> None:
        if ready == self._connected.is_set():
            return
        if ready:
            self._connected.set()
        else:
            self._connected.clear()
        if self._on_state is not None:
            self._on_state(ready)

    def _went_down(self, reason: str) -> None:
        self._set_ready(False)
        if self._down_since is not None:
            log.debug("%s: broker %s still unreachable: %s", self.name, self.address, reason)
            return
        self._down_since = self._clock.now()
        if self._ever_connected:
            log.warning("%s: lost the MQTT broker %s (%s); reconnecting with backoff",
                        self.name, self.address, reason)
        else:
            log.warning("%s: cannot connect to the MQTT broker %s (%s); retrying with backoff",
                        self.name, self.address, reason)

    def _handle_connack(self, client: paho.Client, _userdata: Any, flags: paho.ConnectFlags,
                        reason: ReasonCode, _properties: Properties | None) -> None:
        if reason.is_failure:
            self._refusal = f"broker refused the connection: {reason}"
            return
        if self._down_since is not None:
            outage = self._clock.now() - self._down_since
            log.warning("%s: MQTT broker %s is back after %.1f s", self.name, self.address,
                        outage)
        else:
            log.info("%s: connected to the MQTT broker %s (session present: %s)", self.name,
                     self.address, flags.session_present)
        if self._ever_connected:
            self.reconnects += 1
            if self._persistent and not flags.session_present:
                self._session_lost()
        self._ever_connected = True
        self._down_since = None
        self._backoff.reset()
        if self._subscriptions:
            client.subscribe([(topic, SUBSCRIBE_QOS) for topic in self._subscriptions])
        else:
            self._set_ready(True)

    def _session_lost(self) -> None:
        """The broker kept no session for us: what it queued while we were away is gone.
        Subscribing again (always done on connect) brings back the retained states."""
        self.sessions_lost += 1
        log.warning("%s: the MQTT broker %s kept no session for this gateway: messages "
                    "published while it was disconnected may be lost; subscribing again",
                    self.name, self.address)

    def _handle_suback(self, _client: paho.Client, _userdata: Any, _mid: int,
                       reasons: list[ReasonCode], _properties: Properties | None) -> None:
        for topic, reason in zip(self._subscriptions, reasons, strict=False):
            if reason.is_failure:
                log.error("%s: the broker refused the subscription to %s: %s", self.name,
                          topic, reason)
        self._set_ready(True)


class _ChunkedClient(paho.Client):
    """paho's client, reading its connection in large chunks (`ChunkedReads`)."""

    def _create_socket(self) -> SocketLike:
        return ChunkedReads(super()._create_socket())


def pubacks(mids: Sequence[int]) -> bytes:
    """The PUBACK packets of QoS 1 messages, back to back (MQTT 3.1.1 §3.4: type 4, remaining
    length 2, the message id): one 32-bit big-endian word each."""
    return struct.pack(f"!{len(mids)}I", *[_PUBACK_WORD | mid for mid in mids])


_PUBACK_WORD = (paho.PUBACK << 24) | (2 << 16)


def _nothing() -> None:
    pass


def _send_without_delay(_client: paho.Client, _userdata: Any, sock: Any) -> None:
    """Small packets (a press, an acknowledgement) leave at once instead of waiting for
    the peer's delayed ACK (Nagle's algorithm)."""
    with contextlib.suppress(OSError, AttributeError):  # not a TCP socket
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _leave_writes_to_the_loop(_client: paho.Client, _userdata: Any, _sock: Any) -> None:
    """Registering for writes is the network thread's job; nothing to do here."""
