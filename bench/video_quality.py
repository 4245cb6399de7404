"""How well the camera analytics judge what they see, on a labelled set of scenes the
simulator does not show by default: other corridor geometry and colours, other light,
noise levels and passers-by, blocks above and below the threshold, tampered views.

`python -m bench.video_quality` prints the figures of the full set; the test suite runs
the same code on a smaller set and asserts the targets.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from adapters.video.analysis import CameraAnalyser, FrameAnalysis, Reference
from adapters.video.config import RegionConfig, VideoAnalyticsConfig
from adapters.video.frames import decode_jpeg
from simulators.camera.scene import SceneRenderer, SceneState, SceneStyle

BLOCKED_AT = 0.3
"""Label: 'exit blocked' when at least this share of the exit region is hidden."""
MARGIN = 0.1
"""Block fractions within this margin of BLOCKED_AT are not drawn: the label itself
would be a matter of pixels."""
KINDS = ("blocked", "covered", "blurred", "moved")


@dataclass
class Score:
    """Counts of one yes/no judgement against its labels."""

    true_positive: int = 0
    false_positive: int = 0
    true_negative: int = 0
    false_negative: int = 0
    mistakes: list[str] = field(default_factory=list)

    def add(self, expected: bool, predicted: bool, case: str) -> None:
        if expected and predicted:
            self.true_positive += 1
        elif expected:
            self.false_negative += 1
            self.mistakes.append(f"missed: {case}")
        elif predicted:
            self.false_positive += 1
            self.mistakes.append(f"false alarm: {case}")
        else:
            self.true_negative += 1

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positive + self.false_negative
        return self.true_positive / actual if actual else 1.0

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "positives": self.true_positive + self.false_negative,
                "negatives": self.true_negative + self.false_positive,
                "false_positives": self.false_positive, "false_negatives": self.false_negative}


@dataclass
class QualityReport:
    scores: dict[str, Score] = field(default_factory=lambda: {k: Score() for k in KINDS})
    obstruction_errors: list[float] = field(default_factory=list)
    frames: int = 0

    @property
    def obstruction_mae(self) -> float:
        errors = self.obstruction_errors
        return sum(errors) / len(errors) if errors else 0.0

    def to_dict(self) -> dict[str, object]:
        return {"frames": self.frames, "obstruction_mae": round(self.obstruction_mae, 4),
                **{kind: score.to_dict() for kind, score in self.scores.items()}}


@dataclass(frozen=True)
class Case:
    """One judgement: frames shown after the reference, and what the last one is."""

    kind: str
    expected: bool
    frames: tuple[SceneState, ...]
    start_t: float
    block_fraction: float = 0.0

    def describe(self) -> str:
        last = self.frames[-1]
        return (f"{self.kind} block={last.block_fraction:.2f} people={last.people} "
                f"light={last.lighting:.2f} noise={last.noise:.1f} "
                f"defocus={last.defocus:.2f} shift={last.shift_px} covered={last.covered}")


@dataclass(frozen=True)
class Scene:
    renderer: SceneRenderer
    reference: SceneState
    cases: tuple[Case, ...]


def labelled_scenes(scenes: int, cases_per_kind: int, seed: int = 2024,
                    persistence_frames: int = 3) -> Iterator[Scene]:
    """Randomised buildings, each with cases of every kind."""
    rng = random.Random(seed)
    for index in range(scenes):
        style = SceneStyle.randomised(rng)
        renderer = SceneRenderer(seed=seed * 1000 + index, style=style)
        noise = rng.uniform(1.0, 10.0)
        reference = SceneState(lighting=rng.uniform(0.6, 1.2), noise=noise)
        cases: list[Case] = []
        for _ in range(cases_per_kind):
            cases.append(_obstruction_case(rng, reference, persistence_frames))
            cases.append(_covered_case(rng, reference))
            cases.append(_blurred_case(rng, reference))
            cases.append(_moved_case(rng, reference))
        yield Scene(renderer, reference, tuple(cases))


def _everyday(rng: random.Random, reference: SceneState, **changes: object) -> SceneState:
    """The reference scene with today's light, noise and passers-by."""
    state = SceneState(
        block_fraction=0.0, people=rng.randint(0, 5),
        lighting=reference.lighting * rng.uniform(0.7, 1.3),
        noise=max(0.5, reference.noise * rng.uniform(0.7, 1.4)))
    for name, value in changes.items():
        setattr(state, name, value)
    return state


def _block_fraction(rng: random.Random, blocked: bool) -> float:
    if blocked:
        return rng.uniform(BLOCKED_AT + MARGIN, 1.0)
    return 0.0 if rng.random() < 0.3 else rng.uniform(0.03, BLOCKED_AT - MARGIN)


