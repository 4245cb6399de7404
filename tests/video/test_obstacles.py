"""Obstacles that used to be left out (a box with someone standing before it in a single
frame, a board covering the whole door), a view beyond glass that used to count on the
bars between the panes, and an obstacle measured with the rim the comparison's windows
put around it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from adapters.video.compare import RegionComparer
from adapters.video.config import RegionConfig
from adapters.video.frames import prepare
from adapters.video.obstruction import RegionWatch

Float = npt.NDArray[np.float32]


def _image(picture: Float, seed: int) -> npt.NDArray[np.uint8]:
    noise = np.random.default_rng(seed).normal(0.0, 2.0, picture.shape)
    return np.asarray(np.clip(picture + noise, 0, 255), np.uint8)


def _share(region: RegionConfig, reference: Float, frame: Float) -> float:
    prepared = prepare(_image(reference, 0), 320)
    watch = RegionWatch(region, 1.0, prepared.size, persistence_frames=4)
    comparer = RegionComparer(prepared, watch.mask, watch.see_through, 20.0, False)
    changed = comparer.changed(prepare(_image(frame, 1), 320), 2.5, False)
    reading = watch.update(changed, comparer)
    assert reading is not None
    return reading[0]


def test_a_box_with_someone_standing_before_it_counts_in_a_single_frame() -> None:
    door = RegionConfig(name="exit", polygon=((140, 90), (180, 90), (180, 150), (140, 150)))
    reference = np.full((180, 320, 3), 120.0, np.float32)
    reference[150:] = 90.0
    reference[90:150, 140:180] = 60.0
    person = reference.copy()
    person[60:170, 172:200] = (40, 90, 200)  # taller than the door, nearer than its foot
    assert _share(door, reference, person) < 0.1
    boxed = person.copy()
    boxed[120:150, 142:172] = 180.0  # the box, the passer-by's columns beside it
    assert _share(door, reference, boxed) >= 0.3


def test_a_board_over_the_whole_door_is_no_door_lit_anew() -> None:
    door = RegionConfig(name="exit", polygon=((116, 56), (204, 56), (204, 154), (116, 154)))
    reference = np.full((180, 320, 3), 120.0, np.float32)
    reference[150:] = 90.0
    reference[56:150, 116:204] = 30.0  # the door's frame
    reference[60:150, 120:200] = 60.0
    reference[70:100, 135:185] = 100.0  # a pane
    reference[110:114, 130:190] = 140.0  # the push bar
    lit = reference.copy()
    lit[60:150, 120:200] *= 1.6  # a lamp over the door: pane and bar still seen
    assert _share(door, reference, lit) < 0.08
    board = reference.copy()
    board[60:150, 120:200] = 100.0  # flat, the door's own size: its frame still seen
    assert _share(door, reference, board) >= 0.5


def test_the_view_beyond_glass_does_not_spill_onto_the_bars_between_the_panes() -> None:
    panes = (((124, 60), (156, 60), (156, 150), (124, 150)),
             ((164, 60), (196, 60), (196, 150), (164, 150)))
    door = RegionConfig(name="exit", polygon=((116, 56), (204, 56), (204, 154), (116, 154)),
                        see_through=panes)
    reference = np.full((180, 320, 3), 120.0, np.float32)
    reference[150:] = 90.0
    reference[56:154, 116:204] = 70.0  # the frame and the bar between the panes
    day, night = np.random.default_rng(5), np.random.default_rng(6)
    beyond = reference.copy()
    for picture, rng in ((reference, day), (beyond, night)):  # trees, cars beyond
        for x0, x1 in ((124, 156), (164, 196)):
            coarse = rng.uniform(20, 230, (15, 6, 1)).astype(np.float32)
            picture[60:150, x0:x1] = np.kron(coarse, np.ones((6, 6, 1), np.float32))[:, :x1 - x0]
    assert _share(door, reference, beyond) < 0.02


def test_a_box_before_a_textured_door_measures_its_own_size() -> None:
    door = RegionConfig(name="exit", polygon=((116, 56), (204, 56), (204, 154), (116, 154)))
    rng = np.random.default_rng(8)
    reference = np.full((180, 320, 3), 120.0, np.float32)
    reference[150:] = 90.0
    grain = rng.uniform(50, 110, (25, 22, 1)).astype(np.float32)  # wood grain, planks
    reference[56:156, 116:204] = np.kron(grain, np.ones((4, 4, 1), np.float32))
    boxed = reference.copy()
    boxed[106:154, 136:176] = 200.0  # flat and light: a clear outline
    true = 48 * 40 / (98 * 88)
    assert abs(_share(door, reference, boxed) - true) < 0.03
