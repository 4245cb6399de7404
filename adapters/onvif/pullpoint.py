"""A PullPoint event subscription (ONVIF Events): CreatePullPointSubscription, then
PullMessages in a loop, Renew before the termination time, Unsubscribe at the end.

Renewal times come from the gateway clock and the lifetime the camera granted
(TerminationTime - CurrentTime, both on the camera's clock), so a camera clock that is
off does not matter."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from adapters.onvif.client import EVENTS_NS, CameraClient
from adapters.onvif.errors import CameraAuthError, CameraError, CameraFault, SubscriptionLost
from adapters.onvif.topics import Notification

log = logging.getLogger(__name__)

SUBSCRIPTION_NS = f"{EVENTS_NS}/PullPointSubscription"
MIN_RENEW_DELAY_S = 1.0
UNSUBSCRIBE_LIMIT_S = 2.0
"""Unsubscribing is a courtesy: it never holds up a shutdown for long."""


class PullPointSubscription:
    """One subscription on one camera. `pull()` raises `SubscriptionLost` when the
    camera no longer knows it (after a reboot, or after it expired)."""

    def __init__(self, client: CameraClient) -> None:
        self.client = client
        self.settings = client.settings
        self.renew_due = 0.0
        self._pullpoint: Any = None
        self._manager: Any = None

    async def start(self) -> None:
        camera = self.client.camera
        events = await self.client.call("events service", camera.create_events_service())
        answer = await self.client.call("CreatePullPointSubscription",
                                        events.CreatePullPointSubscription({
                                            "InitialTerminationTime": self._lifetime()}))
        camera.xaddrs[SUBSCRIPTION_NS] = str(answer.SubscriptionReference.Address._value_1)
        self._pullpoint = await self.client.call("pullpoint service",
                                                 camera.create_pullpoint_service())
        self._manager = await self.client.call(
            "subscription service", camera.create_subscription_service("PullPointSubscription"))
        self._schedule_renewal(answer)

    def _lifetime(self) -> str:
        return f"PT{int(self.settings.subscription_s)}S"

    def _schedule_renewal(self, answer: Any) -> None:
        granted = lifetime_s(answer.CurrentTime, answer.TerminationTime)
        if granted is None or granted <= 0:  # no times, or times that make no sense
            granted = self.settings.subscription_s
        delay = max(MIN_RENEW_DELAY_S, granted * self.settings.renew_at)
        self.renew_due = self.client.clock.now() + delay

    @property
    def renewal_due(self) -> bool:
        return self.client.clock.now() >= self.renew_due

    async def renew(self) -> None:
        answer = await self._on_subscription("Renew", self._manager.Renew(
            {"TerminationTime": self._lifetime()}))
        self._schedule_renewal(answer)

    async def pull(self) -> list[Notification]:
        """One PullMessages. A camera that answers at once with nothing (instead of holding
        the request open for the timeout asked) is not asked again before that timeout
        is over, on the gateway clock: no tight loop against such a camera."""
        timeout = self.settings.pull_timeout_s
        requested = int(max(1, timeout))
        clock = self.client.clock
        started = clock.now()
        answer = await self._on_subscription(
            "PullMessages",
            self._pullpoint.PullMessages({"Timeout": f"PT{requested}S",
                                          "MessageLimit": self.settings.message_limit}),
            limit_s=timeout + self.settings.request_timeout_s)
        notifications = [n for n in (notification(m) for m in answer.NotificationMessage or [])
                         if n is not None]
        if not notifications:
            early_by = started + requested - clock.now()
            if early_by > 0:
                await clock.sleep(early_by)
        return notifications

    async def unsubscribe(self) -> None:
        if self._manager is None:
            return
        try:
            await self.client.call("Unsubscribe", self._manager.Unsubscribe(),
                                   limit_s=min(UNSUBSCRIBE_LIMIT_S,
                                               self.settings.request_timeout_s))
        except CameraError as err:
            log.debug("camera %s: Unsubscribe failed: %s", self.client.config.id, err)
        self._manager = None

    async def _on_subscription(self, what: str, awaitable: Any,
                               limit_s: float | None = None) -> Any:
        try:
            return await self.client.call(what, awaitable, limit_s)
        except CameraAuthError:
            raise
        except CameraFault as fault:
            raise SubscriptionLost(f"{what}: the camera dropped the subscription",
                                   str(fault)) from None


def lifetime_s(current: datetime | None, termination: datetime | None) -> float | None:
    """Seconds between the camera's CurrentTime and TerminationTime, if both are there."""
    if not isinstance(current, datetime) or not isinstance(termination, datetime):
        return None
    if (current.tzinfo is None) != (termination.tzinfo is None):
        return None
    return (termination - current).total_seconds()


def notification(message: Any) -> Notification | None:
    """A zeep NotificationMessage as a `Notification`; None if it has no topic."""
    topic_holder = getattr(message, "Topic", None)
    topic = getattr(topic_holder, "_value_1", None)
    if not topic:
        return None
    body = getattr(getattr(message, "Message", None), "_value_1", None)
    return Notification(
        topic=str(topic).strip(),
        operation=str(getattr(body, "PropertyOperation", None) or "Changed"),
        source=_simple_items(getattr(body, "Source", None)),
        data=_simple_items(getattr(body, "Data", None)))


def _simple_items(holder: Any) -> dict[str, str]:
    items = getattr(holder, "SimpleItem", None) or []
    return {str(item.Name): str(item.Value) for item in items
            if getattr(item, "Name", None) is not None}
