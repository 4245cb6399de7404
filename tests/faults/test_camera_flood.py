"""A camera that floods the gateway with events (a flickering light toggling motion, a
firmware bug): more than its own event queue holds. The camera stays online, its last
state is what the gateway reports, and a panic press meanwhile overtakes the flood on the
bus."""

from __future__ import annotations

from gateway.core.events import AVAILABILITY, Event
from simulators.camera import CameraSimulator
from tests.onvif.harness import PASSWORD, camera_config, running

TOGGLES = 3000
"""Motion changes published at once: three times what the camera's queue keeps (1,000)."""


async def test_a_camera_flood_keeps_the_last_state_and_lets_a_press_through() -> None:
    async with CameraSimulator(cameras=1, password=PASSWORD) as sim, running() as harness:
        camera = sim.cameras[0]
        harness.start(camera_config(sim, 0))
        await harness.wait_event("cam-exit-0", AVAILABILITY, "online")
        await harness.wait_for("the gateway's event subscription", lambda: camera.subscriptions)
        order: list[str] = []
        harness.bus.subscribe(lambda e: order.append(e.device_id))
        for n in range(TOGGLES):
            camera.change_scene({"people": n % 2})
        camera.change_scene({"people": 1})  # the last word: someone is there
        await harness.wait_for("the flood to reach the bus",
                               lambda: len(harness.of("cam-exit-0", "motion")) >= 10)
        harness.bus.publish(Event("school-1", "pb-1", "pressed", True, 0.0, urgent=True))
        await harness.wait_for("the camera's queue pulled empty", lambda: all(
            not s.queue for s in camera.subscriptions.values()))
        await harness.bus.drain()
    motion = harness.of("cam-exit-0", "motion")
    press_at = order.index("pb-1")
    waiting_camera = sum(1 for device in order[press_at:] if device == "cam-exit-0")
    print(f"camera flood: {TOGGLES + 1} motion changes published, {len(motion)} reached the "
          f"bus (the camera keeps 1,000), press dispatched ahead of {waiting_camera} camera "
          f"events still queued; availability {harness.availability('cam-exit-0')}")
    assert motion[-1].value is True
    assert harness.availability("cam-exit-0") == ["online"]
    assert len(motion) <= TOGGLES + 1
