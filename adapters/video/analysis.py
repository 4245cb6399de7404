"""One camera's analytics on one frame: tampering first, then each region's obstruction.

Pure computation, no I/O: it runs on a worker thread (OpenCV releases the GIL)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adapters.video.config import VideoAnalyticsConfig
from adapters.video.frames import Image, PreparedFrame, decode_jpeg, prepare, reduction_for
from adapters.video.landmarks import Landmarks, Shift
from adapters.video.obstruction import LightProbe, RegionWatch, change_mask
from adapters.video.tamper import TamperFindings, find_tampering, signature


@dataclass(frozen=True)
class RegionFinding:
    name: str
    obstruction: float | None
    """Share of the region obstructed; None when it cannot be judged."""
    blocked: bool | None


@dataclass(frozen=True)
class FrameAnalysis:
    reference_missing: bool
    tamper: TamperFindings
    regions: tuple[RegionFinding, ...]


@dataclass(frozen=True)
class Reference:
    """The view as it should be, and when it was taken."""

    image: Image
    captured_at: float


class _PreparedReference:
    def __init__(self, reference: Reference, config: VideoAnalyticsConfig) -> None:
        self.reference = reference
        self.frame = prepare(reference.image, config.analysis_width)
        width, height = self.frame.size
        self.regions = [RegionWatch(region, self.frame.scale, self.frame.size,
                                    config.persistence_frames) for region in config.regions]
        outside = np.ones((height, width), bool)
        for watch in self.regions:
            outside &= ~watch.mask
        self.light = LightProbe(self.frame, outside)
        self.landmarks = Landmarks(self.frame.grey, ~outside, self.frame.scale)


class CameraAnalyser:
    """Keeps one camera's reference and region history; `analyse_jpeg` one frame at a time."""

    def __init__(self, config: VideoAnalyticsConfig) -> None:
        self.config = config
        self._reference: _PreparedReference | None = None
        self._source_size: tuple[int, int] | None = None

    @property
    def reference(self) -> Reference | None:
        return self._reference.reference if self._reference else None

    def set_reference(self, reference: Reference | None) -> None:
        self._reference = _PreparedReference(reference, self.config) if reference else None

    def reset_history(self) -> None:
        """Forget the last frames of every region (a new scene, or a gap in frames)."""
        if self._reference:
            for watch in self._reference.regions:
                watch.reset()

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

    def _analyse(self, frame: PreparedFrame) -> FrameAnalysis:
        ref = self._reference
        view = signature(frame)
        if ref is None:
            return FrameAnalysis(True, find_tampering(view, None, None, self.config.tamper),
                                 self._unjudged())
        if frame.source_size != ref.frame.source_size:
            tamper = TamperFindings(False, None, True, None, Shift(0.0, 0.0, 0.0), view)
            return self._unusable(tamper)
        seen = ref.landmarks.in_place(frame.grey)
        shift = ref.landmarks.locate(frame.grey, seen)
        sharpness = ref.landmarks.sharpness(seen)
        tamper = find_tampering(view, sharpness, shift, self.config.tamper)
        if tamper.covered or tamper.moved:
            return self._unusable(tamper)
        gain = ref.light.gain(frame)
        changed = change_mask(ref.frame, frame, gain, self.config.change_level)
        findings = []
        for watch in ref.regions:
            share = watch.update(changed)
            if share is None:
                findings.append(RegionFinding(watch.region.name, None, None))
            else:
                findings.append(RegionFinding(watch.region.name, round(share, 4),
                                              share >= watch.region.threshold))
        return FrameAnalysis(False, tamper, tuple(findings))

    def _unusable(self, tamper: TamperFindings) -> FrameAnalysis:
        return FrameAnalysis(False, tamper, self._unjudged())

    def _unjudged(self) -> tuple[RegionFinding, ...]:
        return tuple(RegionFinding(r.name, None, None) for r in self.config.regions)
