"""Prometheus metrics of one gateway, for `GET /metrics`.

What the gateway counts anyway (adapters, rules, devices, channels) is read when scraped;
only what has no counter of its own is measured as it happens, into histograms: the wait
of each delivered document since it was stored, the time of each piece of store work, and
the event loop's lag. Nothing here is on the path of an event.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from adapters.base import Adapter
from gateway.core.alerts import AlertState, Severity
from gateway.core.bus import EventBus
from gateway.core.clock import Clock
from gateway.core.repositories import Store
from gateway.devices.registry import DeviceRegistry
from gateway.forwarding.worker import OutboxWorker
from rules.engine import RuleEngine


class MetricsSource(Protocol):
    """What the metrics read of a gateway (`gateway.app.gateway.Gateway`)."""

    registry: DeviceRegistry
    adapters: list[Adapter]
    engine: RuleEngine
    bus: EventBus
    store: Store
    workers: list[OutboxWorker]
    clock: Clock

    def malformed_by_device(self) -> dict[str, int]: ...

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LAG_INTERVAL_S = 0.25

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            30.0, 60.0, 300.0)


class GatewayMetrics:
    def __init__(self, gateway: MetricsSource) -> None:
        self._gateway = gateway
        self.registry = CollectorRegistry()
        self.delivery = Histogram(
            "campusgw_delivery_wait_seconds", "From a document being stored to its "
            "delivery being confirmed, per channel.", ["channel"], buckets=_SECONDS,
            registry=self.registry)
        self.store_work = Histogram(
            "campusgw_store_work_seconds", "Each piece of work (a transaction, a read) on "
            "the store thread.", buckets=_SECONDS, registry=self.registry)
        self.loop_lag = Histogram(
            "campusgw_event_loop_lag_seconds", "How late the event loop woke a task that "
            f"sleeps {LAG_INTERVAL_S} s.", buckets=_SECONDS, registry=self.registry)
        self._snapshot = _Snapshot(gateway)
        self.registry.register(self._snapshot)

    async def render(self) -> bytes:
        """The exposition text, with the store's counts read now."""
        store = self._gateway.store
        self._snapshot.alerts = await store.alerts.counts()
        self._snapshot.backlog = await store.outbox.backlog()
        self._snapshot.oldest = await store.outbox.oldest_pending()
        return generate_latest(self.registry)

    async def watch_loop(self) -> None:
        """Measure the loop's lag until cancelled (real time, whatever the gateway's clock)."""
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + LAG_INTERVAL_S
            await asyncio.sleep(LAG_INTERVAL_S)
            self.loop_lag.observe(max(0.0, loop.time() - due))


class _Snapshot(Collector):
    """The gateway's own counters, as they are when scraped."""

    def __init__(self, gateway: MetricsSource) -> None:
        self._gateway = gateway
        self.alerts: dict[tuple[str, str], int] = {}
        self.backlog: dict[str, int] = {}
        self.oldest: dict[str, float] = {}

    def collect(self) -> Iterator[Metric]:
        gateway = self._gateway
        devices = list(gateway.registry.devices.values())
        events = CounterMetricFamily("campusgw_device_events", "Events heard, per device "
                                     "type.", labels=["device_type"])
        for device_type, count in sorted(_sum((d.type, d.events) for d in devices).items()):
            events.add_metric([device_type], count)
        yield events
        availability = GaugeMetricFamily("campusgw_devices", "Devices per type and "
                                         "availability.", labels=["device_type", "availability"])
        for (device_type, state), count in sorted(
                Counter((d.type, d.availability.value) for d in devices).items()):
            availability.add_metric([device_type, state], count)
        yield availability
        types = {d.id: d.type for d in devices}
        malformed = CounterMetricFamily("campusgw_malformed_messages", "Malformed messages "
                                        "(counted, never parsed), per device type.",
                                        labels=["device_type"])
        for device_type, count in sorted(_sum(
                (types.get(device, "unknown"), n)
                for device, n in gateway.malformed_by_device().items()).items()):
            malformed.add_metric([device_type], count)
        yield malformed
        adapter = CounterMetricFamily("campusgw_adapter", "Each adapter's own counters.",
                                      labels=["adapter", "counter"])
        for adapter_part in gateway.adapters:
            for name, value in sorted(adapter_part.counters().items()):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    adapter.add_metric([adapter_part.name, name], value)
        yield adapter
        rules = CounterMetricFamily("campusgw_rules", "The rule engine's counters.",
                                    labels=["counter"])
        for name, value in sorted(gateway.engine.stats().items()):
            if isinstance(value, int | float) and not isinstance(value, bool):
                rules.add_metric([name], value)
        yield rules
        yield CounterMetricFamily("campusgw_bus_events_dispatched", "Events the bus handed "
                                  "to its handlers.", value=gateway.bus.dispatched)
        yield GaugeMetricFamily("campusgw_bus_events_pending", "Events waiting on the bus.",
                                value=gateway.bus.pending)
        alerts = GaugeMetricFamily("campusgw_alerts", "Alerts in the store per state and "
                                   "severity.", labels=["state", "severity"])
        for state in AlertState:
            for severity in Severity:
                alerts.add_metric([state.value, severity.value],
                                  self.alerts.get((state.value, severity.value), 0))
        yield alerts
        backlog = GaugeMetricFamily("campusgw_outbox_backlog", "Documents still to "
                                    "deliver, per channel.", labels=["channel"])
        oldest = GaugeMetricFamily("campusgw_outbox_oldest_age_seconds", "Age of the "
                                   "oldest document still to deliver.", labels=["channel"])
        delivered = CounterMetricFamily("campusgw_outbox_delivered", "Documents delivered, "
                                        "per channel.", labels=["channel"])
        now = gateway.clock.now()
        for worker in gateway.workers:
            channel = worker.channel.id
            backlog.add_metric([channel], self.backlog.get(channel, 0))
            stored = self.oldest.get(channel)
            oldest.add_metric([channel], 0.0 if stored is None else max(0.0, now - stored))
            delivered.add_metric([channel], worker.delivered)
        yield from (backlog, oldest, delivered)


def _sum(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for key, value in pairs:
        total[key] = total.get(key, 0) + value
    return total
