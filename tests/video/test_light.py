"""What the comparison holds to when the light changes: lasting obstruction behind
passers-by, a veil against new content, landmarks lost in another light, the colour of
the light, a wall burnt to white around a door."""

from __future__ import annotations

import numpy as np

from adapters.video.analysis import CameraAnalyser, Reference
from adapters.video.compare import RegionComparer
from adapters.video.conditions import LightConditions, distance, measure
from adapters.video.config import RegionConfig, TamperConfig, VideoAnalyticsConfig
from adapters.video.frames import prepare
from adapters.video.landmarks import Shift
from adapters.video.obstruction import RegionWatch
from adapters.video.tamper import ViewSignature, find_tampering
from bench.video_scenes import Conditions, FrameSpec, build_scene, encode, render


def _flat_frame(level: float, door: float) -> np.ndarray:
    frame = np.full((180, 320, 3), level, np.uint8)
    frame[60:150, 120:200] = door
    frame[60:150, 158:162] = door * 0.6  # the door's two leaves
    return frame


def test_a_box_stays_obstruction_while_people_pass_in_front_of_it() -> None:
    region = RegionConfig(name="exit", polygon=((120, 60), (200, 60), (200, 150), (120, 150)))
    reference = prepare(_flat_frame(120, 180), 320)
    watch = RegionWatch(region, 1.0, reference.size, persistence_frames=4)
    comparer = RegionComparer(reference, watch.mask, watch.see_through, 20.0, False)
    box = comparer.crop
    for second in range(4):
        frame = _flat_frame(120, 180)
        frame[105:150, 120:200] = (40, 90, 160)  # a box on the floor, half the door
        person = 130 + 20 * second  # someone walking slowly past, in front of the box
        frame[70:150, person:person + 20] = (200, 60, 60)
        prepared = prepare(frame, 320)
        reading = watch.update(comparer.changed(prepared, 2.0, False), comparer)
    assert reading is not None and box.x0 < 120
    share, frames = reading
    assert frames == 4
    assert 0.4 <= share <= 0.65


def test_a_passer_by_alone_never_lasts() -> None:
    region = RegionConfig(name="exit", polygon=((120, 60), (200, 60), (200, 150), (120, 150)))
    reference = prepare(_flat_frame(120, 180), 320)
    watch = RegionWatch(region, 1.0, reference.size, persistence_frames=4)
    comparer = RegionComparer(reference, watch.mask, watch.see_through, 20.0, False)
    for second in range(4):
        frame = _flat_frame(120, 180)
        person = 110 + 25 * second
        frame[70:150, person:person + 20] = (200, 60, 60)
        reading = watch.update(comparer.changed(prepare(frame, 320), 2.0, False), comparer)
    assert reading is not None and reading[0] < 0.05


def _signature(contrast: float, texture: float = 0.1, floor: float = 0.5) -> ViewSignature:
    fine = np.random.default_rng(1).normal(0, texture, (27, 48)).astype(np.float32)
    return ViewSignature(120.0, 40.0, texture * contrast, floor, fine * contrast)


def test_a_veil_is_haze_but_new_sharper_content_is_not() -> None:
    config = TamperConfig()
    reference = _signature(1.0, floor=0.3)
    veiled = _signature(0.3, floor=0.6)
    still = Shift(0.0, 0.0, 1.0)
    assert find_tampering(veiled, 0.8, still, config, reference, contrast=0.3).hazed
    assert not find_tampering(veiled, 2.8, still, config, reference, contrast=0.3).hazed
    assert not find_tampering(veiled, 0.9, still, config, reference, contrast=0.95).hazed


def test_landmarks_lost_in_another_light_are_not_a_moved_camera() -> None:
    config = TamperConfig()
    reference = _signature(1.0)
    alike = _signature(0.9)
    lost = Shift(0.0, 0.0, 0.05)
    assert find_tampering(alike, 1.0, lost, config, reference, light_matched=True).moved
    assert not find_tampering(alike, 1.0, lost, config, reference, light_matched=False).moved
    elsewhere = ViewSignature(120.0, 40.0, 0.1, 0.5, np.random.default_rng(9).normal(
        0, 0.1, (27, 48)).astype(np.float32))
    assert find_tampering(elsewhere, 1.0, lost, config, reference, light_matched=False).moved


def test_lamp_light_is_told_from_daylight_by_its_colour() -> None:
    scene = build_scene("corridor_end", 5)
    day = measure(prepare(render(scene, FrameSpec(0.0, Conditions("day"))), 320))
    day_later = measure(prepare(render(scene, FrameSpec(60.0, Conditions("day", exposure=1.2))),
                                320))
    night = measure(prepare(render(scene, FrameSpec(0.0, Conditions("night"))), 320))
    assert abs(night.tint - day.tint) > 0.2
    assert distance(day, day_later) < 0.1 < distance(day, night)
    stored = LightConditions.from_dict({"infrared": False, "brightness": 100, "layout": []})
    assert stored.tint == 0.0


def test_a_wall_burnt_to_white_around_a_clear_door_changes_nothing() -> None:
    region = RegionConfig(name="exit", polygon=((120, 60), (200, 60), (200, 150), (120, 150)))
    analyser = CameraAnalyser(VideoAnalyticsConfig(regions=(region,), analysis_width=320))
    analyser.add_reference(Reference(_flat_frame(255, 150), 0.0))
    result = analyser.analyse_jpeg(encode(_flat_frame(170, 140), 95))
    finding = result.regions[0]  # at most the door's outline, whose contrast fell
    assert finding.obstruction is not None and finding.obstruction < 0.15
    assert finding.blocked is False
