"""MQTT load pieces the ingest benchmarks share: persistent sessions that the broker queues
for, a QoS 1 publisher, and the raw paho-mqtt receive rate they are measured against.

A receiver registers its persistent session once; each round then publishes the workload,
which the broker queues for every registered session, and each receiver drains its copy.
So the publisher's speed never enters the figures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

PREFIX = "campus/bench"
"""Topic prefix of every benchmark device."""

RAW_CLIENT_ID = "bench-raw"


def register_session(port: int, client_id: str, topic_filter: str = f"{PREFIX}/#") -> None:
    """Subscribe once with a persistent session, so the broker queues for it."""
    done = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=False)
    client.on_connect = lambda c, *_: c.subscribe(topic_filter, qos=1)
    client.on_subscribe = lambda *_: done.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    done.wait(10)
    client.disconnect()
    client.loop_stop()


def publish(port: int, messages: Sequence[tuple[str, bytes]]) -> None:
    """Publish every message at QoS 1 and return once the broker acknowledged them all."""
    acked = threading.Event()
    remaining = [len(messages)]

    def on_publish(*_: Any) -> None:
        remaining[0] -= 1
        if remaining[0] == 0:
            acked.set()

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    client.max_inflight_messages_set(1000)
    client.on_publish = on_publish
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1)
    if not acked.wait(120):
        raise RuntimeError("the broker did not take all messages")
    client.disconnect()
    client.loop_stop()


def raw_receive(port: int, count: int, client_id: str = RAW_CLIENT_ID) -> float:
    """Seconds a bare paho client takes to connect and drain `count` queued messages."""
    done = threading.Event()
    received = [0]

    def on_message(*_: Any) -> None:
        received[0] += 1
        if received[0] == count:
            done.set()

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=False)
    client.on_message = on_message
    started = time.perf_counter()
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not done.wait(300):
        raise RuntimeError(f"raw paho received {received[0]} of {count}")
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return elapsed
