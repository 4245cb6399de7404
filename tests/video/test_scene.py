"""The rendered camera scene: deterministic, and its obstacle covers what it says."""

from __future__ import annotations

import random

import cv2
import numpy as np

from simulators.camera.scene import SceneRenderer, SceneState, SceneStyle


def test_same_seed_and_time_give_the_same_frame() -> None:
    state = SceneState(people=3, block_fraction=0.4, noise=5.0)
    first = SceneRenderer(seed=7).render(12.5, state)
    again = SceneRenderer(seed=7).render(12.5, state)
    assert first.shape == (360, 640, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, SceneRenderer(seed=7).render(13.5, state))
    assert not np.array_equal(first, SceneRenderer(seed=8).render(12.5, state))


def test_exit_region_lies_inside_the_frame() -> None:
    for kind in ("corridor", "stairwell"):
        renderer = SceneRenderer(seed=1, kind=kind)
        region = renderer.exit_region()
        assert len(region) == 4
        assert all(0 <= x < 640 and 0 <= y < 360 for x, y in region)


def test_obstacle_covers_the_stated_share_of_the_exit_region() -> None:
    rng = random.Random(3)
    for seed in range(12):
        renderer = SceneRenderer(seed=seed, style=SceneStyle.randomised(rng))
        (x0, y0), _, (x1, y1), _ = renderer.exit_region()
        for fraction in (0.05, 0.3, 0.55, 1.0):
            box = renderer.obstacle_box(fraction)
            assert box is not None
            bx0, by0, bx1, by1 = box
            assert x0 <= bx0 < bx1 <= x1 and y0 <= by0 < by1 <= y1
            share = (bx1 - bx0) * (by1 - by0) / ((x1 - x0) * (y1 - y0))
            assert abs(share - fraction) < 0.03, (seed, fraction, share)
    assert SceneRenderer(seed=1).obstacle_box(0.0) is None


def test_boxes_change_only_the_exit_region() -> None:
    renderer = SceneRenderer(seed=2)
    clear = renderer.render(0.0, SceneState(noise=0.0)).astype(int)
    blocked = renderer.render(0.0, SceneState(block_fraction=0.5, noise=0.0)).astype(int)
    changed = np.abs(clear - blocked).max(axis=2) > 0
    (x0, y0), _, (x1, y1), _ = renderer.exit_region()
    inside = changed[y0:y1, x0:x1].sum()
    assert inside > 0.4 * (x1 - x0) * (y1 - y0)
    assert changed.sum() == inside


def test_tampered_views_look_tampered() -> None:
    renderer = SceneRenderer(seed=3)
    normal = renderer.render(1.0, SceneState())
    covered = renderer.render(1.0, SceneState(covered=True))
    blurred = renderer.render(1.0, SceneState(defocus=0.8, noise=0.0))
    assert covered.mean() < 25 and normal.mean() > 80

    def sharpness(image: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())

    assert sharpness(blurred) < 0.2 * sharpness(renderer.render(1.0, SceneState(noise=0.0)))
    shifted = renderer.render(1.0, SceneState(shift_px=30, noise=0.0))
    plain = renderer.render(1.0, SceneState(noise=0.0))
    assert np.array_equal(shifted[50:300, 100:500], plain[38:288, 70:470])


def test_jpeg_snapshots_decode() -> None:
    data = SceneRenderer(seed=4).render_jpeg(0.0, SceneState(people=2), quality=70)
    assert data[:2] == b"\xff\xd8"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (360, 640, 3)
