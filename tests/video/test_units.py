"""Config validation, snapshot decoding, point publishing and the evidence ring buffer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.video.analysis import CameraAnalyser, Reference
from adapters.video.config import RegionConfig, VideoAnalyticsConfig
from adapters.video.evidence import EvidenceRecorder, FrameRing, UnknownCamera
from adapters.video.frames import CorruptFrame, decode_jpeg
from adapters.video.points import PointPublisher, PointReading
from gateway.core.bus import EventBus
from gateway.core.events import Quality
from simulators.camera.scene import SceneRenderer, SceneState


def test_config_rejects_unknown_keys_flat_polygons_and_duplicate_regions() -> None:
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    with pytest.raises(ValidationError, match="extra"):
        VideoAnalyticsConfig.model_validate({"intervall_s": 1})
    with pytest.raises(ValidationError, match="no area"):
        RegionConfig.model_validate({"name": "exit", "polygon": [[0, 0], [5, 5], [10, 10]]})
    with pytest.raises(ValidationError, match="duplicate region names: exit"):
        VideoAnalyticsConfig.model_validate({"regions": [
            {"name": "exit", "polygon": square}, {"name": "exit", "polygon": square}]})
    for field in VideoAnalyticsConfig.model_fields.values():
        assert field.description


def test_truncated_or_foreign_bytes_are_corrupt_frames() -> None:
    jpeg = SceneRenderer(seed=1).render_jpeg(0.0, SceneState())
    assert decode_jpeg(jpeg).shape == (360, 640, 3)
    for broken in (jpeg[: len(jpeg) // 2], b"<html>busy</html>", jpeg[:200] + b"\xff\xd9"):
        with pytest.raises(CorruptFrame):
            decode_jpeg(broken)


def test_points_are_published_on_change_and_periodically() -> None:
    bus = EventBus()
    publisher = PointPublisher("school", "cam-a", bus, republish_s=60.0)
    publisher.publish([PointReading("region.exit.obstruction", 0.10),
                       PointReading("region.exit.blocked", False)], 0.0)
    publisher.publish([PointReading("region.exit.obstruction", 0.11),
                       PointReading("region.exit.blocked", False)], 1.0)
    assert publisher.published == 2
    publisher.publish([PointReading("region.exit.obstruction", 0.13)], 2.0)
    publisher.publish([PointReading("region.exit.blocked", False, Quality.UNCERTAIN)], 2.0)
    assert publisher.published == 4
    publisher.publish([PointReading("region.exit.obstruction", 0.13)], 62.0)
    assert publisher.published == 5
    assert bus.pending == 5


def test_ring_keeps_only_its_seconds() -> None:
    ring = FrameRing(seconds=30.0)
    for second in range(100):
        ring.add(float(second), bytes([second]))
    frames = ring.frames()
    assert [f.ts for f in frames] == [float(s) for s in range(69, 100)]
    assert [f.ts for f in ring.frames(until=80.5)][-1] == 80.0
    assert [f.jpeg for f in ring.latest(2)] == [bytes([98]), bytes([99])]


async def test_evidence_of_an_empty_buffer_is_empty_and_not_final(tmp_path: Path) -> None:
    recorder = EvidenceRecorder(tmp_path)
    ring = FrameRing(seconds=30.0)
    recorder.register("cam-a", ring)
    assert await recorder.capture("cam-a", "alert-1") == []
    ring.add(10.0, b"\xff\xd8first\xff\xd9")
    ring.add(11.0, b"\xff\xd8second\xff\xd9")
    items = await recorder.capture("cam-a", "alert-1", at=10.5)
    assert [(i.role, i.captured_at) for i in items] == [("alert", 10.0)]
    assert items[0].sha256 == hashlib.sha256(b"\xff\xd8first\xff\xd9").hexdigest()
    with pytest.raises(UnknownCamera):
        await recorder.capture("cam-b", "alert-1")


def test_frames_of_odd_size_are_analysed_like_even_ones() -> None:
    renderer = SceneRenderer(seed=5, width=641, height=361)
    region = RegionConfig(name="exit", polygon=tuple(renderer.exit_region()))
    analyser = CameraAnalyser(VideoAnalyticsConfig(regions=(region,), persistence_frames=1))
    analyser.set_reference(Reference(renderer.render(0.0, SceneState()), 0.0))
    for t, fraction in ((1.0, 0.0), (2.0, 0.0), (3.0, 0.7)):
        result = analyser.analyse_jpeg(renderer.render_jpeg(t, SceneState(block_fraction=fraction)))
        assert result.tamper.moved is False
        assert result.regions[0].blocked is (fraction > 0)
