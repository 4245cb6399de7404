"""The police linkage channel (公安联网报警平台): one signed HTTP(S) POST per attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field

from gateway.core.clock import Clock
from gateway.core.health import Health
from gateway.forwarding.channel import ForwardJob, Receipt
from gateway.forwarding.document import linkage_body
from gateway.forwarding.signed_http import (
    DUPLICATE_STATUS,
    SignedHttpConfig,
    SignedPoster,
    client_ssl_context,
)

__all__ = ["DUPLICATE_STATUS", "PoliceHttpChannel", "PoliceHttpChannelConfig",
           "client_ssl_context"]


class PoliceHttpChannelConfig(SignedHttpConfig):
    """HTTP(S) POST to the police linkage platform (公安联网报警平台), signed."""

    type: Literal["police_http"]
    id: str = Field(description="Channel id that rules name.")


class PoliceHttpChannel:
    """Delivers alert documents to a linkage receiver over HTTP(S), signed with HMAC-SHA256.

    `deliver()` makes exactly one attempt; the outbox worker retries. A 2xx answer, or a
    409 meaning the receiver already has this idempotency key, is a delivery; anything
    else raises `DeliveryError` naming the status, the refusal or the timeout. The body is
    encoded and signed afresh on each attempt (new timestamp); `health()` is degraded from
    the first failed attempt until the next delivery.
    """

    def __init__(self, config: PoliceHttpChannelConfig, clock: Clock) -> None:
        self.id = config.id
        self.forward_drills = config.forward_drills
        self._poster = SignedPoster(config, clock)

    async def start(self) -> None:
        """Nothing to open ahead: the HTTP session is made on the first attempt, inside
        the running loop."""

    def health(self) -> Health:
        return self._poster.health

    def on_health_change(self, listener: Callable[[], None]) -> None:
        self._poster.on_health_change(listener)

    async def deliver(self, job: ForwardJob) -> Receipt:
        return await self._poster.post(linkage_body(job.payload), "application/json",
                                       job.idempotency_key)

    async def stop(self) -> None:
        """Close the HTTP session; a later attempt opens a new one."""
        await self._poster.close()
