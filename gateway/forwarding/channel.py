"""The channel seam: a channel encodes its own message from an outbox job's alert revision
on every attempt, delivers it, returns a receipt, and supervises its link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.core.health import Health
from gateway.core.repositories import ForwardJob

__all__ = ["Channel", "DeliveryError", "DeliveryRejected", "ForwardJob", "Receipt"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the receiver answered: its receipt id, when it gives one."""

    receipt_id: str | None
    detail: str = ""


class DeliveryError(Exception):
    """This attempt failed; the job is retried later."""


class DeliveryRejected(DeliveryError):
    """The receiver refused this job for good (it would refuse it again): the job is
    parked as rejected, an alert says so, and the channel goes on with the next."""


class Channel(Protocol):
    """One forwarding destination. Lifecycle: `start()` once before the first `deliver()`,
    `stop()` once at the end (it releases connections; a stopped channel may be started
    again). `deliver()` makes one attempt and encodes the message from `job.payload` on
    each call, so an attempt may carry a fresh sequence number and timestamp; it raises
    (normally `DeliveryError`) when the receiver did not take the job."""

    id: str
    forward_drills: bool

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, job: ForwardJob) -> Receipt: ...

    def health(self) -> Health:
        """The link's state as the last attempt found it (ok before any attempt)."""
        ...

    def on_health_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever `health()` changes status, from an attempt or from the
        channel's own supervision of the link."""
        ...
