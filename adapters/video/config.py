"""Config of camera analytics: where snapshots come from, which regions to watch, and the
thresholds that decide 'blocked' and 'tampered'."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from gateway.core.config import StrictModel

PixelPoint = tuple[int, int]


class RegionConfig(StrictModel):
    """A watched area of the image, e.g. an emergency exit that must stay clear (“三清”)."""

    name: str = Field(description="Region name used in point names, e.g. `exit_east`.",
                      pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    polygon: tuple[PixelPoint, ...] = Field(
        min_length=3,
        description="Corners in image pixels of the camera's snapshot, in drawing order.")
    kind: Literal["exit", "passage", "stairwell"] = Field(
        default="exit", description="What the region is: an exit, a passage or a stairwell.")
    threshold: float = Field(default=0.3, gt=0, le=1,
                             description="Obstructed share at or above which it is blocked.")
    see_through: tuple[tuple[PixelPoint, ...], ...] = Field(
        default=(),
        description="Parts of the region one sees through (glass panes, between gate bars, "
                    "an open gallery), each a polygon in snapshot pixels: what lies beyond "
                    "changes with the time of day and never counts as obstruction; an "
                    "object standing in front of them still does.")

    @field_validator("polygon")
    @classmethod
    def _has_area(cls, polygon: tuple[PixelPoint, ...]) -> tuple[PixelPoint, ...]:
        return _checked_polygon(polygon)

    @field_validator("see_through")
    @classmethod
    def _parts_have_area(cls, parts: tuple[tuple[PixelPoint, ...], ...]
                         ) -> tuple[tuple[PixelPoint, ...], ...]:
        for part in parts:
            if len(part) < 3:
                raise ValueError("a see-through polygon needs at least 3 corners")
            _checked_polygon(part)
        return parts


def _checked_polygon(polygon: tuple[PixelPoint, ...]) -> tuple[PixelPoint, ...]:
    twice_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1)
                     in zip(polygon, polygon[1:] + polygon[:1], strict=True))
    if abs(twice_area) < 8:
        raise ValueError("polygon has no area")
    if any(x < 0 or y < 0 for x, y in polygon):
        raise ValueError("polygon corners must be non-negative pixel coordinates")
    return polygon


class TamperConfig(StrictModel):
    """When a view counts as covered, blurred or moved."""

    dark_level: float = Field(default=22.0, ge=0, le=255,
                              description="Mean grey level below which the view is covered/dark.")
    min_contrast: float = Field(
        default=7.0, ge=0, le=128,
        description="Grey-level spread below which the view is featureless (covered).")
    blur_ratio: float = Field(
        default=0.6, gt=0, lt=1,
        description="Sharpness relative to the reference below which the view is blurred.")
    moved_px: float = Field(default=10.0, gt=0,
                            description="Shift against the reference, in pixels, that is moved.")
    min_match: float = Field(
        default=0.2, ge=0, le=1,
        description="Share of reference landmarks found below which the camera looks "
                    "elsewhere (moved).")
    min_texture: float = Field(
        default=0.012, ge=0, le=1,
        description="Fine structure (high-pass grey spread over mean grey, on a thumbnail) "
                    "below which the view is featureless: covered, even by a lit hand or "
                    "cloth.")
    haze_contrast: float = Field(
        default=0.55, gt=0, lt=1,
        description="Contrast for the brightness against the reference's (at the "
                    "landmarks, else of the whole view's fine structure) below which, with "
                    "the darks lifted, the view is hazed (spray, smear).")
    haze_floor: float = Field(
        default=0.1, gt=0, lt=1,
        description="How far the darkest grey (5th percentile over the median) must rise "
                    "above the reference's for a hazed view.")


class ReferenceBankConfig(StrictModel):
    """Several reference views per camera (day, night, infrared, lamps off), each with its
    time and light; every frame is compared with the one whose light matches best."""

    size: int = Field(default=6, ge=1, le=32,
                      description="References kept; the oldest of the most alike goes first.")
    auto_capture: bool = Field(
        default=True,
        description="Add a reference by itself when the light matches none and nothing "
                    "has been flagged for `quiet_frames` frames.")
    quiet_frames: int = Field(
        default=30, ge=5, le=3600,
        description="Frames in a row with no tamper and every region clear before an "
                    "automatic capture.")
    min_interval_s: float = Field(
        default=3600.0, ge=0,
        description="Least time between two automatic captures of one camera.")
    hours: tuple[int, ...] = Field(
        default=(), description="Hours of the day (0-23, in `timezone`) automatic captures "
                                "may happen in, e.g. quiet night hours; empty: any hour.")
    timezone: str = Field(default="UTC",
                          description="Time zone of `hours`, e.g. `Asia/Shanghai`.")
    match_distance: float = Field(
        default=0.35, gt=0,
        description="Light-layout distance above which a frame matches no reference (its "
                    "region points are then `uncertain`).")

    @field_validator("hours")
    @classmethod
    def _hours(cls, hours: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= h <= 23 for h in hours):
            raise ValueError("hours are 0..23")
        return hours


class VideoAnalyticsConfig(StrictModel):
    """OpenCV analytics on a camera's snapshots: exit obstruction and tampering."""

    snapshot_url: str | None = Field(
        default=None, pattern=r"^https?://",
        description="JPEG snapshot URL; none: asked from the camera (ONVIF GetSnapshotUri).")
    username: str | None = Field(default=None,
                                 description="Snapshot user, if different from the camera's.")
    password: SecretStr | None = Field(
        default=None, description="Snapshot password, if different from the camera's.")
    auth: Literal["digest", "basic"] | None = Field(
        default=None, description="HTTP authentication of the snapshot URL; none: the "
                                  "camera's (`snapshot_auth`), else digest.")
    interval_s: float = Field(default=1.0, gt=0, description="Time between two snapshots.")
    timeout_s: float = Field(default=5.0, gt=0, description="Timeout of one snapshot fetch.")
    regions: tuple[RegionConfig, ...] = Field(default=(), description="Regions to watch.")
    tamper: TamperConfig = Field(default_factory=TamperConfig,
                                 description="Tamper thresholds.")
    change_level: float = Field(
        default=20.0, gt=0, le=255,
        description="Brightness difference from the reference, in grey levels at mid-grey "
                    "after local light compensation (it scales with the brightness, in "
                    "proportion), that counts a pixel as changed.")
    references: ReferenceBankConfig = Field(default_factory=ReferenceBankConfig,
                                            description="The reference bank.")
    persistence_frames: int = Field(
        default=4, ge=1, le=30,
        description="A pixel is obstructed only if changed in this many consecutive frames, "
                    "so passers-by do not count.")
    analysis_width: int = Field(default=320, ge=80, le=1920,
                                description="Width frames are scaled to for analysis.")
    ring_buffer_s: float = Field(default=30.0, ge=0,
                                 description="Seconds of frames kept for alert evidence.")
    republish_s: float = Field(default=60.0, gt=0,
                               description="Unchanged points are published again this often.")

    @field_validator("regions")
    @classmethod
    def _unique_names(cls, regions: tuple[RegionConfig, ...]) -> tuple[RegionConfig, ...]:
        names = [r.name for r in regions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate region names: {', '.join(duplicates)}")
        return regions

    def point_names(self) -> tuple[str, ...]:
        """The points the analytics publish (see `adapters.video.points`)."""
        regions = [f"region.{region.name}.{point}" for region in self.regions
                   for point in ("obstruction", "blocked")]
        return ("analytics.ok", "reference.missing", "tamper.covered", "tamper.blurred",
                "tamper.moved", "tamper.hazed", *regions)


class VideoSettings(StrictModel):
    """Gateway-wide settings of camera analytics."""

    evidence_dir: Path = Field(default=Path("var/evidence"),
                               description="Folder alert evidence frames are written to.")
    references_dir: Path = Field(default=Path("var/references"),
                                 description="Folder reference frames are kept in.")
    workers: int = Field(default=2, ge=1, le=64,
                         description="Threads that decode and analyse frames.")
    switch_interval_ms: float | None = Field(
        default=0.5, gt=0, le=100,
        description="Python's thread switch interval while analytics run (default 5 ms): "
                    "shorter keeps the event loop from waiting behind analysis threads; "
                    "none: leave it as it is.")
