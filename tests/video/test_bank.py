"""The reference bank: stored with its light, loaded again, chosen by light; automatic
captures only when the view is quiet and the light matches no reference."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from adapters.video.analysis import CameraAnalyser, FrameAnalysis, Reference, RegionFinding
from adapters.video.autocapture import QuietWatch
from adapters.video.config import ReferenceBankConfig, RegionConfig, VideoAnalyticsConfig
from adapters.video.references import ReferenceStore
from adapters.video.tamper import TamperFindings, ViewSignature
from simulators.camera.scene import SceneRenderer, SceneState


def _analyser() -> tuple[SceneRenderer, CameraAnalyser]:
    renderer = SceneRenderer(seed=4)
    region = RegionConfig(name="exit", polygon=tuple(renderer.exit_region()))
    return renderer, CameraAnalyser(VideoAnalyticsConfig(regions=(region,)))


def test_bank_is_stored_with_its_light_and_loaded_again(tmp_path: Path) -> None:
    renderer, analyser = _analyser()
    store = ReferenceStore(tmp_path)
    colour = analyser.add_reference(Reference(renderer.render(0.0, SceneState()), 10.0))
    grey = renderer.render(1.0, SceneState()).mean(axis=2, keepdims=True)
    infrared = analyser.add_reference(
        Reference(np.repeat(grey, 3, axis=2).astype(np.uint8), 20.0))
    store.save("cam-a", colour, 5)
    info = store.save("cam-a", infrared, 5, automatic=True, bank=analyser.references)
    assert info.light == "infrared" and info.automatic
    bank = store.load_bank("cam-a")
    assert [r.captured_at for r in bank] == [10.0, 20.0]
    assert [r.conditions is not None and r.conditions.infrared for r in bank] == [False, True]
    assert json.loads((tmp_path / "cam-a.json").read_text())["captured_at"] == 20.0


def test_a_camera_with_only_the_old_reference_files_has_a_bank_of_one(tmp_path: Path) -> None:
    renderer, _ = _analyser()
    store = ReferenceStore(tmp_path)
    store.save("cam-a", Reference(renderer.render(0.0, SceneState()), 5.0), 1)
    for path in store.bank_folder("cam-a").iterdir():
        path.unlink()
    assert [r.captured_at for r in store.load_bank("cam-a")] == [5.0]


def test_each_frame_is_compared_with_the_reference_in_its_light() -> None:
    renderer, analyser = _analyser()
    analyser.add_reference(Reference(renderer.render(0.0, SceneState()), 1.0))
    grey = renderer.render(1.0, SceneState()).mean(axis=2, keepdims=True)
    analyser.add_reference(Reference(np.repeat(grey, 3, axis=2).astype(np.uint8), 2.0))
    frame = renderer.render(2.0, SceneState()).mean(axis=2, keepdims=True)
    ok, data = cv2.imencode(".jpg", np.repeat(frame, 3, axis=2).astype(np.uint8))
    assert ok
    result = analyser.analyse_jpeg(data.tobytes())
    assert result.reference_at == 2.0 and result.light_matched
    assert result.regions[0].blocked is False


def _analysis(obstruction: float, matched: bool) -> FrameAnalysis:
    view = ViewSignature(100.0, 40.0, 0.1, 0.3)
    tamper = TamperFindings(False, False, False, 1.0, None, view, False)
    return FrameAnalysis(False, tamper, (RegionFinding("exit", obstruction, False, 4),),
                         light_matched=matched)


def test_automatic_capture_waits_for_quiet_and_unmatched_light() -> None:
    watch = QuietWatch(ReferenceBankConfig(quiet_frames=5, min_interval_s=100.0))
    for _ in range(5):
        watch.observe(_analysis(0.0, matched=True))
    assert not watch.due(0.0)
    for _ in range(4):
        watch.observe(_analysis(0.0, matched=False))
    watch.observe(_analysis(0.2, matched=False))  # something in the exit: start again
    assert not watch.due(0.0)
    for _ in range(5):
        watch.observe(_analysis(0.01, matched=False))
    assert watch.due(0.0)
    watch.captured(0.0)
    for _ in range(5):
        watch.observe(_analysis(0.0, matched=False))
    assert not watch.due(50.0) and watch.due(150.0)
    night_only = QuietWatch(ReferenceBankConfig(quiet_frames=5, hours=(2,), timezone="UTC"))
    for _ in range(5):
        night_only.observe(_analysis(0.0, matched=False))
    assert not night_only.due(3600.0 * 14) and night_only.due(3600.0 * 2)
