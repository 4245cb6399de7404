"""One camera's analytics on one frame: tampering first, then each region's obstruction,
against the reference of the bank whose light is most like the frame's.

Pure computation, no I/O: it runs on a worker thread (OpenCV releases the GIL)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from adapters.video.compare import RegionComparer, noise_level
from adapters.video.conditions import LightConditions, distance, measure
from adapters.video.config import VideoAnalyticsConfig
from adapters.video.frames import Image, PreparedFrame, decode_jpeg, prepare, reduction_for
from adapters.video.landmarks import Landmarks, Shift
from adapters.video.obstruction import RegionWatch
from adapters.video.tamper import TamperFindings, ViewSignature, find_tampering, signature

HIDDEN_BY_PASSER_BY = 0.6
"""Share of a region changed in the newest frame, with far less lasting, above which the
region is mostly hidden by someone passing: its verdict is then uncertain."""


@dataclass(frozen=True)
class RegionFinding:
    name: str
    obstruction: float | None
    """Share of the region obstructed; None when it cannot be judged."""
    blocked: bool | None
    frames: int = 0
    """Frames the verdict rests on (1 = a single frame; passers-by not ruled out)."""
    hidden_now: bool = False
    """Mostly hidden in the newest frame by something that did not stay."""
    persistence_frames: int = 1
    """Frames a verdict needs to rule passers-by out."""


@dataclass(frozen=True)
class FrameAnalysis:
    reference_missing: bool
    tamper: TamperFindings
    regions: tuple[RegionFinding, ...]
    light: LightConditions | None = None
    light_matched: bool = True
    """False when the frame's light is unlike every reference's."""
    reference_at: float | None = None
    """When the reference it was compared with was taken."""
    reference_view: ViewSignature | None = None
    """The whole-view measures of that reference."""


@dataclass(frozen=True)
class Reference:
    """The view as it should be, when it was taken and (once measured) in what light."""

    image: Image
    captured_at: float
    conditions: LightConditions | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Banked:
    """A reference of the bank as the analyser keeps it: when it was taken and in what
    light. Its image is kept on disk by the reference store, not here."""

    captured_at: float
    conditions: LightConditions


class PreparedReference:
    """A reference ready for comparison: landmarks, light, and per region its comparer.

    Only what comparing needs is kept: the frames prepared from the image and the image
    itself go once the comparers and landmarks are made (a camera's bank would otherwise
    hold some 2 MB per reference)."""

    def __init__(self, reference: Reference, config: VideoAnalyticsConfig) -> None:
        frame = prepare(reference.image, config.analysis_width)
        self.conditions = reference.conditions or measure(frame)
        self.banked = Banked(reference.captured_at, self.conditions)
        self.scale = frame.scale
        self.size = frame.size
        """Width and height of the analysis frame."""
        self.source_size = frame.source_size
        width, height = self.size
        watches = [RegionWatch(region, self.scale, self.size,
                               config.persistence_frames) for region in config.regions]
        outside = np.ones((height, width), bool)
        for watch in watches:
            outside &= ~watch.mask
        self.comparers = [RegionComparer(frame, w.mask, w.see_through, config.change_level,
                                         self.conditions.infrared) for w in watches]
        self.landmarks = Landmarks(frame.grey, ~outside, self.scale, frame.detail)
        self.view = signature(frame)


class CameraAnalyser:
    """Keeps one camera's reference bank and region history; `analyse_jpeg` one frame at
    a time. Invariant: the region history holds masks of consecutive analysed frames, of
    the same regions whatever reference each was compared with."""

    def __init__(self, config: VideoAnalyticsConfig) -> None:
        self.config = config
        self._bank: list[PreparedReference] = []
        self._watches: list[RegionWatch] | None = None
        self._source_size: tuple[int, int] | None = None

    @property
    def reference(self) -> Banked | None:
        """The newest reference."""
        if not self._bank:
            return None
        return max(self._bank, key=lambda r: r.banked.captured_at).banked

    @property
    def references(self) -> list[Banked]:
        return [r.banked for r in self._bank]

    def set_reference(self, reference: Reference | None) -> None:
        """Make `reference` the only one (None: none)."""
        self.set_bank([reference] if reference is not None else [])

    def set_bank(self, references: list[Reference]) -> None:
        self._bank = [PreparedReference(r, self.config) for r in references]
        self._watches = None

    def add_reference(self, reference: Reference) -> Reference:
        """Add to the bank; when full, the oldest reference in the most alike light goes.
        Returns the reference with its measured light."""
        prepared = PreparedReference(reference, self.config)
        bank = self._bank
        if len(bank) >= self.config.references.size:
            alike = min(bank, key=lambda r: (round(distance(r.conditions, prepared.conditions),
                                                   1), r.banked.captured_at))
            bank.remove(alike)
        bank.append(prepared)
        return Reference(reference.image, reference.captured_at, prepared.conditions)

    def reset_history(self) -> None:
        """Forget the last frames of every region (a new scene, or a gap in frames)."""
        for watch in self._watches or ():
            watch.reset()

    def conditions_of(self, image: Image) -> LightConditions:
        return measure(prepare(image, self.config.analysis_width))

    def analyse_jpeg(self, data: bytes) -> FrameAnalysis:
        """Decode and analyse; once the camera's frame size is known, decode straight at
        the smallest size that still serves the analysis (much cheaper)."""
        source = self._source_size
        if source is not None:
            reduction = reduction_for(source[0], self.config.analysis_width)
            if reduction > 1:
                image = decode_jpeg(data, reduction)
                expected = (-(-source[1] // reduction), -(-source[0] // reduction))
                if image.shape[:2] == expected:
                    return self._analyse(prepare(image, self.config.analysis_width, source))
        image = decode_jpeg(data)
        self._source_size = (image.shape[1], image.shape[0])
        return self._analyse(prepare(image, self.config.analysis_width))

    def _choose(self, light: LightConditions) -> tuple[PreparedReference, float]:
        scored = [(distance(light, r.conditions), r) for r in self._bank]
        best_distance, best = min(scored, key=lambda pair: pair[0])
        return best, best_distance

    def _watches_for(self, ref: PreparedReference) -> list[RegionWatch]:
        if self._watches is None or self._watches[0].mask.shape != ref.size[::-1]:
            self._watches = [RegionWatch(region, ref.scale, ref.size,
                                         self.config.persistence_frames)
                             for region in self.config.regions]
        return self._watches

    def _analyse(self, frame: PreparedFrame) -> FrameAnalysis:
        view = signature(frame)
        if not self._bank:
            return FrameAnalysis(True, find_tampering(view, None, None, self.config.tamper),
                                 self._unjudged())
        light = measure(frame)
        ref, apart = self._choose(light)
        if frame.source_size != ref.source_size:
            tamper = TamperFindings(False, None, True, None, Shift(0.0, 0.0, 0.0), view, None)
            return self._unusable(tamper, light)
        seen = ref.landmarks.in_place(frame.grey, frame.detail)
        shift = ref.landmarks.locate(frame.grey, seen)
        sharpness = ref.landmarks.sharpness(seen)
        matched = apart <= self.config.references.match_distance
        tamper = find_tampering(view, sharpness, shift, self.config.tamper, ref.view,
                                ref.landmarks.contrast(seen), matched)
        if tamper.covered or tamper.moved:
            self.reset_history()
            return FrameAnalysis(False, tamper, self._unjudged(), light,
                                 reference_view=ref.view)
        findings = []
        for watch, comparer in zip(self._watches_for(ref), ref.comparers, strict=True):
            noise = noise_level(frame, comparer.crop)
            changed = comparer.changed(frame, noise, light.infrared)
            reading = watch.update(changed, comparer)
            if reading is None:
                findings.append(RegionFinding(watch.region.name, None, None))
                continue
            share, frames = reading
            now = float((changed & comparer.region & ~comparer.see_through).sum()) / max(
                1, int(comparer.region.sum()))
            hidden = frames > 1 and now >= HIDDEN_BY_PASSER_BY and share < watch.region.threshold
            findings.append(RegionFinding(watch.region.name, round(share, 4),
                                          share >= watch.region.threshold, frames, hidden,
                                          watch.persistence_frames))
        return FrameAnalysis(False, tamper, tuple(findings), light, matched,
                             ref.banked.captured_at, ref.view)

    def _unusable(self, tamper: TamperFindings, light: LightConditions) -> FrameAnalysis:
        return FrameAnalysis(False, tamper, self._unjudged(), light)

    def _unjudged(self) -> tuple[RegionFinding, ...]:
        return tuple(RegionFinding(r.name, None, None) for r in self.config.regions)


__all__ = ["Banked", "CameraAnalyser", "FrameAnalysis", "PreparedReference", "Reference",
           "RegionFinding", "ViewSignature"]
