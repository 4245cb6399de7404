"""Reference views, taken on command and kept on disk with the time they were taken, so
that a restart does not lose them."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from adapters.video.analysis import Reference
from adapters.video.frames import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReferenceInfo:
    """What the API reports about a camera's reference."""

    camera_id: str
    captured_at: float
    path: Path
    frames_used: int

    def to_dict(self) -> dict[str, object]:
        return {"camera_id": self.camera_id, "captured_at": self.captured_at,
                "path": str(self.path), "frames_used": self.frames_used}


def median_view(frames: list[Image]) -> Image:
    """Per-pixel median of a few frames: people walking through drop out."""
    if len(frames) == 1:
        return frames[0]
    stacked = np.stack(frames)
    return np.asarray(np.median(stacked, axis=0), dtype=np.uint8)


class ReferenceStore:
    """`<folder>/<camera_id>.png` (lossless) beside `<camera_id>.json` (time, frames)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def image_path(self, camera_id: str) -> Path:
        return self.folder / f"{camera_id}.png"

    def save(self, camera_id: str, reference: Reference, frames_used: int) -> ReferenceInfo:
        """Write atomically (temporary file, then rename); blocking, call off the loop."""
        self.folder.mkdir(parents=True, exist_ok=True)
        image_path = self.image_path(camera_id)
        ok, encoded = cv2.imencode(".png", reference.image)
        if not ok:
            raise OSError(f"cannot encode the reference of {camera_id}")
        _write_atomically(image_path, encoded.tobytes())
        meta = {"captured_at": reference.captured_at, "frames_used": frames_used}
        _write_atomically(self.folder / f"{camera_id}.json", json.dumps(meta).encode())
        return ReferenceInfo(camera_id, reference.captured_at, image_path, frames_used)

    def load(self, camera_id: str) -> tuple[Reference, ReferenceInfo] | None:
        """The stored reference, or None if there is none (or it is unreadable)."""
        image_path = self.image_path(camera_id)
        meta_path = self.folder / f"{camera_id}.json"
        if not image_path.exists() or not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
            captured_at = float(meta["captured_at"])
            frames_used = int(meta.get("frames_used", 1))
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.warning("reference of camera %s is unreadable (%s); it needs a new one",
                        camera_id, err)
            return None
        if image is None:
            log.warning("reference image of camera %s is unreadable; it needs a new one",
                        camera_id)
            return None
        reference = Reference(np.asarray(image, dtype=np.uint8), captured_at)
        return reference, ReferenceInfo(camera_id, captured_at, image_path, frames_used)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
