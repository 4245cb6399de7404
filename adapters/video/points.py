"""What one frame's analysis means as points of the camera device.

    reference.missing            bool   no reference view yet: regions cannot be judged
    tamper.covered               bool   lens covered or the view dark/featureless
    tamper.blurred               bool   defocused against the reference
    tamper.moved                 bool   the camera looks elsewhere than in its reference
    tamper.hazed                 bool   a veil over the lens (spray, smear) against the reference
    region.<name>.obstruction    float  share (0..1) of the region obstructed
    region.<name>.blocked        bool   obstruction at or above the region's threshold
    analytics.ok                 bool   the last snapshot arrived and decoded

A point is published when its value or quality changes (obstruction when it moves by
OBSTRUCTION_STEP or more) and again every `republish_s`, so the bus carries changes,
not a stream of identical values.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.video.analysis import FrameAnalysis, RegionFinding
from gateway.core.bus import EventBus
from gateway.core.events import AVAILABILITY, Availability, Event, PointValue, Quality

OBSTRUCTION_STEP = 0.02


@dataclass(frozen=True)
class PointReading:
    point: str
    value: PointValue
    quality: Quality = Quality.GOOD
    detail: str | None = None


def readings(analysis: FrameAnalysis) -> list[PointReading]:
    """The points of one analysis. Quality is `good` only for a verdict that rests on
    enough frames, a usable view and a reference in matching light; otherwise the value
    (if there is one) comes with `uncertain` and the reason, or `bad` without a reference."""
    tamper = analysis.tamper
    result = [PointReading("reference.missing", analysis.reference_missing),
              PointReading("tamper.covered", tamper.covered)]
    judged = ("tamper.blurred", "tamper.moved", "tamper.hazed")
    if analysis.reference_missing:
        for point in judged:
            result.append(PointReading(point, None, Quality.BAD, "no reference view"))
    elif tamper.covered:
        for point in judged:
            result.append(PointReading(point, False, Quality.UNCERTAIN, "view covered"))
    else:
        result.append(PointReading("tamper.blurred", tamper.blurred))
        result.append(PointReading("tamper.moved", tamper.moved))
        result.append(PointReading("tamper.hazed", bool(tamper.hazed)))
    region_quality, region_detail = _region_quality(analysis)
    for region in analysis.regions:
        quality, detail = region_quality, region_detail
        if quality is Quality.GOOD:
            quality, detail = _verdict_quality(region)
        result.append(PointReading(f"region.{region.name}.obstruction", region.obstruction,
                                   quality, detail))
        result.append(PointReading(f"region.{region.name}.blocked", region.blocked,
                                   quality, detail))
    return result


def _verdict_quality(region: RegionFinding) -> tuple[Quality, str | None]:
    if region.obstruction is None:
        return Quality.UNCERTAIN, "region too small to judge"
    if region.hidden_now:
        return Quality.UNCERTAIN, "region mostly hidden by a passer-by"
    if region.frames < region.persistence_frames:
        return Quality.UNCERTAIN, (f"{region.frames} of {region.persistence_frames} frames "
                                   "yet: passers-by not ruled out")
    return Quality.GOOD, None


def _region_quality(analysis: FrameAnalysis) -> tuple[Quality, str | None]:
    tamper = analysis.tamper
    if analysis.reference_missing:
        return Quality.BAD, "no reference view"
    if tamper.covered:
        return Quality.UNCERTAIN, "view covered"
    if tamper.moved:
        return Quality.UNCERTAIN, "camera moved"
    if tamper.hazed:
        return Quality.UNCERTAIN, "view hazed"
    if tamper.blurred:
        return Quality.UNCERTAIN, "view blurred"
    if not analysis.light_matched:
        light = analysis.light.label if analysis.light else "unknown"
        return Quality.UNCERTAIN, f"light ({light}) unlike every reference"
    return Quality.GOOD, None


class PointPublisher:
    """Publishes one camera's readings as events, on change and periodically."""

    def __init__(self, site: str, device_id: str, bus: EventBus, republish_s: float) -> None:
        self.site = site
        self.device_id = device_id
        self.bus = bus
        self.republish_s = republish_s
        self._last: dict[str, tuple[PointReading, float]] = {}
        self.published = 0

    def publish(self, items: list[PointReading], ts: float) -> None:
        for reading in items:
            if self._due(reading, ts):
                self._last[reading.point] = (reading, ts)
                self.bus.publish(Event(self.site, self.device_id, reading.point, reading.value,
                                       ts, reading.quality, detail=reading.detail))
                self.published += 1

    def availability(self, availability: Availability, ts: float, detail: str) -> None:
        """Publish the camera's availability (before the points that go with it)."""
        self.bus.publish(Event(self.site, self.device_id, AVAILABILITY, availability.value,
                               ts, Quality.GOOD if availability is Availability.ONLINE
                               else Quality.BAD, detail=detail))
        self.published += 1

    def _due(self, reading: PointReading, ts: float) -> bool:
        previous = self._last.get(reading.point)
        if previous is None:
            return True
        last, when = previous
        if ts - when >= self.republish_s or last.quality != reading.quality:
            return True
        if isinstance(reading.value, float) and isinstance(last.value, float):
            return abs(reading.value - last.value) >= OBSTRUCTION_STEP
        return reading.value != last.value
