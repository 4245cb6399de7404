"""One simulated ONVIF camera: its clock, credentials, scene, event subscriptions and
the faults a test can make it show (reboot, SOAP fault, corrupt snapshot)."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from gateway.core.clock import Clock
from simulators.camera.frames import FrameSource
from simulators.camera.httpauth import HttpAuthenticator
from simulators.camera.notifications import (
    ANALYTICS_SOURCE,
    MOTION_TOPIC,
    TAMPER_TOPIC,
    Notification,
    PullPointSubscription,
)
from simulators.camera.scene import SceneState
from simulators.camera.soap import SoapFault
from simulators.camera.wsse import UsernameTokenVerifier

MOTION_RULE = "MotionDetectorRule"
TAMPER_RULE = "TamperDetectorRule"


@dataclass(frozen=True)
class CameraIdentity:
    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str
    name: str
    location: str


class SimulatedCamera:
    """State of camera `index`. Times on its own clock are `clock.now() + clock_offset_s`."""

    def __init__(self, index: int, clock: Clock, username: str, password: str,
                 clock_offset_s: float = 0.0, prerendered: bool = False) -> None:
        self.index = index
        self.clock = clock
        self.clock_offset_s = clock_offset_s
        self.identity = CameraIdentity("CampusGW", "SIM-CAM-2", "2.4.1",
                                       f"SIM{index:05d}", f"sim-hw-{index}",
                                       f"CampusGW camera {index}", f"school/corridor-{index}")
        self.wsse = UsernameTokenVerifier(username, password)
        self.http_auth = HttpAuthenticator(username, password)
        self.frames = FrameSource(seed=index + 1, prerendered=prerendered)
        self.scene = SceneState()
        self.subscriptions: dict[str, PullPointSubscription] = {}
        self.pending_faults = 0
        self.corrupt_snapshot = False
        self.refused_operations: frozenset[str] = frozenset()
        self.malformed_operations: frozenset[str] = frozenset()
        """Answered with an undeclared namespace prefix in the envelope."""
        self.pull_wait_s: float | None = None
        """How long a PullMessages is held open at most (None: as the client asks)."""
        self.rebooting_until = 0.0
        self.boot_time = clock.now()
        self.operations: Counter[str] = Counter()
        """SOAP operations asked of this camera, by name."""
        self._motion = False
        self._tamper = False

    def now(self) -> float:
        """The camera's own clock."""
        return self.clock.now() + self.clock_offset_s

    # -- faults and reboots ---------------------------------------------------------

    @property
    def rebooting(self) -> bool:
        return self.clock.now() < self.rebooting_until

    def reboot(self, down_s: float = 0.0) -> None:
        """Drop every subscription and nonce; unreachable for `down_s` seconds."""
        for subscription in self.subscriptions.values():
            subscription.arrived.set()
        self.subscriptions.clear()
        self.wsse.reset()
        self.rebooting_until = self.clock.now() + down_s
        self.boot_time = self.clock.now() + down_s

    def take_injected_fault(self) -> SoapFault | None:
        if self.pending_faults <= 0:
            return None
        self.pending_faults -= 1
        return SoapFault("Receiver", "ter:Action", "injected fault: the camera failed the call")

    # -- subscriptions --------------------------------------------------------------

    def subscribe(self, termination: float) -> PullPointSubscription:
        subscription = PullPointSubscription(secrets.token_hex(8), termination)
        self.subscriptions[subscription.id] = subscription
        for message in self.property_messages("Initialized"):
            subscription.put(message)
        return subscription

    def subscription(self, subscription_id: str) -> PullPointSubscription:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is not None and subscription.termination < self.now():
            del self.subscriptions[subscription_id]
            subscription = None
        if subscription is None:
            raise SoapFault("Sender", "ter:InvalidArgVal",
                            f"unknown or expired subscription {subscription_id!r}")
        return subscription

    def unsubscribe(self, subscription_id: str) -> None:
        self.subscription(subscription_id)
        del self.subscriptions[subscription_id]

    def publish(self, message: Notification) -> None:
        for subscription in list(self.subscriptions.values()):
            if subscription.termination >= self.now():
                subscription.put(message)

    def property_messages(self, operation: str) -> list[Notification]:
        return [self._motion_message(self._motion, operation),
                self._tamper_message(self._tamper, operation)]

    def _motion_message(self, moving: bool, operation: str = "Changed") -> Notification:
        return Notification(MOTION_TOPIC, self.now(), {**ANALYTICS_SOURCE, "Rule": MOTION_RULE},
                            {"IsMotion": _xs_bool(moving)}, operation)

    def _tamper_message(self, tampered: bool, operation: str = "Changed") -> Notification:
        return Notification(TAMPER_TOPIC, self.now(), {**ANALYTICS_SOURCE, "Rule": TAMPER_RULE},
                            {"IsTamper": _xs_bool(tampered)}, operation)

    # -- the scene ------------------------------------------------------------------

    def change_scene(self, changes: dict[str, Any]) -> None:
        """Apply scene changes; motion and tamper events follow what changed."""
        before = self.scene
        self.scene = replace(before, **changes)
        block_moved = before.block_fraction != self.scene.block_fraction
        moving = self.scene.people > 0
        if block_moved and not moving:
            self.publish(self._motion_message(True))
        if moving != self._motion or (block_moved and not moving):
            self._motion = moving
            self.publish(self._motion_message(moving))
        tampered = bool(self.scene.covered or self.scene.defocus > 0 or self.scene.shift_px)
        if tampered != self._tamper:
            self._tamper = tampered
            self.publish(self._tamper_message(tampered))

    async def snapshot(self) -> bytes:
        jpeg = await self.frames.jpeg(self.clock.now() - self.boot_time, self.scene)
        if self.corrupt_snapshot:
            return jpeg[: len(jpeg) // 3] + b"\x00" * 64
        return jpeg


def _xs_bool(value: bool) -> str:
    return "true" if value else "false"
