"""The control API of the camera simulator: what a test or a demo can change on one
camera (its scene, its clock, reboots and faults) and what it reports back."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simulators.camera.camera import SimulatedCamera
from simulators.camera.notifications import Notification
from simulators.camera.scene import SceneState


class InjectedEvent(BaseModel):
    """An arbitrary ONVIF event to send to the camera's subscribers."""

    model_config = ConfigDict(extra="forbid")

    topic: str = Field(description="Topic, e.g. `tns1:Device/Trigger/DigitalInput`.")
    source: dict[str, str] = Field(default_factory=dict, description="Source simple items.")
    data: dict[str, str] = Field(default_factory=dict, description="Data simple items.")
    operation: str = Field(default="Changed", description="PropertyOperation attribute.")


class CameraControl(BaseModel):
    """One change request for one camera; unset fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    clear: bool = Field(default=False, description="Reset the scene to an empty, clear view.")
    block_exit: float | None = Field(default=None, ge=0, le=1,
                                     description="Fraction of the exit blocked by boxes.")
    cover_lens: bool | None = Field(default=None, description="Lens covered.")
    defocus: float | None = Field(default=None, ge=0, le=1,
                                  description="Defocus, 0: sharp .. 1: badly blurred.")
    shift_view: int | None = Field(default=None, description="View shifted by this many px.")
    people: int | None = Field(default=None, ge=0, le=20, description="People walking through.")
    lighting: float | None = Field(default=None, ge=0, le=3, description="Light level, 1: normal.")
    noise: float | None = Field(default=None, ge=0, le=50,
                                description="Sensor noise, grey levels.")
    reboot: bool = Field(default=False, description="Reboot: drop subscriptions and nonces.")
    reboot_down_s: float = Field(default=0.0, ge=0, description="Unreachable this long on reboot.")
    clock_offset_s: float | None = Field(default=None, description="Camera clock minus true time.")
    fault: int | None = Field(default=None, ge=0, description="Fail this many next SOAP calls.")
    corrupt_snapshot: bool | None = Field(default=None, description="Serve broken JPEGs.")
    event: InjectedEvent | None = Field(default=None, description="Send this event.")
    refuse_operations: list[str] | None = Field(
        default=None, description="SOAP operations the user may not call (NotAuthorized).")
    malformed_operations: list[str] | None = Field(
        default=None, description="SOAP operations answered with an envelope that uses an "
                                  "undeclared namespace prefix (a firmware bug).")
    pull_wait_s: float | None = Field(
        default=None, ge=0, description="Hold a PullMessages open at most this long, "
                                        "0: answer at once even with nothing.")


_SCENE_NAMES = {"block_exit": "block_fraction", "cover_lens": "covered", "defocus": "defocus",
                "shift_view": "shift_px", "people": "people", "lighting": "lighting",
                "noise": "noise"}


def apply_control(camera: SimulatedCamera, control: CameraControl) -> None:
    """Apply a change request: scene first (events follow it), then the rest."""
    changes: dict[str, Any] = dataclasses.asdict(SceneState()) if control.clear else {}
    for field, scene_name in _SCENE_NAMES.items():
        value = getattr(control, field)
        if value is not None:
            changes[scene_name] = value
    if changes:
        camera.change_scene(changes)
    if control.clock_offset_s is not None:
        camera.clock_offset_s = control.clock_offset_s
    if control.fault is not None:
        camera.pending_faults = control.fault
    if control.refuse_operations is not None:
        camera.refused_operations = frozenset(control.refuse_operations)
    if control.malformed_operations is not None:
        camera.malformed_operations = frozenset(control.malformed_operations)
    if control.pull_wait_s is not None:
        camera.pull_wait_s = control.pull_wait_s
    if control.corrupt_snapshot is not None:
        camera.corrupt_snapshot = control.corrupt_snapshot
    if control.event is not None:
        e = control.event
        camera.publish(Notification(e.topic, camera.now(), e.source, e.data, e.operation))
    if control.reboot:
        camera.reboot(control.reboot_down_s)


def camera_status(camera: SimulatedCamera) -> dict[str, Any]:
    """What the control API reports about a camera."""
    return {
        "index": camera.index,
        "scene": dataclasses.asdict(camera.scene),
        "clock_offset_s": camera.clock_offset_s,
        "subscriptions": len(camera.subscriptions),
        "pending_faults": camera.pending_faults,
        "corrupt_snapshot": camera.corrupt_snapshot,
        "refused_operations": sorted(camera.refused_operations),
        "malformed_operations": sorted(camera.malformed_operations),
        "pull_wait_s": camera.pull_wait_s,
        "rebooting": camera.rebooting,
        "operations": dict(camera.operations),
    }
