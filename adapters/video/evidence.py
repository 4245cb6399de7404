"""Evidence for alerts: each camera keeps its last seconds of snapshots in a ring buffer;
at alert time the frames before the alert and the frame at the alert are written to
files, each with its SHA-256, so the alert can link them and anyone can verify them."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Literal

from gateway.core.timefmt import iso

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class BufferedFrame:
    ts: float
    jpeg: bytes


class FrameRing:
    """The last `seconds` of one camera's snapshots, as the JPEG bytes that came in."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._frames: deque[BufferedFrame] = deque()

    def add(self, ts: float, jpeg: bytes) -> None:
        self._frames.append(BufferedFrame(ts, jpeg))
        while self._frames and self._frames[0].ts < ts - self.seconds:
            self._frames.popleft()

    def frames(self, until: float | None = None) -> list[BufferedFrame]:
        """Frames up to `until` (all if None), oldest first."""
        return [f for f in self._frames if until is None or f.ts <= until]

    def latest(self, count: int) -> list[BufferedFrame]:
        return list(self._frames)[-count:] if count > 0 else []


@dataclass(frozen=True)
class EvidenceItem:
    """One stored frame of an alert's evidence."""

    camera_id: str
    alert_id: str
    role: Literal["before", "alert"]
    captured_at: float
    path: Path
    link: str
    """Path relative to the evidence folder, with forward slashes, for URLs."""
    sha256: str
    size: int

    def to_dict(self) -> dict[str, object]:
        return {"camera_id": self.camera_id, "alert_id": self.alert_id, "role": self.role,
                "captured_at": iso(self.captured_at, UTC), "ts": self.captured_at,
                "link": self.link, "sha256": self.sha256, "size": self.size}


class UnknownCamera(KeyError):
    """No camera with analytics has that id."""


class EvidenceRecorder:
    """Writes alert evidence under `folder/<camera_id>/<alert_id>/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._rings: dict[str, FrameRing] = {}
        self.captures = 0

    def register(self, camera_id: str, ring: FrameRing) -> None:
        self._rings[camera_id] = ring

    def latest(self, camera_id: str) -> BufferedFrame | None:
        """The camera's newest buffered frame (UnknownCamera: no analytics)."""
        ring = self._rings.get(camera_id)
        if ring is None:
            raise UnknownCamera(camera_id)
        found = ring.latest(1)
        return found[0] if found else None

    async def capture(self, camera_id: str, alert_id: str,
                      at: float | None = None) -> list[EvidenceItem]:
        """Store the buffered frames up to `at` (default: all); the last is the frame at the
        alert. Capturing the same alert again returns what was stored the first time."""
        ring = self._rings.get(camera_id)
        if ring is None:
            raise UnknownCamera(camera_id)
        if not _SAFE_ID.match(alert_id) or alert_id in (".", ".."):
            raise ValueError(f"alert id {alert_id!r} cannot name a folder")
        frames = ring.frames(until=at)
        items = await asyncio.to_thread(self._write, camera_id, alert_id, frames)
        self.captures += 1
        return items

    def _write(self, camera_id: str, alert_id: str,
               frames: list[BufferedFrame]) -> list[EvidenceItem]:
        folder = self.folder / camera_id / alert_id
        manifest = folder / MANIFEST
        if manifest.exists():
            return stored_evidence(self.folder, camera_id, alert_id)
        if not frames:  # nothing buffered (camera offline): a later capture may have some
            return []
        folder.mkdir(parents=True, exist_ok=True)
        items = []
        for index, frame in enumerate(frames):
            role: Literal["before", "alert"] = "alert" if index == len(frames) - 1 else "before"
            name = f"{index:03d}-{round(frame.ts * 1000)}-{role}.jpg"
            path = folder / name
            path.write_bytes(frame.jpeg)
            items.append(EvidenceItem(camera_id, alert_id, role, frame.ts, path,
                                      path.relative_to(self.folder).as_posix(),
                                      hashlib.sha256(frame.jpeg).hexdigest(), len(frame.jpeg)))
        temporary = manifest.with_name(MANIFEST + ".tmp")
        temporary.write_text(json.dumps([item.to_dict() for item in items], indent=1))
        temporary.replace(manifest)
        return items



def stored_evidence(folder: Path, camera_id: str, alert_id: str) -> list[EvidenceItem]:
    """What was stored of one camera for one alert under the evidence `folder` (nothing
    when no capture finished)."""
    if not (_SAFE_ID.match(camera_id) and _SAFE_ID.match(alert_id)) or ".." in (
            camera_id, alert_id):
        return []
    try:
        stored = json.loads((folder / camera_id / alert_id / MANIFEST).read_text())
    except (OSError, ValueError):
        return []
    return [EvidenceItem(str(i["camera_id"]), str(i["alert_id"]),
                         "alert" if i["role"] == "alert" else "before", float(i["ts"]),
                         folder / str(i["link"]), str(i["link"]), str(i["sha256"]),
                         int(i["size"])) for i in stored]


def verify(item: EvidenceItem) -> bool:
    """Whether the stored file still has its recorded hash."""
    try:
        return hashlib.sha256(item.path.read_bytes()).hexdigest() == item.sha256
    except OSError:
        return False
