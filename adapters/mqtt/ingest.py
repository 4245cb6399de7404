"""One MQTT message in, events out: the per-message path, run on the network thread.

Kept lean on purpose: one dict lookup for the topic, one JSON parse per message however
many points it carries, no validation models. A bad message is counted against its device
and logged at most once a minute per device; it never raises.

Events are handed to the bus in batches: when the connection has read all the messages
that were waiting (`flush()`), or when a batch is full. Waking the event loop once per
burst instead of once per message keeps the two threads from trading the GIL on every
packet. A lone message is handed on as soon as it is read; under full load an event waits
for at most `BATCH_LIMIT` others (a few milliseconds), and the bus's priority lane still
puts urgent events of a batch first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from adapters.mqtt.routing import DeviceRoute, TopicRouter
from adapters.mqtt.throttle import LogThrottle
from adapters.mqtt.values import MISSING, lookup, parse_json
from gateway.core.clock import Clock
from gateway.core.events import Event, Quality

log = logging.getLogger(__name__)

_UNPARSED: Any = object()
_UNKNOWN_TOPIC_KEY = "\x00unknown-topic"
_GOOD = Quality.GOOD
BATCH_LIMIT = 256
"""Events held back at most before they are handed on."""


class MessageIngest:
    """Maps messages to events for one broker connection, and counts what went wrong."""

    def __init__(self, router: TopicRouter, site: str, clock: Clock,
                 publish: Callable[[Event], None], max_payload_bytes: int,
                 throttle: LogThrottle | None = None) -> None:
        self._resolve = router.resolve
        self._site = site
        self._clock = clock
        self._publish = publish
        self._batch: list[Event] = []
        self._max_payload_bytes = max_payload_bytes
        self._throttle = throttle or LogThrottle(clock)
        self.messages = 0
        self.events = 0
        self.malformed = 0
        self.unknown_topic = 0
        self.malformed_by_device: dict[str, int] = {}

    def handle(self, topic: str, payload: bytes) -> None:
        self.messages += 1
        routes = self._resolve(topic)
        if not routes:
            self._unknown_topic(topic)
            return
        if len(payload) > self._max_payload_bytes:
            problem = (f"payload of {len(payload)} bytes is over the limit of "
                       f"{self._max_payload_bytes}")
            for route in routes:
                self._malformed(route.device_id, topic, problem)
            return
        now = self._clock.now()
        document = _UNPARSED
        for route in routes:
            if route.needs_json and document is _UNPARSED:
                try:
                    document = parse_json(payload)
                except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
                    document = _NotJson(f"not JSON: {exc}")
                except RecursionError:
                    document = _NotJson("not JSON: nested too deeply")
            self._read(route, topic, payload, document, now)

    def _read(self, route: DeviceRoute, topic: str, payload: bytes, document: Any,
              now: float) -> None:
        produced = 0
        problem: str | None = None
        batch = self._batch
        for reader in route.readers:
            try:
                if reader.path is None:
                    value = reader.plain(payload)
                elif type(document) is _NotJson:
                    problem = document.problem
                    continue
                else:
                    key = reader.key
                    if key is not None and type(document) is dict:
                        raw = document.get(key, MISSING)
                    else:
                        raw = lookup(document, reader.path)
                    if raw is MISSING:
                        continue
                    value = reader.json(raw)
            except (ValueError, TypeError) as exc:
                problem = problem or f"{reader.point}: {exc}"
                continue
            batch.append(Event(self._site, route.device_id, reader.point, value, now, _GOOD,
                               reader.urgent))
            if len(batch) >= BATCH_LIMIT:
                self.flush()
            produced += 1
        self.events += produced
        if problem is None and produced == 0:
            fields = ", ".join(".".join(r.path) for r in route.readers if r.path is not None)
            problem = f"none of the mapped fields ({fields}) is present"
        if problem is not None:
            self._malformed(route.device_id, topic, problem)

    def flush(self) -> int:
        """Hand the held-back events to the bus; returns how many there were."""
        batch = self._batch
        count = len(batch)
        if count:
            publish = self._publish
            for event in batch:
                publish(event)
            batch.clear()
        return count

    def _malformed(self, device_id: str, topic: str, problem: str) -> None:
        self.malformed += 1
        self.malformed_by_device[device_id] = self.malformed_by_device.get(device_id, 0) + 1
        suppressed = self._throttle.admit(device_id)
        if suppressed is not None:
            log.warning("device %s sent a malformed message on %s: %s%s", device_id, topic,
                        problem, _since(suppressed))

    def _unknown_topic(self, topic: str) -> None:
        self.unknown_topic += 1
        suppressed = self._throttle.admit(_UNKNOWN_TOPIC_KEY)
        if suppressed is not None:
            log.warning("MQTT message on %s, which no configured device maps%s", topic,
                        _since(suppressed))


class _NotJson:
    """A payload that a JSON mapping could not parse, and why."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _since(suppressed: int) -> str:
    return f" ({suppressed} more since the last report)" if suppressed else ""
