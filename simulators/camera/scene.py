"""Rendered camera scenes: a corridor or stairwell with an emergency exit (安全出口).

The scene is drawn in perspective: side walls, floor and ceiling run towards an end
wall that holds the exit door with its green exit sign above. What a camera sees is
controlled by a `SceneState`: boxes or a cart blocking part of the exit, passers-by
walking across, drifting light, sensor noise, and the ways a camera is tampered with
(lens covered, defocused, view shifted). A frame depends only on the renderer's seed,
its style, the time `t` and the state, so tests and benchmarks can replay it exactly.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Colour = tuple[int, int, int]
Point = tuple[int, int]
SceneKind = Literal["corridor", "stairwell"]

_CORRIDOR_WIDTH_M = 2.4


@dataclass
class SceneState:
    """What is going on in front of the camera right now."""

    block_fraction: float = 0.0
    """Share (0..1) of the exit region hidden by boxes or a cart."""
    covered: bool = False
    """Lens covered (tape, a hand, a bag)."""
    defocus: float = 0.0
    """0 sharp .. 1 badly out of focus."""
    shift_px: int = 0
    """How far the camera was turned away from its installed view, in pixels."""
    people: int = 0
    """Number of passers-by walking across."""
    lighting: float = 1.0
    """Light level multiplier; the renderer adds a slow drift on top."""
    noise: float = 3.0
    """Sensor noise standard deviation, in grey levels."""


@dataclass(frozen=True)
class SceneStyle:
    """Geometry (fractions of the frame) and colours (BGR) of a scene."""

    kind: SceneKind = "corridor"
    end_wall: tuple[float, float, float, float] = (0.34, 0.22, 0.66, 0.76)
    """Left, top, right, bottom of the end wall; its bottom is the floor line."""
    door: tuple[float, float, float] = (0.43, 0.57, 0.34)
    """Left, right and top of the exit door."""
    wall: Colour = (188, 196, 200)
    end_wall_colour: Colour = (170, 180, 186)
    floor: Colour = (110, 118, 126)
    ceiling: Colour = (214, 216, 218)
    door_colour: Colour = (96, 120, 104)
    frame_colour: Colour = (70, 74, 78)
    obstacle_kind: Literal["boxes", "cart"] = "boxes"
    obstacle_colour: Colour = (84, 132, 178)
    obstacle_anchor: Literal["left", "centre", "right"] = "left"
    obstacle_aspect: float = 1.3
    """Height-to-width tendency of the obstacle: high values stack boxes tall."""
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    """Colour cast of the light, per BGR channel."""
    drift_amplitude: float = 0.05
    drift_period_s: float = 240.0
    floor_lines: int = 7
    side_doors: int = 2

    @staticmethod
    def default(kind: SceneKind = "corridor") -> SceneStyle:
        return SceneStyle(kind=kind)

    @staticmethod
    def randomised(rng: random.Random, kind: SceneKind | None = None) -> SceneStyle:
        """A different building: other geometry, colours, obstacle and light."""
        left = rng.uniform(0.26, 0.42)
        right = left + rng.uniform(0.24, 0.38)
        top = rng.uniform(0.15, 0.3)
        bottom = top + rng.uniform(0.48, 0.6)
        width = right - left
        door_width = width * rng.uniform(0.3, 0.45)
        door_left = left + rng.uniform(0.08, 0.92 - door_width / width) * width
        door_top = top + (bottom - top) * rng.uniform(0.18, 0.3)

        def colour(low: int, high: int) -> Colour:
            return (rng.randint(low, high), rng.randint(low, high), rng.randint(low, high))

        cardboard = (rng.randint(60, 100), rng.randint(110, 150), rng.randint(150, 200))
        cart = colour(40, 200)
        kind_chosen: SceneKind = kind if kind is not None else \
            ("corridor" if rng.random() < 0.5 else "stairwell")
        return SceneStyle(
            kind=kind_chosen,
            end_wall=(left, top, right, bottom),
            door=(door_left, door_left + door_width, door_top),
            wall=colour(120, 225), end_wall_colour=colour(110, 215), floor=colour(50, 160),
            ceiling=colour(170, 235), door_colour=colour(40, 200), frame_colour=colour(30, 110),
            obstacle_kind=rng.choice(("boxes", "cart")),
            obstacle_colour=cardboard if rng.random() < 0.7 else cart,
            obstacle_anchor=rng.choice(("left", "centre", "right")),
            obstacle_aspect=rng.uniform(0.7, 2.0),
            tint=(rng.uniform(0.85, 1.1), rng.uniform(0.9, 1.05), rng.uniform(0.85, 1.15)),
            drift_amplitude=rng.uniform(0.02, 0.12), drift_period_s=rng.uniform(60, 600),
            floor_lines=rng.randint(4, 10), side_doors=rng.randint(0, 3),
        )


@dataclass(frozen=True)
class _Walker:
    depth: float
    speed_mps: float
    phase: float
    direction: int
    shirt: Colour
    trousers: Colour
    skin: Colour


@dataclass
class _Geometry:
    width: int
    height: int
    end_wall: tuple[int, int, int, int]
    door: tuple[int, int, int, int]
    region: tuple[int, int, int, int]
    walkers: list[_Walker] = field(default_factory=list)


class SceneRenderer:
    """Renders one camera's view; deterministic for a seed, a time and a state."""

    def __init__(self, seed: int, width: int = 640, height: int = 360,
                 kind: str = "corridor", style: SceneStyle | None = None) -> None:
        if kind not in ("corridor", "stairwell"):
            raise ValueError(f"unknown scene kind {kind!r}")
        self.seed = seed
        self.width = width
        self.height = height
        self.style = style or SceneStyle.default("stairwell" if kind == "stairwell"
                                                 else "corridor")
        self._rng = random.Random(seed)
        self._geometry = self._layout()
        self._background = self._draw_background()
        self._drift_phase = self._rng.uniform(0, 2 * math.pi)

    def exit_region(self) -> list[tuple[int, int]]:
        """The exit region (door and the floor just in front of it), clockwise."""
        x0, y0, x1, y1 = self._geometry.region
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]

    def obstacle_box(self, block_fraction: float) -> tuple[int, int, int, int] | None:
        """Pixel box (x0, y0, x1, y1, exclusive ends) the obstacle covers, or None."""
        fraction = min(1.0, max(0.0, block_fraction))
        if fraction <= 0:
            return None
        x0, y0, x1, y1 = self._geometry.region
        region_w, region_h = x1 - x0, y1 - y0
        h_frac = min(1.0, max(fraction, math.sqrt(fraction) * self.style.obstacle_aspect))
        w_frac = fraction / h_frac
        h_px = max(1, round(h_frac * region_h))
        w_px = max(1, min(region_w, round(fraction * region_w * region_h / h_px)))
        if w_frac >= 1.0:
            w_px = region_w
        anchor = self.style.obstacle_anchor
        left = x0 if anchor == "left" else x1 - w_px if anchor == "right" else \
            x0 + (region_w - w_px) // 2
        return left, y1 - h_px, left + w_px, y1

    def render(self, t: float, state: SceneState) -> Image:
        """The frame at time `t` (seconds), BGR uint8."""
        noise_rng = np.random.default_rng([self.seed & 0xFFFFFFFF,
                                           round(t * 1000) & 0xFFFFFFFF])
        if state.covered:
            frame = self._covered_frame(noise_rng)
        else:
            canvas = self._background.copy()
            self._draw_obstacle(canvas, state.block_fraction)
            self._draw_people(canvas, t, state.people)
            frame = canvas.astype(np.float32)
            frame *= self._gain(t, state.lighting)
            if state.defocus > 0:
                sigma = 0.3 + 7.0 * min(1.0, state.defocus)
                frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), sigma), dtype=np.float32)
            if state.shift_px:
                shift = np.array([[1, 0, state.shift_px], [0, 1, state.shift_px * 0.4]],
                                 dtype=np.float32)
                frame = np.asarray(cv2.warpAffine(frame, shift, (self.width, self.height),
                                                  borderMode=cv2.BORDER_REFLECT),
                                   dtype=np.float32)
        if state.noise > 0:
            frame += noise_rng.standard_normal(frame.shape, dtype=np.float32) * state.noise
        return np.clip(frame, 0, 255).astype(np.uint8)

    def render_jpeg(self, t: float, state: SceneState, quality: int = 80) -> bytes:
        ok, encoded = cv2.imencode(".jpg", self.render(t, state),
                                   [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        return bytes(encoded.tobytes())

    # -- layout -----------------------------------------------------------------

    def _layout(self) -> _Geometry:
        w, h = self.width, self.height
        ex0, ey0, ex1, ey1 = self.style.end_wall
        end_wall = (round(ex0 * w), round(ey0 * h), round(ex1 * w), round(ey1 * h))
        dx0, dx1, dy0 = self.style.door
        door = (round(dx0 * w), round(dy0 * h), round(dx1 * w), end_wall[3])
        margin_x = max(2, round(0.012 * w))
        region = (door[0] - margin_x, door[1] - round(0.015 * h),
                  door[2] + margin_x, min(h - 1, door[3] + round(0.04 * h)))
        walkers = [self._walker() for _ in range(16)]
        return _Geometry(w, h, end_wall, door, region, walkers)

    def _walker(self) -> _Walker:
        rng = self._rng
        shirt = (rng.randint(20, 230), rng.randint(20, 230), rng.randint(20, 230))
        trousers = (rng.randint(20, 120), rng.randint(20, 110), rng.randint(20, 110))
        skin = (rng.randint(90, 150), rng.randint(130, 180), rng.randint(170, 225))
        return _Walker(depth=rng.uniform(0.45, 0.97), speed_mps=rng.uniform(1.0, 1.6),
                       phase=rng.uniform(0, 1000), direction=rng.choice((-1, 1)),
                       shirt=shirt, trousers=trousers, skin=skin)

    def _at_depth(self, depth: float) -> tuple[float, float, float, float]:
        """Left wall x, right wall x, floor y and ceiling y at a depth (0 near, 1 end wall)."""
        ex0, ey0, ex1, ey1 = self._geometry.end_wall
        return (ex0 * depth, self.width + (ex1 - self.width) * depth,
                self.height + (ey1 - self.height) * depth, ey0 * depth)

    # -- drawing ----------------------------------------------------------------

    def _draw_background(self) -> Image:
        g, s = self._geometry, self.style
        w, h = g.width, g.height
        ex0, ey0, ex1, ey1 = g.end_wall
        img = np.zeros((h, w, 3), np.uint8)
        _poly(img, [(0, 0), (w, 0), (ex1, ey0), (ex0, ey0)], s.ceiling)
        _poly(img, [(0, h), (w, h), (ex1, ey1), (ex0, ey1)], s.floor)
        _poly(img, [(0, 0), (ex0, ey0), (ex0, ey1), (0, h)], s.wall)
        _poly(img, [(w, 0), (ex1, ey0), (ex1, ey1), (w, h)], _shade(s.wall, 0.88))
        cv2.rectangle(img, (ex0, ey0), (ex1, ey1), s.end_wall_colour, -1)
        for i in range(1, s.floor_lines + 1):
            x_far = ex0 + (ex1 - ex0) * i / (s.floor_lines + 1)
            x_near = w * i / (s.floor_lines + 1)
            cv2.line(img, (round(x_near), h), (round(x_far), ey1), _shade(s.floor, 0.8), 1)
        for depth in (0.3, 0.55, 0.75, 0.9):
            _, _, floor_y, _ = self._at_depth(depth)
            lx, rx, _, _ = self._at_depth(depth)
            cv2.line(img, (round(lx), round(floor_y)), (round(rx), round(floor_y)),
                     _shade(s.floor, 0.85), 1)
        self._draw_ceiling_lights(img)
        self._draw_side_doors(img)
        if s.kind == "stairwell":
            self._draw_stairs(img)
        self._draw_exit_door(img)
        self._draw_vignette(img)
        return img

    def _draw_ceiling_lights(self, img: Image) -> None:
        for depth in (0.2, 0.5, 0.75):
            lx, rx, _, cy = self._at_depth(depth)
            lx2, rx2, _, cy2 = self._at_depth(depth + 0.08)
            mid, mid2 = (lx + rx) / 2, (lx2 + rx2) / 2
            half, half2 = (rx - lx) * 0.12, (rx2 - lx2) * 0.12
            _poly(img, [(round(mid - half), round(cy + 2)), (round(mid + half), round(cy + 2)),
                        (round(mid2 + half2), round(cy2 + 2)),
                        (round(mid2 - half2), round(cy2 + 2))], (245, 248, 250))

    def _draw_side_doors(self, img: Image) -> None:
        s = self.style
        for i in range(s.side_doors):
            d0 = 0.15 + 0.7 * i / max(1, s.side_doors)
            d1 = d0 + 0.12
            for side in (0, 1):
                near, far = self._at_depth(d0), self._at_depth(d1)
                x_near, x_far = near[side], far[side]
                top_near = near[2] + (near[3] - near[2]) * 0.72
                top_far = far[2] + (far[3] - far[2]) * 0.72
                _poly(img, [(round(x_near), round(near[2])), (round(x_near), round(top_near)),
                            (round(x_far), round(top_far)), (round(x_far), round(far[2]))],
                      _shade(s.door_colour, 0.8 + 0.15 * side))

    def _draw_stairs(self, img: Image) -> None:
        g, s = self._geometry, self.style
        ex0, _, ex1, ey1 = g.end_wall
        steps = 9
        x_left = ex1 - (ex1 - ex0) * 0.22
        for i in range(steps):
            y = ey1 - i * (ey1 - g.end_wall[1]) * 0.06
            x_right = ex1 + (g.width - ex1) * (1 - i / steps) * 0.8
            colour = _shade(s.floor, 1.15 if i % 2 else 0.9)
            cv2.rectangle(img, (round(x_left + i * 3), round(y - 8)), (round(x_right), round(y)),
                          colour, -1)
        cv2.line(img, (round(x_left), ey1 - 30), (g.width, round(g.height * 0.25)),
                 (60, 60, 60), 3)

    def _draw_exit_door(self, img: Image) -> None:
        s = self.style
        x0, y0, x1, y1 = self._geometry.door
        frame = max(2, (x1 - x0) // 14)
        cv2.rectangle(img, (x0 - frame, y0 - frame), (x1 + frame, y1), s.frame_colour, -1)
        cv2.rectangle(img, (x0, y0), (x1, y1), s.door_colour, -1)
        mid = (x0 + x1) // 2
        cv2.line(img, (mid, y0), (mid, y1), _shade(s.door_colour, 0.6), 2)
        bar_y = y0 + (y1 - y0) * 11 // 20
        cv2.rectangle(img, (x0 + 4, bar_y), (x1 - 4, bar_y + max(3, (y1 - y0) // 40)),
                      (170, 170, 172), -1)
        win_w, win_h = (x1 - x0) // 6, (y1 - y0) // 5
        for wx in (x0 + (x1 - x0) // 6, mid + (x1 - x0) // 6):
            cv2.rectangle(img, (wx, y0 + win_h // 2), (wx + win_w, y0 + win_h * 3 // 2),
                          (200, 190, 150), -1)
        sign_w, sign_h = max(24, (x1 - x0) * 3 // 5), max(10, (y1 - y0) // 8)
        sx0, sy1 = mid - sign_w // 2, y0 - frame - 4
        cv2.rectangle(img, (sx0, sy1 - sign_h), (sx0 + sign_w, sy1), (40, 175, 20), -1)
        cv2.putText(img, "EXIT", (sx0 + sign_w // 3, sy1 - sign_h // 4), cv2.FONT_HERSHEY_SIMPLEX,
                    sign_h / 32, (245, 255, 245), 1, cv2.LINE_AA)
        figure = (sx0 + sign_w // 6, sy1 - sign_h // 2)
        cv2.circle(img, figure, max(2, sign_h // 5), (245, 255, 245), -1)

    def _draw_vignette(self, img: Image) -> None:
        h, w = img.shape[:2]
        ys, xs = np.ogrid[:h, :w]
        r = ((xs - w / 2) / (w / 2)) ** 2 + ((ys - h / 2) / (h / 2)) ** 2
        img[:] = np.clip(img * (1 - 0.12 * r)[..., None], 0, 255).astype(np.uint8)

    def _draw_obstacle(self, img: Image, block_fraction: float) -> None:
        box = self.obstacle_box(block_fraction)
        if box is None:
            return
        x0, y0, x1, y1 = box
        colour = self.style.obstacle_colour
        if self.style.obstacle_kind == "cart":
            cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), colour, -1)
            shelf = _shade(colour, 0.55)
            for i in range(1, 4):
                y = y0 + (y1 - y0) * i // 4
                cv2.line(img, (x0, y), (x1 - 1, y), shelf, 2)
            cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), shelf, 2)
            return
        box_h = max(6, round(self.height * 0.06))
        box_w = max(8, round(self.width * 0.045))
        rng = random.Random(self.seed * 7919 + 17)
        for by in range(y1, y0, -box_h):
            for bx in range(x0, x1, box_w):
                shade = _shade(colour, rng.uniform(0.8, 1.15))
                top, right = max(y0, by - box_h), min(x1, bx + box_w)
                cv2.rectangle(img, (bx, top), (right - 1, by - 1), shade, -1)
                cv2.rectangle(img, (bx, top), (right - 1, by - 1), _shade(shade, 0.65), 1)
                tape_y = (top + by) // 2
                cv2.line(img, (bx + 1, tape_y), (right - 2, tape_y), _shade(shade, 1.25), 1)

    def _draw_people(self, img: Image, t: float, count: int) -> None:
        walkers = self._geometry.walkers[: max(0, count)]
        for walker in sorted(walkers, key=lambda p: -p.depth):
            self._draw_walker(img, t, walker)

    def _draw_walker(self, img: Image, t: float, walker: _Walker) -> None:
        lx, rx, floor_y, _ = self._at_depth(walker.depth)
        px_per_m = (rx - lx) / _CORRIDOR_WIDTH_M
        height = 1.65 * px_per_m
        body_w = 0.45 * px_per_m
        span = (rx - lx) + 2 * body_w
        travelled = (walker.phase + walker.speed_mps * px_per_m * t) % span
        x = lx - body_w + (travelled if walker.direction > 0 else span - travelled)
        feet = floor_y
        head_r = height * 0.075
        stride = math.sin(t * walker.speed_mps * 4 + walker.phase) * body_w * 0.25
        leg_top = feet - height * 0.47
        for offset in (-stride, stride):
            cx = x + offset
            cv2.rectangle(img, (round(cx - body_w * 0.18), round(leg_top)),
                          (round(cx + body_w * 0.18), round(feet)), walker.trousers, -1)
        torso_top = feet - height * 0.83
        cv2.rectangle(img, (round(x - body_w / 2), round(torso_top)),
                      (round(x + body_w / 2), round(leg_top + height * 0.04)), walker.shirt, -1)
        cv2.circle(img, (round(x), round(torso_top - head_r)), max(2, round(head_r)),
                   walker.skin, -1)

    def _covered_frame(self, rng: np.random.Generator) -> npt.NDArray[np.float32]:
        level = 6.0 + 10.0 * (self.seed % 5) / 4
        ys = np.linspace(0.0, 1.0, self.height, dtype=np.float32)[:, None, None]
        tint = np.array([0.9, 1.0, 1.15], dtype=np.float32)
        frame = (level * (0.8 + 0.4 * ys) * tint).astype(np.float32)
        frame = np.broadcast_to(frame, (self.height, self.width, 3)).copy()
        frame += float(rng.uniform(-2, 2))
        return frame

    def _gain(self, t: float, lighting: float) -> npt.NDArray[np.float32]:
        s = self.style
        drift = 1.0 + s.drift_amplitude * math.sin(2 * math.pi * t / s.drift_period_s
                                                   + self._drift_phase)
        return np.array(s.tint, dtype=np.float32) * np.float32(lighting * drift)


def _poly(img: Image, points: list[tuple[int, int]], colour: Colour) -> None:
    cv2.fillPoly(img, [np.array(points, dtype=np.int32)], colour)


def _shade(colour: Colour, factor: float) -> Colour:
    b, g, r = colour
    return (min(255, round(b * factor)), min(255, round(g * factor)), min(255, round(r * factor)))
