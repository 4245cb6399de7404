"""The file channel: alert documents appended as JSON lines, for sites without an endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from gateway.core.clock import Clock, SystemClock
from gateway.core.config import StrictModel
from gateway.core.health import Health, Tracker
from gateway.forwarding.channel import DeliveryError, ForwardJob, Receipt
from gateway.forwarding.common import RetryConfig
from gateway.forwarding.document import alert_document


class FileChannelConfig(StrictModel):
    """Appends alert documents as JSON lines, for sites without an endpoint."""

    type: Literal["file"]
    id: str = Field(description="Channel id that rules name.")
    path: Path = Field(description="JSON-lines file to append to.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry backoff.")
    forward_drills: bool = Field(default=True, description="Also write drill alerts.")


class FileChannel:
    """Appends one JSON line per job, flushed and fsynced before the receipt is given.

    Each line is ``{"idempotency_key", "alert_id", "revision", "document"}``. A job whose
    idempotency key is already in the file is not written again: its receipt names the
    line that holds it, so a retried delivery leaves one line, as a receiver would.
    `health()` is degraded from a failed write until the next one succeeds.
    """

    def __init__(self, config: FileChannelConfig, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or SystemClock()
        self._link = Tracker(self._clock.now())
        self.id = config.id
        self.forward_drills = config.forward_drills
        self._path = config.path
        self._lock = threading.Lock()
        self._lines: int | None = None
        self._torn = False
        self._keys: dict[str, int] = {}

    async def deliver(self, job: ForwardJob) -> Receipt:
        record = {"idempotency_key": job.idempotency_key, "alert_id": job.alert_id,
                  "revision": job.revision, "document": alert_document(job.payload)}
        try:
            line, written = await asyncio.to_thread(self._append, job.idempotency_key, record)
        except OSError as exc:
            self._link.fail(f"cannot write {self._path}: {exc}", self._clock.now())
            raise DeliveryError(f"cannot write {self._path}: {exc}") from exc
        self._link.recover(self._clock.now())
        return Receipt(f"file:{line}", "written" if written else "duplicate")

    async def start(self) -> None:
        """Nothing to open: each write opens, appends, fsyncs and closes the file."""

    async def stop(self) -> None:
        """Nothing held open between writes."""

    def health(self) -> Health:
        return self._link.health

    def on_health_change(self, listener: Callable[[], None]) -> None:
        self._link.listen(listener)

    def _append(self, key: str, record: dict[str, Any]) -> tuple[int, bool]:
        """Write `record` unless `key` is already there; (its line number, written?)."""
        with self._lock:
            if self._lines is None:
                self._lines, self._torn = self._scan()
            if key in self._keys:
                return self._keys[key], False
            text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            try:
                self._write(text.encode("utf-8") + b"\n")
            except OSError:
                self._lines = None  # rescan next time: the file may hold part of the line
                self._keys.clear()
                raise
            self._lines += 1
            self._keys[key] = self._lines
            return self._lines, True

    def _write(self, line: bytes) -> None:
        created = not self._path.exists()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("ab") as file:
            if self._torn:
                file.write(b"\n")  # close off a line torn by a crash
                self._torn = False
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
        if created:
            _fsync_directory(self._path.parent)

    def _scan(self) -> tuple[int, bool]:
        """Count the lines already in the file and remember their idempotency keys;
        also say whether the last line was torn (no newline, e.g. after a crash)."""
        if not self._path.exists():
            return 0, False
        count = 0
        last = b"\n"
        with self._path.open("rb") as file:
            for count, raw in enumerate(file, start=1):
                last = raw
                key = _key_of(raw)
                if key is not None:
                    self._keys.setdefault(key, count)
        return count, not last.endswith(b"\n")


def _key_of(raw: bytes) -> str | None:
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    key = record.get("idempotency_key") if isinstance(record, dict) else None
    return key if isinstance(key, str) else None


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
