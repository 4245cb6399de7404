"""What no change of light may pass for, and what it may not hide: a door lit anew
against a box before it, an infrared frame against a colour reference, a passer-by over
two frames, a view seen in another light against one looking elsewhere, a smear."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from adapters.video.compare import RegionComparer
from adapters.video.config import RegionConfig, TamperConfig
from adapters.video.frames import prepare, shrink
from adapters.video.obstruction import RegionWatch
from adapters.video.tamper import Likeness, is_hazed, likeness, signature

Float = npt.NDArray[np.float32]
DOOR = RegionConfig(name="exit", polygon=((116, 56), (204, 56), (204, 154), (116, 154)))


def _scene(wall: tuple[float, float, float], door: tuple[float, float, float],
           floor: tuple[float, float, float]) -> Float:
    """Reflectance-like picture (BGR): a wall with a door in a frame, a floor."""
    picture = np.zeros((180, 320, 3), np.float32)
    picture[:] = wall
    picture[150:] = floor
    picture[56:150, 116:204] = (30.0, 30.0, 30.0)  # the door's frame
    picture[60:150, 120:200] = door
    return picture


def _image(picture: Float, seed: int) -> npt.NDArray[np.uint8]:
    noise = np.random.default_rng(seed).normal(0.0, 2.0, picture.shape)
    return np.asarray(np.clip(picture + noise, 0, 255), np.uint8)


def _share(reference: Float, frames: list[Float], infrared: tuple[bool, bool] = (False, False)
           ) -> float:
    prepared = prepare(_image(reference, 0), 320)
    watch = RegionWatch(DOOR, 1.0, prepared.size, persistence_frames=4)
    comparer = RegionComparer(prepared, watch.mask, watch.see_through, 20.0, infrared[0])
    reading = None
    for number, frame in enumerate(frames, start=1):
        changed = comparer.changed(prepare(_image(frame, number), 320), 2.5, infrared[1])
        reading = watch.update(changed, comparer)
    assert reading is not None
    return reading[0]


def test_a_door_lit_anew_is_no_obstacle_but_a_box_before_it_is() -> None:
    reference = _scene((120, 120, 120), (60, 60, 60), (90, 90, 90))
    lit = _scene((120, 120, 120), (95, 95, 95), (90, 90, 90))  # a lamp over the door only
    assert _share(reference, [lit]) < 0.08
    boxed = lit.copy()
    boxed[110:150, 130:190] = (170, 170, 170)
    assert _share(reference, [boxed]) >= 0.25


def _infrared(picture: Float) -> Float:
    """The same surfaces under infrared: a mix of the channels, mostly red; grey."""
    grey = picture @ np.array([0.15, 0.3, 0.55], np.float32)
    return np.repeat(grey[..., None], 3, axis=2)


def test_an_infrared_frame_is_judged_against_a_colour_reference() -> None:
    reference = _scene((60, 110, 170), (150, 120, 40), (140, 80, 60))
    assert _share(reference, [_infrared(reference)], (False, True)) < 0.08
    boxed = reference.copy()
    boxed[110:150, 130:190] = (40, 60, 230)  # as dark as the door in colour, not under IR
    assert _share(reference, [_infrared(boxed)], (False, True)) >= 0.25
    assert _share(_infrared(reference), [boxed], (True, False)) >= 0.25


def test_a_striped_passer_by_over_two_frames_does_not_count() -> None:
    reference = _scene((120, 120, 120), (60, 60, 60), (90, 90, 90))
    frames = []
    for x in (125, 155):  # walking slowly: the two places overlap
        frame = reference.copy()
        frame[70:150, x:x + 40] = (200, 200, 200)
        for stripe in range(x, x + 40, 20):  # a striped coat
            frame[70:150, stripe:stripe + 10] = (20, 20, 20)
        frames.append(frame)
    assert _share(reference, frames) < 0.1
    boxed = reference.copy()
    boxed[100:150, 130:190] = (200, 200, 200)
    assert _share(reference, [boxed, boxed]) >= 0.3


def _view(seed: int) -> Float:
    rng = np.random.default_rng(seed)
    picture = np.full((180, 320, 3), 110.0, np.float32)
    for _ in range(40):  # notices, signs, doors: edges all over the view
        x, y = int(rng.integers(0, 300)), int(rng.integers(0, 160))
        picture[y:y + int(rng.integers(6, 30)), x:x + int(rng.integers(6, 40))] = \
            float(rng.uniform(20, 230))
    return picture


def test_edges_stay_where_they_are_in_another_light_not_in_another_view() -> None:
    picture = _view(3)
    reference = signature(prepare(_image(picture, 0), 320))
    sun = picture.copy()
    sun[:, :160] = np.minimum(255, sun[:, :160] * 1.8)  # sun on the left, shade on the right
    sun[:, 160:] *= 0.5
    relit = likeness(signature(prepare(_image(sun, 1), 320)), reference)
    elsewhere = likeness(signature(prepare(_image(np.roll(picture, 60, axis=1), 2), 320)),
                         reference)
    assert relit.edges > 0.5
    assert elsewhere.edges < 0.3


def test_a_smear_is_haze_even_with_the_darks_where_they_were() -> None:
    config = TamperConfig()
    view = signature(prepare(_image(_view(4), 0), 320))
    similar = Likeness(0.8, 0.3)
    assert is_hazed(view, view, similar, contrast=0.25, sharpness_ratio=0.7, config=config)
    # as weak for its brightness, but with edges as steep: a change of light, not a smear
    assert not is_hazed(view, view, similar, contrast=0.25, sharpness_ratio=1.2,
                        config=config)


def test_shrinking_averages() -> None:
    image = np.arange(180 * 320, dtype=np.float32).reshape(180, 320) % 97
    small = shrink(image, (80, 45))
    assert small.shape == (45, 80)
    assert np.allclose(small, image.reshape(45, 4, 80, 4).mean(axis=(1, 3)), atol=1e-3)
    assert abs(float(shrink(image, (6, 4)).mean()) - float(image.mean())) < 0.5
