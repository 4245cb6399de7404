"""A labelled set of exit scenes for judging the camera analytics, generated from a seed.

It is deliberately unlike the camera simulator's corridors: nine kinds of exit (corridor
ends, double halls, side exits, oblique lobbies, stair landings, outdoor gates, glass
doors, garages, open galleries), drawn as reflectance and lit by a light model (ambient
light, two ceiling lamps that can be off, sun on one wall and shade on the other, an
infrared illuminator that makes the picture grey), with a view beyond glass panes and gate
bars that changes with the time of day, auto-exposure, vibration, sensor noise and JPEG.
Occluders stand on the floor in front of the exit and cover a known share of its region;
passers-by cross it; a camera can be covered (dark tape or a lit hand/cloth), defocused,
turned away, or hazed (spray, smear).

Every scene and every frame depends only on the seed, so a figure can be reproduced.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Float = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]
Point = tuple[int, int]

WIDTH, HEIGHT = 640, 360
EXIT_KINDS = ("corridor_end", "double_hall", "side_exit", "oblique_lobby", "stair_landing",
              "outdoor_gate", "glass_door", "garage", "open_gallery")
Light = Literal["day", "night", "infrared"]
Tamper = Literal["none", "covered", "blurred", "moved", "haze"]
SEE_THROUGH_KINDS = ("outdoor_gate", "glass_door", "open_gallery")


@dataclass(frozen=True)
class Conditions:
    """The light of one moment."""

    light: Light
    lamps: tuple[bool, bool] = (True, True)
    """Left and right ceiling lamp (night and infrared: the only light besides ambient)."""
    sun: float = 0.0
    """Day only: sun on the left wall (> 0) or the right (< 0), shade on the other."""
    exposure: float = 1.0
    """Auto-exposure target against the nominal."""
    noise: float = 3.0
    jpeg_quality: int = 80

    @property
    def label(self) -> str:
        lamps = "" if all(self.lamps) else "-lamp-off"
        sun = "-sun" if abs(self.sun) > 0.2 else ""
        return f"{self.light}{lamps}{sun}"


@dataclass(frozen=True)
class Occluder:
    share: float
    """Share of the exit region hidden (the label's measure)."""
    colour: tuple[int, int, int]
    anchor: float
    """0 left .. 1 right: where along the region it stands."""
    aspect: float
    style: Literal["boxes", "cart", "panel"]


@dataclass(frozen=True)
class FrameSpec:
    """One frame of an instance."""

    t: float
    conditions: Conditions
    occluder: Occluder | None = None
    people: int = 0
    tamper: Tamper = "none"
    tamper_strength: float = 0.0
    shake: tuple[int, int] = (0, 0)


@dataclass
class ExitScene:
    """One camera's exit: its drawing, its region and the see-through parts of it."""

    kind: str
    seed: int
    albedo: Float
    """Reflectance, BGR 0..1."""
    infrared_albedo: Float
    """Reflectance under infrared, 0..1."""
    surface: npt.NDArray[np.uint8]
    """0 ceiling, 1 floor, 2 left wall, 3 right wall, 4 end wall, 5 door."""
    see_through: Mask
    """Pixels showing what lies beyond the exit (glass, between bars, an opening)."""
    region: tuple[Point, ...]
    see_through_polygons: tuple[tuple[Point, ...], ...]
    region_mask: Mask = field(init=False)
    beyond_phase: float = 0.0

    def __post_init__(self) -> None:
        self.region_mask = polygon_mask(self.region)


def polygon_mask(polygon: tuple[Point, ...]) -> Mask:
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.fillPoly(mask, [np.array(polygon, np.int32)], 1)
    return mask.astype(bool)


# -- building a scene ------------------------------------------------------------------


def build_scene(kind: str, seed: int) -> ExitScene:
    rng = random.Random(seed)
    h, w = HEIGHT, WIDTH
    albedo = np.zeros((h, w, 3), np.float32)
    surface = np.zeros((h, w), np.uint8)

    def colour(low: float, high: float) -> tuple[float, float, float]:
        base = rng.uniform(low, high)
        return (base * rng.uniform(0.85, 1.15), base * rng.uniform(0.9, 1.1),
                base * rng.uniform(0.85, 1.15))

    def fill(points: list[tuple[float, float]], value: tuple[float, float, float],
             surface_id: int | None = None) -> None:
        pts = [np.round(np.array(points, np.float32)).astype(np.int32)]
        cv2.fillPoly(albedo, pts, value)
        if surface_id is not None:
            cv2.fillPoly(surface, pts, surface_id)

    outdoor = kind in ("outdoor_gate", "open_gallery")
    ex0, ey0 = rng.uniform(0.22, 0.36) * w, rng.uniform(0.12, 0.26) * h
    ex1, ey1 = ex0 + rng.uniform(0.3, 0.46) * w, ey0 + rng.uniform(0.5, 0.62) * h
    fill([(0, 0), (w, 0), (ex1, ey0), (ex0, ey0)], colour(0.55, 0.9), 0)
    fill([(0, h), (w, h), (ex1, ey1), (ex0, ey1)], colour(0.2, 0.5), 1)
    fill([(0, 0), (ex0, ey0), (ex0, ey1), (0, h)], colour(0.45, 0.85), 2)
    fill([(w, 0), (ex1, ey0), (ex1, ey1), (w, h)], colour(0.45, 0.85), 3)
    fill([(ex0, ey0), (ex1, ey0), (ex1, ey1), (ex0, ey1)], colour(0.4, 0.85), 4)
    _floor_pattern(albedo, rng, (ex0, ey1, ex1), kind)
    _wall_texture(albedo, rng)

    door_colour = colour(0.25, 0.7)
    if kind == "side_exit":
        side = rng.choice((0, 1))
        d0, d1 = rng.uniform(0.25, 0.45), 0.0
        d1 = d0 + rng.uniform(0.22, 0.32)

        def at(depth: float, up: float) -> tuple[float, float]:
            x_wall = ex0 * depth if side == 0 else w + (ex1 - w) * depth
            floor_y = h + (ey1 - h) * depth
            top_y = ey0 * depth
            return (x_wall, floor_y + (top_y - floor_y) * up)

        quad = [at(d0, 0.62), at(d1, 0.62), at(d1, 0.0), at(d0, 0.0)]
    else:
        width_share = {"double_hall": (0.55, 0.8), "garage": (0.55, 0.85),
                       "open_gallery": (0.6, 0.9), "outdoor_gate": (0.55, 0.85)}.get(
            kind, (0.28, 0.45))
        dw = (ex1 - ex0) * rng.uniform(*width_share)
        dx0 = ex0 + rng.uniform(0.05, 0.95) * ((ex1 - ex0) - dw)
        top = ey0 + (ey1 - ey0) * rng.uniform(0.12, 0.3)
        skew = rng.uniform(-0.12, 0.12) * dw if kind == "oblique_lobby" else 0.0
        quad = [(dx0 + skew, top), (dx0 + dw + skew, top + 0.8 * skew),
                (dx0 + dw, ey1), (dx0, ey1)]
    frame = colour(0.1, 0.4)
    pad = 4
    framed = [(quad[0][0] - pad, quad[0][1] - pad), (quad[1][0] + pad, quad[1][1] - pad),
              (quad[2][0] + pad, quad[2][1]), (quad[3][0] - pad, quad[3][1])]
    fill(framed, frame, 5)
    fill(quad, door_colour, 5)
    see_through_polygons: list[tuple[Point, ...]] = []
    _door_detail(albedo, rng, kind, quad, door_colour, see_through_polygons)
    if kind == "stair_landing":
        _stairs(albedo, rng, (ex0, ey0, ex1, ey1), quad)
    if outdoor:
        albedo[surface == 0] = (0.0, 0.0, 0.0)  # no ceiling outdoors: sky, drawn as beyond
    sign_y = min(framed[0][1], framed[1][1]) - 6
    cx = (quad[0][0] + quad[1][0]) / 2
    cv2.rectangle(albedo, (round(cx - 22), round(sign_y - 12)), (round(cx + 22), round(sign_y)),
                  (0.1, 0.7, 0.1), -1)

    see_through = np.zeros((h, w), bool)
    for polygon in see_through_polygons:
        see_through |= polygon_mask(polygon)
    if outdoor:
        see_through |= surface == 0
    region = _region(quad, rng)
    infrared = _infrared(albedo, rng)
    return ExitScene(kind, seed, albedo, infrared, surface, see_through, region,
                     tuple(see_through_polygons), beyond_phase=rng.uniform(0, 6.28))


def _region(quad: list[tuple[float, float]], rng: random.Random) -> tuple[Point, ...]:
    """The door and the floor just in front of it."""
    grow_x, drop = rng.uniform(3, 8), rng.uniform(8, 18)
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    points = [(x0 - grow_x, y0 - 3), (x1 + grow_x, y1 - 3),
              (x2 + grow_x, min(HEIGHT - 1, y2 + drop)), (x3 - grow_x, min(HEIGHT - 1, y3 + drop))]
    return tuple((max(0, min(WIDTH - 1, round(x))), max(0, min(HEIGHT - 1, round(y))))
                 for x, y in points)


def _lerp(a: tuple[float, float], b: tuple[float, float], s: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s)


def _sub_quad(quad: list[tuple[float, float]], u0: float, u1: float, v0: float,
              v1: float) -> list[tuple[float, float]]:
    """Part of a door quad: u across (left to right), v down (top to bottom)."""
    tl, tr, br, bl = quad

    def point(u: float, v: float) -> tuple[float, float]:
        return _lerp(_lerp(tl, tr, u), _lerp(bl, br, u), v)

    return [point(u0, v0), point(u1, v0), point(u1, v1), point(u0, v1)]


def _as_points(quad: list[tuple[float, float]]) -> tuple[Point, ...]:
    return tuple((round(x), round(y)) for x, y in quad)


def _door_detail(albedo: Float, rng: random.Random, kind: str, quad: list[tuple[float, float]],
                 door: tuple[float, float, float], see_through: list[tuple[Point, ...]]) -> None:
    dark = tuple(c * 0.55 for c in door)
    light = tuple(min(1.0, c * 1.3 + 0.05) for c in door)

    def poly(points: list[tuple[float, float]], value: tuple[float, ...]) -> None:
        cv2.fillPoly(albedo, [np.round(np.array(points)).astype(np.int32)], value)

    def line(a: tuple[float, float], b: tuple[float, float], value: tuple[float, ...],
             thickness: int = 2) -> None:
        cv2.line(albedo, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), value, thickness)

    if kind in ("corridor_end", "side_exit", "oblique_lobby", "stair_landing", "double_hall"):
        leaves = 2 if kind == "double_hall" or rng.random() < 0.4 else 1
        for i in range(1, leaves):
            top = _sub_quad(quad, i / leaves, i / leaves, 0, 1)[0]
            line(top, _sub_quad(quad, i / leaves, i / leaves, 1, 1)[0], dark)
        bar = _sub_quad(quad, 0.08, 0.92, 0.5, 0.54)
        poly(bar, (0.7, 0.7, 0.72))
        if rng.random() < 0.5:
            for u in [(i + 0.2) / leaves for i in range(leaves)]:
                poly(_sub_quad(quad, u, u + 0.6 / leaves, 0.1, 0.3), light)
    elif kind == "glass_door":
        leaves = rng.choice((1, 2))
        for i in range(leaves):
            u0, u1 = i / leaves + 0.12 / leaves, (i + 1) / leaves - 0.12 / leaves
            pane = _sub_quad(quad, u0, u1, 0.06, rng.uniform(0.62, 0.8))
            see_through.append(_as_points(pane))
        bar = _sub_quad(quad, 0.05, 0.95, 0.84, 0.88)
        poly(bar, (0.75, 0.75, 0.78))
    elif kind == "outdoor_gate":
        bars = rng.randint(7, 14)
        see_through.append(_as_points(_sub_quad(quad, 0.0, 1.0, 0.0, 0.94)))
        for i in range(bars + 1):
            u = i / bars
            line(_sub_quad(quad, u, u, 0.0, 0.0)[0], _sub_quad(quad, u, u, 0.94, 0.94)[0], dark, 3)
        line(_sub_quad(quad, 0, 0, 0.1, 0.1)[0], _sub_quad(quad, 1, 1, 0.1, 0.1)[0], dark, 3)
        line(_sub_quad(quad, 0, 0, 0.9, 0.9)[0], _sub_quad(quad, 1, 1, 0.9, 0.9)[0], dark, 3)
    elif kind == "garage":
        slats = rng.randint(10, 20)
        for i in range(1, slats):
            a, b = _sub_quad(quad, 0, 1, i / slats, i / slats)[:2]
            line(a, b, dark, 1)
    elif kind == "open_gallery":
        see_through.append(_as_points(_sub_quad(quad, 0.0, 1.0, 0.0, 0.7)))
        rail = _sub_quad(quad, 0.0, 1.0, 0.7, 0.74)
        poly(rail, (0.3, 0.3, 0.32))
        for u in np.linspace(0, 1, rng.randint(5, 9)):
            line(_sub_quad(quad, u, u, 0.74, 0.74)[0], _sub_quad(quad, u, u, 1, 1)[0], dark, 2)