def _obstruction_case(rng: random.Random, reference: SceneState, frames: int) -> Case:
    blocked = rng.random() < 0.5
    fraction = _block_fraction(rng, blocked)
    base = _everyday(rng, reference, block_fraction=fraction)
    states = tuple(SceneState(**{**base.__dict__}) for _ in range(frames))
    return Case("blocked", blocked, states, rng.uniform(0, 10_000), fraction)


def _single(kind: str, expected: bool, state: SceneState, rng: random.Random) -> Case:
    return Case(kind, expected, (state,), rng.uniform(0, 10_000), state.block_fraction)


def _covered_case(rng: random.Random, reference: SceneState) -> Case:
    covered = rng.random() < 0.5
    state = _everyday(rng, reference, covered=covered,
                      block_fraction=_block_fraction(rng, rng.random() < 0.3))
    if not covered:
        state.lighting = reference.lighting * rng.uniform(0.45, 1.3)
    return _single("covered", covered, state, rng)


def _blurred_case(rng: random.Random, reference: SceneState) -> Case:
    blurred = rng.random() < 0.5
    defocus = rng.uniform(0.5, 1.0) if blurred else rng.uniform(0.0, 0.15)
    state = _everyday(rng, reference, defocus=defocus,
                      block_fraction=_block_fraction(rng, rng.random() < 0.3))
    return _single("blurred", blurred, state, rng)


def _moved_case(rng: random.Random, reference: SceneState) -> Case:
    moved = rng.random() < 0.5
    shift = rng.randint(16, 90) if moved else rng.randint(0, 3)
    state = _everyday(rng, reference, shift_px=shift * rng.choice((-1, 1)))
    return _single("moved", moved, state, rng)


def judge(case: Case, result: FrameAnalysis) -> bool:
    """The analytics' answer to the case's question."""
    if case.kind == "blocked":
        return any(bool(region.blocked) for region in result.regions)
    if case.kind == "covered":
        return result.tamper.covered
    if case.kind == "blurred":
        return bool(result.tamper.blurred)
    return bool(result.tamper.moved)


def _summary(result: FrameAnalysis) -> str:
    tamper, shift = result.tamper, result.tamper.shift
    moved = f"shift {shift.distance:.1f}px match {shift.match:.2f}" if shift else "no shift"
    regions = ", ".join(f"{r.name} {r.obstruction}" for r in result.regions)
    return (f"brightness {tamper.signature.brightness:.0f} contrast "
            f"{tamper.signature.contrast:.1f} sharpness {tamper.sharpness_ratio or 0:.2f} "
            f"{moved}; {regions}")


def evaluate(scenes: int, cases_per_kind: int, seed: int = 2024,
             config: VideoAnalyticsConfig | None = None) -> QualityReport:
    report = QualityReport()
    for scene in labelled_scenes(scenes, cases_per_kind, seed,
                                 (config or VideoAnalyticsConfig()).persistence_frames):
        region = RegionConfig(name="exit", polygon=tuple(scene.renderer.exit_region()))
        analyser = CameraAnalyser((config or VideoAnalyticsConfig()).model_copy(
            update={"regions": (region,)}))
        reference = decode_jpeg(scene.renderer.render_jpeg(0.0, scene.reference))
        analyser.set_reference(Reference(reference, 0.0))
        for case in scene.cases:
            analyser.reset_history()
            result = None
            for step, state in enumerate(case.frames):
                result = analyser.analyse_jpeg(
                    scene.renderer.render_jpeg(case.start_t + step, state))
                report.frames += 1
            assert result is not None
            report.scores[case.kind].add(case.expected, judge(case, result),
                                         f"{case.describe()} -> {_summary(result)}")
            if case.kind == "blocked" and result.regions[0].obstruction is not None:
                report.obstruction_errors.append(
                    abs(result.regions[0].obstruction - case.block_fraction))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenes", type=int, default=40, help="randomised buildings")
    parser.add_argument("--cases", type=int, default=6, help="cases of each kind per building")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the labelled set")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--mistakes", action="store_true", help="list every wrong judgement")
    args = parser.parse_args(argv)
    report = evaluate(args.scenes, args.cases, args.seed)
    print(f"labelled frames analysed: {report.frames}")
    print(f"exit blocked (>= {BLOCKED_AT:.0%} of the exit region; passers-by not counted), "
          f"mean obstruction error {report.obstruction_mae:.3f}")
    for kind, score in report.scores.items():
        figures = score.to_dict()
        print(f"  {kind:8} precision {score.precision:.3f}  recall {score.recall:.3f}  "
              f"({figures['positives']} positive, {figures['negatives']} negative, "
              f"{score.false_positive} false alarms, {score.false_negative} missed)")
        if args.mistakes:
            for mistake in score.mistakes:
                print(f"      {mistake}")
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
