"""Device telemetry for `bench.ingest`: what a site's MQTT devices publish, in the
topics and payloads of each device's own point mapping (the simulator's encoding).

Most messages are heartbeats (a counter that goes up); the rest report state: gates open
and close, readings drift, and now and then an alarm point (an urgent boolean: a press, a
forced gate, gas, smoke) turns true, to turn false again on the device's next state message.
At the bench's site time (class hours) only those alarms raise alerts; the other messages
match no rule, or clear an alert that is not active. Devices are picked at random (seeded),
so some are busier than others.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.mqtt.config import MqttDeviceBase
from adapters.mqtt.mapping import PointMapping
from adapters.mqtt.routing import fill_topic
from gateway.core.events import PointValue
from simulators.mqtt_devices.messages import concrete_topic, initial_state, messages_for

HEARTBEAT = "heartbeat"
TOGGLING = frozenset({"open"})
"""Boolean points whose every state message reports a change (a gate opens, then closes)."""


@dataclass
class Traffic:
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    events: int = 0
    """Point events the adapter makes of the messages."""
    alarm_messages: int = 0
    """Messages carrying an alarm point that is true."""
    last_values: dict[str, dict[str, PointValue]] = field(default_factory=dict)
    """What the device registry must hold at the end, per device that sent anything."""

    @property
    def devices_heard(self) -> int:
        """Devices that sent something: each comes online, one more event."""
        return len(self.last_values)


def _alarm_points(device: MqttDeviceBase) -> list[str]:
    return list(dict.fromkeys(m.point for m in device.points if m.urgent and m.kind == "bool"))


def _points_on(device: MqttDeviceBase, prefix: str, topic: str) -> list[PointMapping]:
    """The mappings the adapter reads from a message on `topic`."""
    return [m for m in device.points
            if concrete_topic(fill_topic(m.topic, prefix, device.id), device.id, m.point)
            == topic]


def _change(rng: random.Random, mapping: PointMapping, value: PointValue) -> PointValue:
    if mapping.kind == "bool" and mapping.point in TOGGLING:
        return not value
    if mapping.kind == "float" and isinstance(value, int | float):
        return round(max(0.0, float(value) + rng.uniform(-0.5, 0.5)), 1)
    if mapping.kind == "int" and isinstance(value, int):
        return value + 1
    return value


def build_traffic(devices: Sequence[MqttDeviceBase], prefix: str, count: int, *,
                  heartbeat_share: float = 0.7, alarm_share: float = 0.001,
                  seed: int = 1) -> Traffic:
    """At least `count` messages (a device whose points span several topics reports them
    all at once); about `alarm_share` of them carry an alarm."""
    rng = random.Random(seed)
    states = {device.id: initial_state(device) for device in devices}
    alarm_chance = alarm_share / (1.0 - heartbeat_share)
    traffic = Traffic()
    while len(traffic.messages) < count:
        device = rng.choice(devices)
        state = states[device.id]
        alarm = False
        if rng.random() < heartbeat_share:
            state[HEARTBEAT] = int(state.get(HEARTBEAT) or 0) + 1
            points = [HEARTBEAT]
        else:
            points = [p for p in dict.fromkeys(m.point for m in device.points)
                      if p != HEARTBEAT]
            alarms = _alarm_points(device)
            raised = rng.choice(alarms) if alarms and rng.random() < alarm_chance else None
            for mapping in device.points:
                if mapping.point in alarms:
                    state[mapping.point] = mapping.point == raised
                elif mapping.point in points:
                    state[mapping.point] = _change(rng, mapping, state[mapping.point])
            alarm = raised is not None
        seen = traffic.last_values.setdefault(device.id, {})
        for topic, payload in messages_for(device, prefix, points, state):
            read = _points_on(device, prefix, topic)
            traffic.messages.append((topic, payload))
            traffic.events += len(read)
            traffic.alarm_messages += alarm
            seen.update({m.point: state[m.point] for m in read})
    return traffic
