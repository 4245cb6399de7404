"""Wiring and lifecycle: adapters -> bus -> device registry and rules -> alert manager ->
store and outbox -> forwarders; the API reads from here."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Coroutine
from typing import Any

from adapters.base import Adapter, AdapterContext
from adapters.registry import adapter_factories
from adapters.video import find_video_adapter
from adapters.video.adapter import VideoAnalyticsAdapter
from gateway.accounts.service import AccountService, SessionPolicy
from gateway.alerts.escalation import Escalator
from gateway.alerts.flood import FloodGate
from gateway.alerts.manager import AlertManager
from gateway.alerts.procedures import SopBook
from gateway.app.config import GatewayConfig
from gateway.app.evidence import EvidenceLinker
from gateway.app.hazards import HazardRegister, school_days
from gateway.app.memory import can_release, keep_releasing_memory
from gateway.app.metrics import GatewayMetrics
from gateway.app.reporting import site_reporting
from gateway.core.alerts import Alert, AlertSpec, Category, ClearSpec, Place, Severity
from gateway.core.backoff import Backoff
from gateway.core.bus import EventBus
from gateway.core.clock import Clock, ClockSteps, SystemClock, sleep_until
from gateway.core.events import Availability, Event
from gateway.core.feed import AlertFeed
from gateway.core.health import Health, Tracker, task_health
from gateway.core.linkage import PoliceStatus
from gateway.core.modes import ModeBook
from gateway.core.repositories import ForwardJob, Store
from gateway.devices.registry import DeviceRegistry
from gateway.forwarding.channels import build_channel
from gateway.forwarding.signed_http import SignedHttpConfig
from gateway.forwarding.worker import OutboxWorker
from gateway.modes.service import ModeService
from gateway.store.open import open_store
from rules.calendar import SchoolCalendar
from rules.compiled import CompiledRuleEngine
from rules.engine import RuleEngine

log = logging.getLogger(__name__)

LINKAGE_OFFLINE_S = 30.0
"""A linkage channel failing this long raises `linkage-offline` (GB/T 28181 practice: three
missed keepalives)."""
CLOCK_STEP_CHECK_S = 60.0
"""While rule timers or windows are scheduled, how often a stepped wall clock is looked for
when no event comes (each event looks too)."""


class Gateway:
    """One school's gateway. `async with Gateway(config):` runs it."""

    def __init__(self, config: GatewayConfig, clock: Clock | None = None,
                 run_adapters: bool = True, forward: bool = True) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.modes = ModeBook()
        self.bus = EventBus()
        self.feed = AlertFeed()
        self.store: Store = open_store(config.store)
        self.engine: RuleEngine = CompiledRuleEngine(config, modes=self.modes,
                                                     held_log=self.store.held)
        self._rule_timer = asyncio.Event()
        self._clock_steps = ClockSteps(self.clock)
        self._rule_deadline: float | None = None
        self.registry = DeviceRegistry(config.site.id, config.devices, self.clock, self.bus,
                                       self.modes)
        self.mode_service = ModeService(
            self.modes, self.store.modes, self.clock, self.feed, config.site.tz,
            (zone.id for zone in config.zones), (device.id for device in config.devices),
            config.drills)
        self.drills, self.reporting = site_reporting(config, self.store, self.clock,
                                                     self.mode_service)
        self.accounts = AccountService(
            self.store.users, self.store.sessions, self.store.tokens, self.store.audit,
            self.clock, SessionPolicy(idle_s=config.api.session_idle_minutes * 60))
        if config.api.token is not None:
            self.accounts.add_fixed_token(config.api.token.get_secret_value(), "config",
                                          config.api.token_role)
        self.sops = SopBook(self.store.sops)
        self.hazards = HazardRegister(
            self.store.hazards, self.store.alerts, self.clock, config.site.tz, config.hazards,
            (zone.id for zone in config.zones), self.store.users,
            school_days(SchoolCalendar(config.calendar, config.site.tz)))
        self.linkage_inbound: Counter[str] = Counter()
        """Statuses from the linkage platforms: accepted, duplicate, and why refused."""
        self.metrics = GatewayMetrics(self)
        self.store.time_work(self.metrics.store_work.observe)
        self.adapters: list[Adapter] = []
        self.workers: list[OutboxWorker] = []
        self._run_adapters = run_adapters
        self._forward = forward
        self._tasks: list[asyncio.Task[None]] = []
        self._started_at: dict[str, float] = {}
        self._ended_at: dict[str, float] = {}
        self._store_health = Tracker(self.clock.now())
        self.store_failures = 0
        self._adapter_tasks: list[asyncio.Task[None]] = []
        self._adapters_started = False
        self._manager: AlertManager | None = None
        self._escalator: Escalator | None = None
        self.video: VideoAnalyticsAdapter | None = None
        self._evidence: EvidenceLinker | None = None
        self._accept_within = {c.id: c.accept_within_s for c in config.channels
                               if isinstance(c, SignedHttpConfig) and c.accept_within_s}
        self._watches: set[asyncio.Task[Any]] = set()
        self._zones = {zone.id: zone for zone in config.zones}
        self._devices = {device.id: device for device in config.devices}

    @property
    def manager(self) -> AlertManager:
        if self._manager is None:
            raise RuntimeError("gateway is not started")
        return self._manager

    @property
    def escalator(self) -> Escalator:
        if self._escalator is None:
            raise RuntimeError("gateway is not started")
        return self._escalator

    def place(self, alert: Alert) -> Place:
        """The names a receiver needs beside the alert's ids."""
        return self.place_of(alert.zone, alert.device_id)

    def place_of(self, zone_id: str, device_id: str) -> Place:
        zone = self._zones.get(zone_id)
        device = self._devices.get(device_id)
        return Place(
            site_name=self.config.site.name,
            zone_name=zone.name if zone else zone_id,
            building=zone.building if zone else "",
            floor=zone.floor if zone else "",
            device_name=device.name if device else device_id,
            device_type=device.type if device else "",
            point=zone.point if zone else None,
            polygon=tuple(zone.polygon or ()) if zone else (),
        )

    async def start(self) -> None:
        await self.store.open()
        await self.mode_service.load()
        await self.drills.load(self.config.drills)
        await self.sops.load((sop.sop() for sop in self.config.sops), self.clock.now())
        # Without forwarding (rule replays), jobs are queued in the outbox and stay there.
        self.workers = [OutboxWorker(build_channel(cfg, self.clock), self.store.outbox, self.clock,
                                     Backoff(cfg.retry.initial_s, cfg.retry.max_s),
                                     self._linkage_refused, self._delivered)
                        for cfg in self.config.channels] if self._forward else []
        for worker in self.workers:
            await worker.channel.start()
        self._manager = AlertManager(
            self.store.alerts, self.clock, self.config.site.tz, self.place,
            {c.id: c.forward_drills for c in self.config.channels}, self.feed,
            self._wake_workers,
            on_raised=self._alert_raised,
            evidence_base_url=self.config.api.base_url() + "/",
            on_changed=self._alert_changed, on_store_error=self._store_failed,
            checklists=self.sops.checklist, flood=FloodGate(self.place_of),
            snooze_max_minutes=self.config.console.snooze_max_minutes)
        await self._manager.load()
        for outcome in self.engine.start(self.clock.now(), await self.store.held.load()):
            self._manager.submit(outcome)
        self.bus.subscribe(self.registry.observe)
        self.bus.subscribe(self._evaluate)
        self._spawn(self.bus.run(), "bus")
        self._spawn(self._manager.run(), "alert-manager")
        self._spawn(self._manager.revise_floods(), "flood-revisions")
        self._escalator = Escalator(self._manager, self.clock)
        self._spawn(self._escalator.run(), "escalation")
        self._spawn(self.registry.supervise(), "supervision")
        self._spawn(self._rule_timers(), "rule-timers")
        self._spawn(self.mode_service.run(), "modes")
        if self.config.reports.monthly:
            self._spawn(self.reporting.run_monthly(), "monthly-report")
        self._spawn(self.hazards.run(), "hazards")
        self._spawn(self.metrics.watch_loop(), "loop-lag")
        if can_release():
            self._spawn(keep_releasing_memory(self.clock), "release-memory")
        if self.workers:
            self._spawn(self._watch_linkage(), "linkage-watch")
        for worker in self.workers:
            self._spawn(worker.run(), f"outbox:{worker.channel.id}")
        if self._run_adapters:
            await self.start_adapters()

    async def start_adapters(self) -> None:
        if self._adapters_started:
            raise RuntimeError("the adapters are already started")
        self._adapters_started = True
        # A barrier reached by the bus waits behind what the rules submitted before it.
        context = AdapterContext(site=self.config.site.id, clock=self.clock, bus=self.bus,
                                 after_dispatch=self.manager.after_stored)
        for factory in adapter_factories(self.config.adapters):
            self.adapters += factory(self.config.devices, context)
        self.video = find_video_adapter(self.adapters)
        if self.video is not None:
            self._evidence = EvidenceLinker(self.video, self.config.devices, self.manager)
        for adapter in self.adapters:
            self._adapter_tasks.append(self._spawn(adapter.run(), f"adapter:{adapter.name}"))

    async def settle(self) -> None:
        """Wait until what was published has been evaluated, stored and escalated."""
        for _ in range(3):
            await self.bus.drain()
            await self.manager.drain()
            await self.store.flush()
            await self.escalator.drain()

    async def stop(self) -> None:
        """Stop adapters, let what they delivered reach the store, then stop the rest."""
        if self._evidence is not None:
            await self._evidence.stop()
        await _cancel(self._adapter_tasks)
        await _cancel(list(self._watches))
        await self.bus.drain()
        if self._manager is not None:
            await self._manager.drain()
        await _cancel(self._tasks)
        for worker in self.workers:
            await worker.channel.stop()
        await self.store.close()

    async def __aenter__(self) -> Gateway:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def _evaluate(self, event: Event) -> None:
        self._follow_clock_steps()
        for outcome in self.engine.on_event(event):
            self.manager.submit(outcome)
        deadline = self.engine.next_deadline()
        if deadline is not None and (self._rule_deadline is None
                                     or deadline < self._rule_deadline):
            self._rule_timer.set()

    async def _rule_timers(self) -> None:
        """Give the engine the time at each of its deadlines (`for:` timers, window edges);
        an event that brings a sooner deadline wakes this up."""
        while True:
            self._follow_clock_steps()
            now = self.clock.now()
            for outcome in self.engine.on_time(now):
                self.manager.submit(outcome)
            self._rule_deadline = self.engine.next_deadline()
            self._rule_timer.clear()
            wake_at = (None if self._rule_deadline is None
                       else min(self._rule_deadline, now + CLOCK_STEP_CHECK_S))
            await sleep_until(self.clock, wake_at, self._rule_timer)

    def _follow_clock_steps(self) -> None:
        """The wall clock was stepped: the engine keeps its `for:` timers on elapsed time
        and reads its windows again; the timer loop then sleeps on the new schedule."""
        step = self._clock_steps.step()
        if not step:
            return
        log.warning("wall clock stepped by %+.0f s: rule timers keep their elapsed time, "
                    "windows follow the new time", step)
        for outcome in self.engine.clock_stepped(step, self.clock.now()):
            self.manager.submit(outcome)
        self._rule_timer.set()

    def _linkage_refused(self, job: ForwardJob, reason: str) -> None:
        """A receiver refused an alert for good: the control room must pass it on another
        way. One latched alert per channel, repeated for each refused document."""
        refused = job.payload.alert
        self.manager.submit(AlertSpec(
            key=f"linkage-refused:{job.channel}", rule_id="linkage-refused",
            site=refused.site, device_id=refused.device_id, zone=refused.zone,
            category=Category.DEVICE_HEALTH, severity=Severity.HIGH,
            title=f"联动平台拒收 Linkage {job.channel} refused: {refused.title}",
            message=f"{job.idempotency_key}: {reason}. Pass the alert on by phone.",
            location=refused.location, latching=True, ts=self.clock.now(),
            drill=refused.drill))

    async def _watch_linkage(self) -> None:
        """A linkage channel out of order for `LINKAGE_OFFLINE_S` raises its own alert (the
        police or the alarm centre no longer hear the school); it clears when it is back.
        Sleeps until the next channel's failure reaches that age, or until a worker or
        channel changes status."""
        changed = asyncio.Event()
        for worker in self.workers:
            worker.on_health_change(changed.set)
        offline: set[str] = set()
        while True:
            changed.clear()
            now = self.clock.now()
            due: list[float] = []
            for worker in self.workers:
                channel = worker.channel.id
                health = worker_health(worker)
                key = f"linkage-offline:{channel}"
                offline_at = health.since + LINKAGE_OFFLINE_S  # the very time slept until
                if not health.is_ok and now < offline_at:
                    due.append(offline_at)
                elif not health.is_ok:
                    if channel not in offline:
                        offline.add(channel)
                        log.error("linkage %s offline since %.0f s: %s", channel,
                                  now - health.since, health.reason)
                        self.manager.submit(AlertSpec(
                            key=key, rule_id="linkage-offline", site=self.config.site.id,
                            device_id=f"channel:{channel}", zone="",
                            category=Category.DEVICE_HEALTH, severity=Severity.HIGH,
                            title=f"联动中断 Linkage {channel} offline",
                            message=f"{health.reason}. Alerts wait in the outbox; pass "
                                    "urgent ones on by phone.", ts=now))
                elif health.is_ok and channel in offline:
                    offline.discard(channel)
                    self.manager.submit(ClearSpec(key, now, "linkage back"))
            await sleep_until(self.clock, min(due, default=None), changed)

    def _delivered(self, job: ForwardJob, now: float) -> None:
        self.metrics.delivery.labels(job.channel).observe(now - job.created_at)
        within = self._accept_within.get(job.channel)
        if within is not None and job.revision == 1:
            self._watch(self._expect_accepted(job, within), f"accept-watch {job.idempotency_key}")

    def _watch(self, work: Coroutine[Any, Any, object], name: str) -> None:
        """Work that follows an alert on the side, cancelled when the gateway stops."""
        task = asyncio.create_task(work, name=name)
        self._watches.add(task)
        task.add_done_callback(self._watches.discard)

    async def _expect_accepted(self, job: ForwardJob, within_s: float) -> None:
        """The platform did not accept the alert in time: the control room calls them."""
        await self.clock.sleep(within_s)
        alert = await self.store.alerts.get(job.alert_id)
        if alert is None or not alert.active or any(
                s.channel == job.channel and s.status is PoliceStatus.ACCEPTED
                for s in alert.linkage):
            return
        log.warning("linkage %s has not accepted alert %s within %g s", job.channel,
                    alert.id, within_s)
        self.manager.submit(AlertSpec(
            key=f"linkage-unaccepted:{job.channel}:{alert.id}", rule_id="linkage-unaccepted",
            site=alert.site, device_id=alert.device_id, zone=alert.zone,
            category=alert.category, severity=alert.severity,
            title=f"公安未接警 {job.channel} has not accepted in {within_s:g} s: {alert.title}",
            message="No `accepted` came back: call the police (110) and give them the alert.",
            location=alert.location, latching=True, ts=self.clock.now(), drill=alert.drill))

    def _alert_raised(self, alert: Alert, spec: AlertSpec) -> None:
        if self._evidence is not None:
            self._evidence.alert_raised(alert, spec.snapshot)
        if self.hazards.watches(alert.rule_id):
            self._watch(self.hazards.alert_raised(alert), f"hazard-watch {alert.id}")

    def _alert_changed(self, alert: Alert) -> None:
        if self._store_health.recover(self.clock.now()):
            log.info("the store applies alert changes again")
        if self._escalator is not None:
            self._escalator.alert_changed(alert)

    def _wake_workers(self) -> None:
        for worker in self.workers:
            worker.wake()

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._started_at[name] = self.clock.now()
        task.add_done_callback(self._ended)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._ended_at[task.get_name()] = self.clock.now()

    def _store_failed(self, reason: str) -> None:
        """An alert change could not be applied: the store is failed until one is."""
        self.store_failures += 1
        self._store_health.fail(reason, self.clock.now(), "failed")

    def malformed_by_device(self) -> dict[str, int]:
        """Malformed messages counted per device, over the adapters that count them."""
        counted: dict[str, int] = {}
        for adapter in self.adapters:
            counts = getattr(adapter, "malformed_by_device", None)
            if callable(counts):
                for device, count in counts().items():
                    counted[device] = counted.get(device, 0) + count
        return counted

    def parts(self) -> dict[str, Health]:
        """The health of every long-running part: each spawned task (failed once it has
        ended, with its exception), each adapter, each outbox worker, the rule engine and
        the store. Empty before `start()` and after `stop()`."""
        now = self.clock.now()
        tasks = {task.get_name(): task_health(task, self._started_at.get(task.get_name(), now),
                                              self._ended_at.get(task.get_name()))
                 for task in self._tasks}
        if not tasks:
            return {}
        parts = {f"task:{name}": health for name, health in tasks.items()}
        parts["rules"] = tasks.get("rule-timers", Health.failed("timer task missing", now))
        parts["store"] = self._store_health.health
        for worker in self.workers:
            task_part = tasks.get(f"outbox:{worker.channel.id}",
                                  Health.failed("not running", now))
            parts[f"channel:{worker.channel.id}"] = task_part if not task_part.is_ok \
                else worker_health(worker)
        for adapter in self.adapters:
            task_part = tasks.get(f"adapter:{adapter.name}",
                                  Health.failed("not running", now))
            parts[f"adapter:{adapter.name}"] = (adapter.health() if task_part.is_ok
                                                else task_part)
        return parts

    def health(self) -> dict[str, Any]:
        return {
            "site": self.config.site.id,
            "events_dispatched": self.bus.dispatched,
            "events_pending": self.bus.pending,
            "handler_errors": self.bus.handler_errors,
            "adapters": {a.name: a.counters() for a in self.adapters},
            "channels": {w.channel.id: {"delivered": w.delivered, "failures": w.failures,
                                        "failing": w.failing_since is not None}
                         for w in self.workers},
            "rules": self.engine.stats(),
            "linkage_inbound": dict(self.linkage_inbound),
            "devices_offline": sorted(d.id for d in self.registry.devices.values()
                                      if d.availability is Availability.OFFLINE),
        }


def worker_health(worker: OutboxWorker) -> Health:
    """A worker is as healthy as its deliveries; the channel's own link state adds the
    reason when the worker has not noticed yet (e.g. before the next attempt)."""
    own = worker.health()
    return own if not own.is_ok else worker.channel.health()


def _log_crash(task: asyncio.Task[None]) -> None:
    """A spawned task runs until cancelled: ending any other way is logged (and shows as
    failed in `Gateway.parts()`)."""
    if task.cancelled():
        return
    if task.exception() is not None:
        log.error("task %s stopped: %r", task.get_name(), task.exception(),
                  exc_info=task.exception())
    else:
        log.error("task %s returned; what it did has stopped", task.get_name())


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()
