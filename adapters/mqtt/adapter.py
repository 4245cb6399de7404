"""The MQTT adapter: one persistent-session subscription to the broker for every MQTT
device of the site, turning their messages into events on the gateway bus."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Sequence
from functools import partial

from adapters.base import AdapterContext
from adapters.mqtt.config import MqttDeviceBase, MqttSettings
from adapters.mqtt.connection import MqttConnection
from adapters.mqtt.flow import DispatchWindow
from adapters.mqtt.ingest import MessageIngest
from adapters.mqtt.routing import TopicRouter
from adapters.mqtt.topics import minimal_filters
from gateway.core.health import Health

SETTLE_S = 1.0
"""How long a stopping adapter waits for its last messages to be stored and acknowledged."""


def subscription_filters(router: TopicRouter, prefix: str) -> list[str]:
    """What to subscribe to: the whole `{prefix}/#` namespace when devices publish under it
    (so that stray topics there are counted), and each other pattern as it is."""
    namespace = f"{prefix}/#"
    filters = [namespace if topic.startswith(f"{prefix}/") else topic
               for topic in router.filters]
    return minimal_filters(filters)


class MqttAdapter:
    """Receives everything the site's MQTT devices publish (QoS 1, persistent session).

    A message is acknowledged to the broker only once it is safe: the events it produced
    have been through the rules and whatever they raised has been committed
    (`AdapterContext.when_stored`). Until then the broker keeps it and redelivers it to
    the next connection, so a gateway killed at any moment loses no acknowledged press;
    one it had not acknowledged comes again, as a repeat of the same alert key."""

    def __init__(self, settings: MqttSettings, devices: Sequence[MqttDeviceBase],
                 ctx: AdapterContext, rng: random.Random | None = None) -> None:
        self.name = f"mqtt {settings.host}:{settings.port}"
        self.devices = tuple(devices)
        router = TopicRouter.for_devices(self.devices, settings.topic_prefix)
        self.subscriptions = subscription_filters(router, settings.topic_prefix)
        self._ingest = MessageIngest(router, ctx.site, ctx.clock, ctx.bus.publish_threadsafe,
                                     settings.max_payload_bytes)
        self._bus = ctx.bus
        self._ctx = ctx
        self._ready = asyncio.Event()
        self._window = DispatchWindow()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clock = ctx.clock
        self._link_since = ctx.clock.now()
        self._connection = MqttConnection(
            settings, ctx.clock, name=self.name, client_id=settings.client_id,
            persistent_session=True, subscriptions=self.subscriptions,
            on_message=self._ingest.handle, on_idle=self._hand_on,
            on_state=self._state_changed, rng=rng, manual_ack=True)

    async def run(self) -> None:
        """Connect, subscribe, and deliver events until cancelled; then disconnect."""
        self._loop = asyncio.get_running_loop()
        self._bus.bind_loop(self._loop)
        self._connection.start()
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.shield(self._disconnect())

    async def _disconnect(self) -> None:
        """Let what was handed on be stored and acknowledged first (for at most
        `SETTLE_S`), so that the broker does not deliver it again after a clean restart."""
        settled = asyncio.Event()
        self._ctx.when_stored(settled.set)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SETTLE_S):
                await settled.wait()
        await asyncio.to_thread(self._connection.stop)

    async def wait_connected(self) -> None:
        """Return once the adapter is connected and subscribed (wrap in `asyncio.timeout`)."""
        await self._ready.wait()

    def _hand_on(self) -> None:
        """Network thread, after a burst (or `ACK_BATCH` messages of one): the held events
        to the bus, then one barrier behind them that acknowledges the burst's messages
        once they are stored; then wait, if need be, for the bus to catch up."""
        handed = self._ingest.flush()
        pending = self._connection.take_unacked()
        if pending is not None:
            self._ctx.when_stored(partial(self._connection.ack, pending))
        if handed or pending is not None:
            self._window.wait_for_room(self._bus)

    def _state_changed(self, ready: bool) -> None:
        self._link_since = self._clock.now()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._ready.set if ready else self._ready.clear)

    @property
    def connected(self) -> bool:
        return self._connection.connected

    def counters(self) -> dict[str, int]:
        ingest = self._ingest
        return {
            "messages": ingest.messages,
            "events": ingest.events,
            "malformed": ingest.malformed,
            "unknown_topic": ingest.unknown_topic,
            "reconnects": self._connection.reconnects,
            "connect_failures": self._connection.connect_failures,
            "sessions_lost": self._connection.sessions_lost,
            "connected": int(self._connection.connected),
        }

    def health(self) -> Health:
        """Ok while connected and subscribed to the broker; degraded while not (also before
        the first connection), `since` the last change either way."""
        if self._ready.is_set():
            return Health.ok(self._link_since)
        return Health.degraded(f"not connected to the MQTT broker {self.name[5:]}",
                               self._link_since)

    def malformed_by_device(self) -> dict[str, int]:
        """Malformed messages counted per device id."""
        return dict(self._ingest.malformed_by_device)
