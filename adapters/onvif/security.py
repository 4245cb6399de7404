"""WS-Security UsernameToken digests stamped with the camera's idea of the time.

A camera rejects a token whose `Created` time is far from its own clock. The adapter
measures how far the camera's clock is from the gateway clock (GetSystemDateAndTime,
which needs no authentication) and stamps every token with gateway time plus that
offset, so a camera whose clock is an hour off still accepts the gateway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zeep.wsse.username import UsernameToken

from gateway.core.clock import Clock


@dataclass
class CameraClockOffset:
    """Camera clock minus gateway clock, in seconds; shared by a camera's services."""

    seconds: float = 0.0


class ClockedUsernameToken(UsernameToken):
    """A password-digest UsernameToken whose `Created` comes from the gateway clock plus
    the camera's measured offset."""

    def __init__(self, username: str, password: str, clock: Clock,
                 offset: CameraClockOffset) -> None:
        super().__init__(username, password, use_digest=True,  # type: ignore[no-untyped-call]
                         zulu_timestamp=True)
        self._clock = clock
        self._offset = offset

    def camera_time(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now() + self._offset.seconds, tz=UTC)

    def apply(self, envelope: Any, headers: Any) -> Any:
        self.created = self.camera_time()
        try:
            return super().apply(envelope, headers)  # type: ignore[no-untyped-call]
        finally:
            self.created = None
