"""Reference views, taken on command (or by themselves at quiet times) and kept on disk
with the time they were taken and the light they were taken in, so that a restart does not
lose them.

    <folder>/<camera_id>.png, .json           the newest reference (as it always was)
    <folder>/<camera_id>.bank/<ms>.png, .json  every reference of the camera's bank
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from adapters.video.analysis import Banked, Reference
from adapters.video.conditions import LightConditions
from adapters.video.frames import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReferenceInfo:
    """What the API reports about a camera's reference."""

    camera_id: str
    captured_at: float
    path: Path
    frames_used: int
    light: str | None = None
    """The light it was taken in (`infrared`, `bright`, `dim`), when measured."""
    automatic: bool = False
    """Taken by itself at a quiet time, not on command."""

    def to_dict(self) -> dict[str, object]:
        return {"camera_id": self.camera_id, "captured_at": self.captured_at,
                "path": str(self.path), "frames_used": self.frames_used,
                "light": self.light, "automatic": self.automatic}


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

    def bank_folder(self, camera_id: str) -> Path:
        return self.folder / f"{camera_id}.bank"

    def save(self, camera_id: str, reference: Reference, frames_used: int,
             automatic: bool = False, bank: list[Banked] | None = None) -> ReferenceInfo:
        """Write atomically (temporary file, then rename) as the newest reference and into
        the bank; bank entries not in `bank` (when given) are removed. Blocking, call off
        the loop."""
        self.folder.mkdir(parents=True, exist_ok=True)
        image_path = self.image_path(camera_id)
        ok, encoded = cv2.imencode(".png", reference.image)
        if not ok:
            raise OSError(f"cannot encode the reference of {camera_id}")
        meta: dict[str, object] = {"captured_at": reference.captured_at,
                                   "frames_used": frames_used, "automatic": automatic}
        if reference.conditions is not None:
            meta["conditions"] = reference.conditions.to_dict()
        _write_atomically(image_path, encoded.tobytes())
        _write_atomically(self.folder / f"{camera_id}.json", json.dumps(meta).encode())
        folder = self.bank_folder(camera_id)
        folder.mkdir(exist_ok=True)
        stem = f"{round(reference.captured_at * 1000)}"
        _write_atomically(folder / f"{stem}.png", encoded.tobytes())
        _write_atomically(folder / f"{stem}.json", json.dumps(meta).encode())
        if bank is not None:
            keep = {f"{round(r.captured_at * 1000)}" for r in bank} | {stem}
            for path in folder.iterdir():
                if path.suffix in (".png", ".json") and path.stem not in keep:
                    path.unlink(missing_ok=True)
        light = reference.conditions.label if reference.conditions else None
        return ReferenceInfo(camera_id, reference.captured_at, image_path, frames_used,
                             light, automatic)

    def load_bank(self, camera_id: str) -> list[Reference]:
        """Every reference of the bank, oldest first; the newest reference alone when
        there is no bank (references stored before banks existed)."""
        folder = self.bank_folder(camera_id)
        found = []
        if folder.is_dir():
            for meta_path in sorted(folder.glob("*.json")):
                loaded = self._read(camera_id, meta_path.with_suffix(".png"), meta_path)
                if loaded is not None:
                    found.append(loaded[0])
        if not found:
            primary = self.load(camera_id)
            return [primary[0]] if primary else []
        return sorted(found, key=lambda r: r.captured_at)

    def load(self, camera_id: str) -> tuple[Reference, ReferenceInfo] | None:
        """The stored reference, or None if there is none (or it is unreadable)."""
        return self._read(camera_id, self.image_path(camera_id),
                          self.folder / f"{camera_id}.json")

    def _read(self, camera_id: str, image_path: Path,
              meta_path: Path) -> tuple[Reference, ReferenceInfo] | None:
        if not image_path.exists() or not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
            captured_at = float(meta["captured_at"])
            frames_used = int(meta.get("frames_used", 1))
            automatic = bool(meta.get("automatic", False))
            conditions = LightConditions.from_dict(meta["conditions"]) \
                if "conditions" in meta else None
        except (OSError, ValueError, KeyError, TypeError, AssertionError) as err:
            log.warning("reference of camera %s is unreadable (%s); it needs a new one",
                        camera_id, err)
            return None
        if image is None:
            log.warning("reference image of camera %s is unreadable; it needs a new one",
                        camera_id)
            return None
        reference = Reference(np.asarray(image, dtype=np.uint8), captured_at, conditions)
        light = conditions.label if conditions else None
        return reference, ReferenceInfo(camera_id, captured_at, image_path, frames_used,
                                        light, automatic)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