def _floor_pattern(albedo: Float, rng: random.Random, far: tuple[float, float, float],
                   kind: str) -> None:
    ex0, ey1, ex1 = far
    shade = tuple(float(c) * 0.8 for c in albedo[HEIGHT - 2, WIDTH // 2])
    for i in range(1, rng.randint(3, 9)):
        s = i / 9
        cv2.line(albedo, (round(WIDTH * s), HEIGHT), (round(ex0 + (ex1 - ex0) * s), round(ey1)),
                 shade, 1)
    if kind == "garage":
        for s in (0.35, 0.65):
            cv2.line(albedo, (round(WIDTH * s), HEIGHT), (round(ex0 + (ex1 - ex0) * s), round(ey1)),
                     (0.1, 0.7, 0.8), 3)


def _wall_texture(albedo: Float, rng: random.Random) -> None:
    texture = np.random.default_rng(rng.randrange(2**32)).normal(1.0, 0.04, (HEIGHT // 4,
                                                                                 WIDTH // 4))
    smooth = cv2.resize(texture.astype(np.float32), (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
    albedo *= smooth[..., None]
    for _ in range(rng.randint(2, 6)):  # notices, sockets, signs
        x, y = rng.randint(10, WIDTH - 40), rng.randint(10, HEIGHT - 60)
        cv2.rectangle(albedo, (x, y), (x + rng.randint(8, 30), y + rng.randint(8, 40)),
                      (rng.random(), rng.random(), rng.random()), -1)


def _stairs(albedo: Float, rng: random.Random, wall: tuple[float, float, float, float],
            quad: list[tuple[float, float]]) -> None:
    ey1 = wall[3]
    left = rng.random() < 0.5
    x_door = quad[0][0] if not left else quad[1][0]
    for i in range(8):
        y = HEIGHT - i * (HEIGHT - ey1) / 8
        x0 = 0 if left else max(x_door + 10, WIDTH * 0.6)
        x1 = min(x_door - 10, WIDTH * 0.4) if left else WIDTH
        shade = 0.35 + 0.25 * (i % 2)
        cv2.rectangle(albedo, (round(x0), round(y - 9)), (round(x1), round(y)),
                      (shade, shade, shade * 1.05), -1)


def _infrared(albedo: Float, rng: random.Random) -> Float:
    """Reflectance under near-infrared: mostly the red channel, materials on their own."""
    weights = np.array([rng.uniform(0.05, 0.2), rng.uniform(0.2, 0.35), 0.0], np.float32)
    weights[2] = 1.0 - weights[0] - weights[1]
    grey = albedo @ weights
    return np.asarray(np.clip(grey * rng.uniform(0.9, 1.1), 0, 1), np.float32)


# -- lighting and rendering ---------------------------------------------------------------


def _beyond(scene: ExitScene, conditions: Conditions, t: float) -> Float:
    """What lies beyond the exit: sky, trees and buildings by day; dark with a few
    lights at night. It changes with the time of day (and a little with `t`)."""
    rng = np.random.default_rng(scene.seed)
    h, w = HEIGHT, WIDTH
    ys = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    if conditions.light == "day":
        sky = np.stack([np.full((h, w), 230.0, np.float32) - 60 * ys,
                        np.full((h, w), 200.0, np.float32) - 40 * ys,
                        np.full((h, w), 160.0, np.float32) - 30 * ys], axis=2)
    else:
        level = 12.0 if conditions.light == "night" else 8.0
        sky = np.full((h, w, 3), level, np.float32)
    for _ in range(12):  # buildings and trees at a distance
        x = int(rng.integers(0, w))
        bw, top = int(rng.integers(20, 90)), int(rng.integers(h // 5, h // 2))
        tone = float(rng.uniform(50, 140)) if conditions.light == "day" else float(
            rng.uniform(5, 25))
        cv2.rectangle(sky, (x, top), (x + bw, h), (tone, tone * 1.05, tone * 0.95), -1)
        if conditions.light != "day":
            for _ in range(3):
                lx, ly = int(rng.integers(x, x + bw)), int(rng.integers(top, h))
                cv2.rectangle(sky, (lx, ly), (lx + 4, ly + 4), (120, 200, 230), -1)
    cloud = 1.0 + 0.08 * math.sin(t / 37.0 + scene.beyond_phase)
    return sky * np.float32(cloud)


def _illumination(scene: ExitScene, conditions: Conditions) -> Float:
    h, w = HEIGHT, WIDTH
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    if conditions.light == "infrared":
        r2 = ((xs - w / 2) / (w * 0.55)) ** 2 + ((ys - h * 0.55) / (h * 0.7)) ** 2
        return np.asarray(0.25 + 0.9 * np.exp(-r2), np.float32)
    ambient = 0.95 if conditions.light == "day" else 0.12
    light = np.full((h, w), ambient, np.float32)
    for on, cx in zip(conditions.lamps, (0.3 * w, 0.7 * w), strict=True):
        if on:
            strength = 0.35 if conditions.light == "day" else 0.95
            r2 = ((xs - cx) / (w * 0.35)) ** 2 + ((ys - h * 0.15) / (h * 0.8)) ** 2
            light += strength * np.exp(-r2)
    if conditions.light == "day" and conditions.sun:
        sunny, shaded = (2, 3) if conditions.sun > 0 else (3, 2)
        light[scene.surface == sunny] *= 1.0 + 1.2 * abs(conditions.sun)
        light[scene.surface == shaded] *= 1.0 - 0.45 * abs(conditions.sun)
        floor = scene.surface == 1
        light[floor] *= (1.0 + 0.5 * abs(conditions.sun) * np.sign(conditions.sun)
                         * (0.5 - xs[floor] / w))
    return light


def _occluder_mask(scene: ExitScene, occluder: Occluder) -> Mask:
    """A floor-standing shape in the region covering `occluder.share` of it."""
    region = scene.region_mask
    ys, xs = np.nonzero(region)
    x0, x1, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.max()) + 1
    y0 = int(ys.min())
    area = int(region.sum())
    width_share = min(1.0, max(0.15, math.sqrt(occluder.share) / max(0.4, occluder.aspect)))
    if occluder.share > 0.75:
        width_share = 1.0
    target = occluder.share * area
    while True:
        bw = max(2, round((x1 - x0) * width_share))
        left = x0 + round(((x1 - x0) - bw) * occluder.anchor)
        columns = region[:, left:left + bw]
        per_row = columns.sum(axis=1)[::-1]  # from the bottom up
        cumulative = np.cumsum(per_row[: y1][::1][len(per_row) - y1:])
        if cumulative[-1] >= target or width_share >= 1.0:
            break
        width_share = min(1.0, width_share * 1.15)
    rows = int(np.searchsorted(cumulative, target)) + 1
    mask = np.zeros_like(region)
    mask[max(y0, y1 - rows):y1, left:left + bw] = True
    return mask & region


def _draw_occluder(radiance_albedo: Float, ir_albedo: Float, mask: Mask,
                   occluder: Occluder, seed: int) -> None:
    rng = random.Random(seed)
    colour = np.array(occluder.colour, np.float32) / 255
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    part = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
    part[:] = colour
    if occluder.style == "boxes":
        bh, bw = rng.randint(12, 26), rng.randint(14, 32)
        for by in range(y1, y0, -bh):
            for bx in range(x0, x1, bw):
                shade = colour * rng.uniform(0.85, 1.12)
                top, right = max(y0, by - bh), min(x1, bx + bw)
                cv2.rectangle(part, (bx - x0, top - y0), (right - x0 - 1, by - y0 - 1),
                              shade.tolist(), -1)
                cv2.rectangle(part, (bx - x0, top - y0), (right - x0 - 1, by - y0 - 1),
                              (shade * 0.75).tolist(), 1)
    elif occluder.style == "cart":
        for i in range(1, 4):
            y = (y1 - y0) * i // 4
            cv2.line(part, (0, y), (x1 - x0, y), (colour * 0.6).tolist(), 2)
    else:  # a board leaning, flat with a faint gradient
        part *= np.linspace(0.92, 1.05, y1 - y0, dtype=np.float32)[:, None, None]
    inside = mask[y0:y1, x0:x1]
    radiance_albedo[y0:y1, x0:x1][inside] = part[inside]
    ir_weights = np.array([0.15, 0.3, 0.55], np.float32)
    ir_albedo[y0:y1, x0:x1][inside] = (part @ ir_weights)[inside]


def _draw_people(albedo: Float, ir_albedo: Float, scene: ExitScene, t: float,
                 count: int) -> None:
    rng = random.Random(scene.seed * 31 + 7)
    region_ys = np.nonzero(scene.region_mask)[0]
    floor_y = int(region_ys.max())
    for index in range(count):
        person = random.Random(scene.seed * 101 + index)
        height = person.uniform(0.9, 1.3) * (floor_y - int(region_ys.min()))
        body = height * 0.28
        speed = person.uniform(60, 110) * person.choice((-1, 1))  # px a second
        span = WIDTH + 2 * body
        x = (person.uniform(0, span) + speed * t) % span - body
        depth_y = floor_y + person.uniform(-5, 40)
        shirt = (person.random(), person.random(), person.random())
        trousers = (person.uniform(0, 0.4),) * 3
        x0, x1 = round(x - body / 2), round(x + body / 2)
        cv2.rectangle(albedo, (x0, round(depth_y - height * 0.5)), (x1, round(depth_y)),
                      trousers, -1)
        cv2.rectangle(albedo, (x0, round(depth_y - height * 0.85)),
                      (x1, round(depth_y - height * 0.5)), shirt, -1)
        cv2.circle(albedo, (round(x), round(depth_y - height * 0.93)), max(2, round(body * 0.3)),
                   (0.45, 0.6, 0.8), -1)
        for layer, value in ((ir_albedo, None),):
            del value
            cv2.rectangle(layer, (x0, round(depth_y - height * 0.85)), (x1, round(depth_y)),
                          float(person.uniform(0.2, 0.8)), -1)
    del rng


def render(scene: ExitScene, spec: FrameSpec) -> Image:
    """One frame, BGR uint8, deterministic for the scene and the spec."""
    conditions = spec.conditions
    albedo = scene.albedo.copy()
    ir_albedo = scene.infrared_albedo.copy()
    occluded = np.zeros((HEIGHT, WIDTH), bool)
    if spec.occluder is not None and spec.occluder.share > 0:
        occluded = _occluder_mask(scene, spec.occluder)
        _draw_occluder(albedo, ir_albedo, occluded, spec.occluder, scene.seed)
    people_before = albedo.copy()
    _draw_people(albedo, ir_albedo, scene, spec.t, spec.people)
    in_front = np.any(albedo != people_before, axis=2) | occluded
    light = _illumination(scene, conditions)
    if conditions.light == "infrared":
        grey = ir_albedo * light * 200.0
        beyond = _beyond(scene, conditions, spec.t).mean(axis=2) * 0.6
        grey = np.where(scene.see_through & ~in_front, beyond, grey)
        frame = np.repeat(grey[..., None], 3, axis=2) * np.array([1.0, 1.0, 1.02], np.float32)
    else:
        frame = albedo * light[..., None] * 210.0
        tint = (1.0, 1.0, 1.0) if conditions.light == "day" else (0.75, 0.95, 1.15)
        frame *= np.array(tint, np.float32)
        beyond = _beyond(scene, conditions, spec.t)
        frame = np.where((scene.see_through & ~in_front)[..., None], beyond, frame)
    frame = np.asarray(frame, np.float32)
    median = float(np.median(frame))
    target = (120.0 if conditions.light != "night" else 70.0) * conditions.exposure
    frame *= np.float32(min(4.0, target / max(median, 1.0)))
    frame = _tamper(frame, spec, scene.seed)
    if spec.shake != (0, 0):
        move = np.array([[1, 0, spec.shake[0]], [0, 1, spec.shake[1]]], np.float32)
        frame = np.asarray(cv2.warpAffine(frame, move, (WIDTH, HEIGHT),
                                          borderMode=cv2.BORDER_REFLECT), np.float32)
    noise_rng = np.random.default_rng([scene.seed, round(spec.t * 1000) & 0xFFFFFFFF])
    if conditions.noise > 0:
        frame += noise_rng.standard_normal(frame.shape, dtype=np.float32) * conditions.noise
    if conditions.light == "infrared":  # one grey, a faint tint: near-zero saturation
        frame[..., :] = frame.mean(axis=2, keepdims=True)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _tamper(frame: Float, spec: FrameSpec, seed: int) -> Float:
    s = spec.tamper_strength
    if spec.tamper == "blurred":
        return np.asarray(cv2.GaussianBlur(frame, (0, 0), 2.5 + 5 * s), np.float32)
    if spec.tamper == "moved":
        angle = 4.0 * s if seed % 3 == 0 else 0.0
        dx = (25 + 70 * s) * (1 if seed % 2 else -1)
        matrix = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), angle, 1.0)
        matrix[0, 2] += dx
        matrix[1, 2] += dx * 0.3
        return np.asarray(cv2.warpAffine(frame, matrix, (WIDTH, HEIGHT),
                                         borderMode=cv2.BORDER_REFLECT), np.float32)
    if spec.tamper == "haze":
        veil_level = 170 + 60 * (seed % 5) / 4
        smear = cv2.GaussianBlur(frame, (0, 0), 1.0 + 2.0 * s)
        rng = np.random.default_rng(seed)
        cover = cv2.resize(rng.uniform(0.6, 1.0, (4, 6)).astype(np.float32), (WIDTH, HEIGHT),
                           interpolation=cv2.INTER_CUBIC)
        t = (1 - (0.5 + 0.35 * s) * np.clip(cover, 0, 1))[..., None]
        return np.asarray(smear * t + veil_level * (1 - t), np.float32)
    if spec.tamper == "covered":
        rng = np.random.default_rng(seed)
        ys = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
        xs = np.linspace(0, 1, WIDTH, dtype=np.float32)[None, :, None]
        if seed % 2:  # a lit hand or cloth close to the lens
            base = np.array(rng.uniform(90, 200, 3), np.float32)
            shade = 0.75 + 0.35 * ys + 0.15 * xs
            cloth = cv2.resize(rng.normal(1, 0.03, (9, 16)).astype(np.float32), (WIDTH, HEIGHT),
                               interpolation=cv2.INTER_CUBIC)
            return np.asarray(base * shade * cloth[..., None], np.float32)
        level = float(rng.uniform(4, 18))
        return np.broadcast_to(level * (0.8 + 0.4 * ys), frame.shape).astype(np.float32)
    return frame


def encode(image: Image, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return bytes(data.tobytes())


def occluded_share(scene: ExitScene, occluder: Occluder | None) -> float:
    """The label: share of the region the occluder hides."""
    if occluder is None or occluder.share <= 0:
        return 0.0
    mask = _occluder_mask(scene, occluder)
    return float((mask & scene.region_mask).sum()) / float(scene.region_mask.sum())


# -- drawing instances ----------------------------------------------------------------------


def random_conditions(rng: random.Random, light: Light | None = None) -> Conditions:
    choices: tuple[Light, ...] = ("day", "day", "night", "infrared")
    chosen: Light = light if light is not None else rng.choice(choices)
    lamps = (True, True)
    if chosen != "day" and rng.random() < 0.3:
        lamps = (True, False) if rng.random() < 0.5 else (False, True)
    elif chosen == "day" and rng.random() < 0.2:
        lamps = (False, False)
    sun = rng.uniform(0.3, 1.0) * rng.choice((-1, 1)) if chosen == "day" and \
        rng.random() < 0.4 else 0.0
    noise = {"day": rng.uniform(1, 5), "night": rng.uniform(3, 10),
             "infrared": rng.uniform(2, 8)}[chosen]
    return Conditions(chosen, lamps, sun, rng.uniform(0.75, 1.25), noise,
                      rng.randint(55, 90))


def random_occluder(rng: random.Random, share: float, scene: ExitScene) -> Occluder:
    styles: tuple[Literal["boxes", "cart", "panel"], ...] = ("boxes", "boxes", "cart", "panel")
    style = rng.choice(styles)
    door = scene.albedo[scene.region_mask].mean(axis=0) * 255
    if rng.random() < 0.35:  # close to the door's own grey: hard under infrared
        colour = tuple(int(np.clip(c * rng.uniform(0.7, 1.3), 10, 245)) for c in door)
    else:
        colour = (rng.randint(30, 220), rng.randint(30, 220), rng.randint(30, 220))
    return Occluder(share, (int(colour[0]), int(colour[1]), int(colour[2])),
                    rng.random(), rng.uniform(0.6, 2.0), style)


def with_conditions(spec: FrameSpec, conditions: Conditions) -> FrameSpec:
    return replace(spec, conditions=conditions)
