"""The ONVIF camera adapter: one task per camera that connects, subscribes to the
camera's events, turns them into points, and supervises the camera's availability.

A camera that fails goes offline (or `fault` when it refuses the credentials) with one
log line; it is retried with the gateway's backoff and logged once more when it is
back. Nothing one camera does can delay another: each has its own task, client and
timeouts."""

from __future__ import annotations

import asyncio
import logging

from adapters.base import AdapterContext
from adapters.onvif.client import CameraClient, CameraInfo
from adapters.onvif.config import SNAPSHOT_POINT, CameraConfig, OnvifSettings
from adapters.onvif.errors import (
    CameraAuthError,
    CameraBadAnswer,
    CameraError,
    CameraUnreachable,
    SubscriptionLost,
)
from adapters.onvif.pullpoint import PullPointSubscription
from adapters.onvif.topics import Notification, TopicTable, raw_point
from gateway.core.backoff import Backoff
from gateway.core.events import AVAILABILITY, Availability, Event, PointValue, Quality
from gateway.core.health import Health, Observed, unreachable

log = logging.getLogger(__name__)


class CameraAdapter:
    """Supervises one ONVIF camera and publishes its events on the gateway bus."""

    def __init__(self, config: CameraConfig, settings: OnvifSettings,
                 ctx: AdapterContext) -> None:
        self.name = f"onvif {config.id}"
        self.config = config
        self.settings = settings
        self.ctx = ctx
        self.topics = TopicTable(config.topic_table)
        self.info: CameraInfo | None = None
        self.availability = Availability.UNKNOWN
        self._backoff = Backoff(settings.retry_initial_s, settings.retry_max_s)
        self._observed = Observed(ctx.clock.now())
        self._client: CameraClient | None = None
        self._failure: str | None = None
        self._snapshot: str | None = None  # "good" or the failure's code
        self._remeasured = False
        self._snapshot_due = 0.0
        self._told_unknown: set[str] = set()
        self._told_no_events = False
        self._counts = dict.fromkeys(
            ("connects", "connect_failures", "checks", "notifications", "unknown_topic",
             "malformed", "renewals", "resubscriptions", "snapshot_checks",
             "snapshot_failures"), 0)

    # -- the supervision loop ---------------------------------------------------------

    async def run(self) -> None:
        """Connect and work until cancelled; reconnect with backoff after failures."""
        while True:
            client = CameraClient(self.config, self.settings, self.ctx.clock)
            self._client = client
            try:
                await self._session(client)
            except CameraError as err:
                self._counts["connect_failures"] += 1
                if self._clock_may_have_moved(err):
                    continue
                self._failed(err)
            except Exception as err:  # an answer this adapter did not expect: not a crash
                self._counts["connect_failures"] += 1
                log.debug("camera %s: unexpected answer", self.config.id, exc_info=True)
                self._failed(CameraBadAnswer(f"unexpected answer ({type(err).__name__}: {err})"))
            finally:
                self._client = None
                await asyncio.shield(client.close())
            await self.ctx.clock.sleep(self._backoff.next_delay())

    def _clock_may_have_moved(self, err: CameraError) -> bool:
        """A camera that suddenly refuses a working session has most often had its clock
        set: reconnect at once, measuring its clock again, before calling it a fault."""
        if not isinstance(err, CameraAuthError) or self.availability is not Availability.ONLINE:
            return False
        if self._remeasured:
            return False
        self._remeasured = True
        log.info("camera %s refused a request (%s); measuring its clock again", self.config.id,
                 err)
        return True

    async def _session(self, client: CameraClient) -> None:
        self.info = await client.connect()
        self._counts["connects"] += 1
        self._backoff.reset()
        self._recovered(self.info)
        self._report_missing(self.info)
        self._snapshot_due = self.ctx.clock.now()
        await self._check_snapshot(client)
        if self.config.events and self.info.events:
            await self._follow_events(client)
            return
        if self.config.events and not self._told_no_events:
            self._told_no_events = True
            log.warning("camera %s (%s %s) has no events service: no motion or tamper events "
                        "from it; watching its availability and snapshots only",
                        self.config.id, self.info.manufacturer, self.info.model)
        await self._watch(client)

    async def _follow_events(self, client: CameraClient) -> None:
        subscription = PullPointSubscription(client)
        await subscription.start()
        backoff = Backoff(self.settings.retry_initial_s, self.settings.retry_max_s)
        lost_in_a_row = 0
        try:
            while True:
                try:
                    if subscription.renewal_due:
                        await subscription.renew()
                        self._counts["renewals"] += 1
                    notifications = await subscription.pull()
                except SubscriptionLost as lost:
                    self._counts["resubscriptions"] += 1
                    log.info("camera %s: %s; subscribing again", self.config.id, lost)
                    log.debug("camera %s: the camera said: %s", self.config.id, lost.detail)
                    if lost_in_a_row:  # lost again at once: do not hammer the camera
                        await self.ctx.clock.sleep(backoff.next_delay())
                    lost_in_a_row += 1
                    subscription = PullPointSubscription(client)
                    await subscription.start()
                    continue
                lost_in_a_row = 0
                backoff.reset()
                self._remeasured = False
                for item in notifications:
                    self._deliver(item)
                await self._check_snapshot(client)
        finally:
            await asyncio.shield(subscription.unsubscribe())

    async def _watch(self, client: CameraClient) -> None:
        """Supervision of a camera without events: a cheap request every `check_s`."""
        while True:
            await self.ctx.clock.sleep(self.settings.check_s)
            await client.check_alive()
            self._counts["checks"] += 1
            self._remeasured = False
            await self._check_snapshot(client)

    # -- snapshots --------------------------------------------------------------------

    async def snapshot(self) -> bytes:
        """A fresh JPEG from the camera (e.g. for an alert); raises `CameraError`."""
        client = self._client
        if client is None or self.info is None:
            raise CameraUnreachable(f"camera {self.config.id} is not connected")
        return await client.snapshot()

    async def _check_snapshot(self, client: CameraClient) -> None:
        if self.info is None or self.info.snapshot_uri is None:
            return
        now = self.ctx.clock.now()
        if now < self._snapshot_due:
            return
        interval = self.settings.snapshot_check_s
        self._snapshot_due = float("inf") if interval is None else now + interval
        self._counts["snapshot_checks"] += 1
        try:
            await client.snapshot()
        except CameraError as err:
            self._counts["snapshot_failures"] += 1
            self._snapshot_state(err.code, f"snapshot failed: {err}", False, Quality.BAD,
                                 f"{err.code}: {err}")
            return
        self._snapshot_state("good", "snapshots are good again", True, Quality.GOOD, None)

    def _snapshot_state(self, state: str, message: str, ok: bool, quality: Quality,
                        detail: str | None) -> None:
        """Publish `snapshot_ok` and log when the snapshot state changes, not on every check."""
        if state == self._snapshot:
            return
        if state != "good" or self._snapshot is not None:  # a failure, or the end of one
            log.warning("camera %s: %s", self.config.id, message)
        self._snapshot = state
        self._publish(SNAPSHOT_POINT, ok, quality=quality, detail=detail)

    def _report_missing(self, info: CameraInfo) -> None:
        """Optional answers the camera could not give (an unreadable GetSnapshotUri, say):
        reported once; the camera stays online without them."""
        for problem in info.missing:
            if problem.partition(": ")[2].startswith("GetSnapshotUri") \
                    and info.snapshot_uri is None:
                code = problem.partition(": ")[0]
                self._snapshot_state(f"no uri {code}", f"carrying on without snapshots: "
                                     f"{problem}", False, Quality.BAD, problem)
            else:
                self._tell_once(problem, "camera %s: carrying on without it: %s", problem)

    # -- events -----------------------------------------------------------------------

    def _deliver(self, item: Notification) -> None:
        self._counts["notifications"] += 1
        if item.operation == "Deleted":
            return
        if not self.topics.knows(item):
            self._counts["unknown_topic"] += 1
            self._tell_once(item.path, "camera %s: topic %s is not in its topic table; "
                            "delivering it as raw event", item.path)
            point = raw_point(item)
            self._publish(point.point, point.value, quality=Quality.UNCERTAIN,
                          detail=item.describe())
            return
        try:
            points = self.topics.map(item)
        except ValueError as err:
            self._counts["malformed"] += 1
            self._tell_once(f"malformed {item.path}", "camera %s: cannot read %s", str(err))
            point = raw_point(item)
            self._publish(point.point, point.value, quality=Quality.BAD, detail=item.describe())
            return
        for mapped in points:
            self._publish(mapped.point, mapped.value, urgent=mapped.urgent,
                          detail=f"onvif {item.topic}")

    def _tell_once(self, key: str, message: str, arg: str) -> None:
        if key not in self._told_unknown:
            self._told_unknown.add(key)
            log.warning(message, self.config.id, arg)

    def _publish(self, point: str, value: PointValue, *, quality: Quality = Quality.GOOD,
                 urgent: bool = False, detail: str | None = None) -> None:
        self.ctx.bus.publish(Event(self.ctx.site, self.config.id, point, value,
                                   self.ctx.clock.now(), quality, urgent, detail))

    # -- availability -----------------------------------------------------------------

    def _recovered(self, info: CameraInfo) -> None:
        if self.availability is Availability.ONLINE:
            log.info("camera %s reconnected: %s", self.config.id, info.describe())
            return
        if self._failure is not None:
            log.warning("camera %s is back: %s", self.config.id, info.describe())
        else:
            log.info("camera %s connected: %s", self.config.id, info.describe())
        self._failure = None
        self.availability = Availability.ONLINE
        events = "events" if info.events else "no events service"
        degraded = "".join(f"; degraded: {problem}" for problem in info.missing)
        self._publish(AVAILABILITY, Availability.ONLINE.value,
                      detail=f"{info.describe()}, {events}{degraded}")

    def _failed(self, err: CameraError) -> None:
        state = Availability.FAULT if isinstance(err, CameraAuthError) else Availability.OFFLINE
        if self._failure == err.code and self.availability == state:
            log.debug("camera %s still failing: %s", self.config.id, err)
            return
        self._failure = err.code
        self.availability = state
        wording = "in fault" if state is Availability.FAULT else state.value
        log.warning("camera %s is %s: %s", self.config.id, wording, err)
        self._publish(AVAILABILITY, state.value, quality=Quality.BAD, detail=f"{err.code}: {err}")

    def health(self) -> Health:
        """Degraded while the camera is offline or in fault ("1 of 1 cameras unreachable"),
        ok otherwise (also while still connecting); `since` is when that was first seen."""
        down = [self.config.id] if self.availability in (Availability.OFFLINE,
                                                         Availability.FAULT) else []
        reason = unreachable(down, 1, "cameras")
        if reason and self._failure:
            reason = f"{reason} ({self._failure})"
        return self._observed.see(reason, self.ctx.clock.now())

    def counters(self) -> dict[str, int]:
        return {**self._counts, "online": int(self.availability == Availability.ONLINE)}
