"""The police receiver down while alerts keep coming: a whole gateway (rules, SQLite store,
outbox worker, the signed HTTP channel) and the police simulator, which refuses
connections for the outage and then answers again. Run short on the virtual clock by the
suite and at full length in real time by `python -m bench.chaos`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from gateway.app.config import GatewayConfig, load_config
from gateway.app.gateway import Gateway
from gateway.core.clock import Clock, SystemClock, VirtualClock
from gateway.core.events import Event
from simulators.police import PoliceSimulator
from simulators.police.receiver import Mode
from tests.faults.school import buttons, panic_school
from tests.faults.tally import Tally

SECRET = "faults-police-secret"


def outage_config(folder: Path, police_url: str, alerts: int) -> GatewayConfig:
    """One panic button per alert, each raising a latching alert sent to the police."""
    channel = (f'{{type: police_http, id: out, url: "{police_url}", secret: {SECRET}, '
               'timeout_s: 2}')
    return load_config(panic_school(folder / "police-outage.yaml", buttons(alerts), channel,
                                    folder / "police-outage.db"))


@dataclass(frozen=True)
class OutageResult:
    tally: Tally
    wait_s: float
    """From the receiver answering again to its first delivery (the gateway's clock)."""
    drain_s: float
    """From that first delivery to the last (real time)."""


async def police_outage(folder: Path, alerts: int, outage_s: float,
                        clock: Clock | None = None) -> OutageResult:
    """Raise `alerts` alerts spread over an `outage_s` outage of the receiver; then time
    how long the queue takes to arrive. On a `VirtualClock`, the outage and the backoff
    pass on it and the delivery itself in real time."""
    clock = clock or SystemClock()
    async with PoliceSimulator(SECRET, clock=clock) as police:
        config = outage_config(folder, police.url, alerts)
        await police.set_mode(Mode(mode="refuse"))
        gateway = Gateway(config, clock=clock, run_adapters=False)
        await gateway.start()
        try:
            keys = await _raise_during_outage(gateway, clock, alerts, outage_s)
            await police.set_mode(Mode(mode="ok"))
            back = clock.now()
            wait_s, drain_s = await _delivered(police, clock, back, alerts)
        finally:
            await gateway.stop()
        received = [(r.alert_id, r.revision) for r in police.received]
    return OutageResult(Tally.of(keys, received, police.duplicates), wait_s, drain_s)


async def _raise_during_outage(gateway: Gateway, clock: Clock, alerts: int,
                               outage_s: float) -> list[tuple[str | None, int | None]]:
    """Press every button, evenly over the outage; the stored alerts' ids in order."""
    step = outage_s / alerts
    for button in buttons(alerts):
        gateway.bus.publish(Event(gateway.config.site.id, button, "pressed", True,
                                  clock.now(), urgent=True))
        await _pass(clock, step)
    await gateway.bus.drain()
    await gateway.manager.drain()
    raised = sorted((alert for alert in await gateway.store.alerts.newest(None, alerts * 2)
                     if alert.rule_id == "panic"),  # not the gateway's own link alert
                    key=lambda alert: (alert.raised_at, alert.device_id))
    return [(alert.id, alert.revision) for alert in raised]


async def _pass(clock: Clock, seconds: float) -> None:
    if isinstance(clock, VirtualClock):
        await clock.advance(seconds)
    else:
        await asyncio.sleep(seconds)


async def _delivered(police: PoliceSimulator, clock: Clock, back: float,
                     alerts: int) -> tuple[float, float]:
    """Wait (on `clock`) for the first delivery, then (in real time) for all of them."""
    async with asyncio.timeout(120):
        while not police.received:
            await _pass(clock, 0.05)
        first_at, first_real = clock.now(), time.perf_counter()
        while len(police.received) < alerts:
            await _pass(clock, 0.05)
        return first_at - back, time.perf_counter() - first_real
