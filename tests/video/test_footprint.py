"""What a camera's analyser keeps per reference: the comparers and landmarks, not the
reference image nor the frames prepared from it (50 cameras, each with a bank, would keep
some 2 MB per reference for nothing)."""

from __future__ import annotations

import gc

import numpy as np

from adapters.video.analysis import CameraAnalyser, Reference
from adapters.video.config import RegionConfig, VideoAnalyticsConfig
from adapters.video.frames import prepare
from simulators.camera.scene import SceneRenderer, SceneState


def _kept_bytes(root: object) -> int:
    """Bytes of the numpy buffers reachable from `root` (a view counts its whole base)."""
    buffers: dict[int, int] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            base = item
            while isinstance(base.base, np.ndarray):
                base = base.base
            buffers[id(base)] = base.nbytes
            continue
        stack.extend(gc.get_referents(item))
    return sum(buffers.values())


def test_a_reference_keeps_neither_its_image_nor_its_prepared_frames() -> None:
    renderer = SceneRenderer(seed=4)
    region = RegionConfig(name="exit", polygon=tuple(renderer.exit_region()))
    config = VideoAnalyticsConfig(regions=(region,))
    image = renderer.render(0.0, SceneState())
    empty = CameraAnalyser(config)
    analyser = CameraAnalyser(config)
    analyser.set_reference(Reference(image, 0.0))

    kept = _kept_bytes(analyser) - _kept_bytes(empty)
    prepared = prepare(image, config.analysis_width)
    frame = prepared.colour.nbytes + prepared.grey.nbytes + prepared.detail.nbytes
    assert kept < frame  # the comparers' crops and the landmarks only
    assert analyser.analyse_jpeg(renderer.render_jpeg(1.0, SceneState())).regions[0].blocked \
        is False
