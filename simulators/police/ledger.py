"""What the simulated police platform has received: one record per idempotency key."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class ReceivedAlert:
    """One accepted alert document, as the receiver recorded it."""

    idempotency_key: str
    alert_id: str | None
    revision: int | None
    document: dict[str, Any]
    received_at: float
    receipt_id: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReceivedAlert:
        return cls(idempotency_key=str(data["idempotency_key"]), alert_id=data.get("alert_id"),
                   revision=data.get("revision"), document=dict(data["document"]),
                   received_at=float(data["received_at"]), receipt_id=str(data["receipt_id"]))


class Ledger:
    """Records by idempotency key, with receipt ids, duplicate and ordering counts.

    With a `record_file`, every new record is appended to it as a JSON line and `load()`
    reads them back, so a restarted receiver still recognises what it already has.
    """

    def __init__(self, record_file: Path | None = None) -> None:
        self.record_file = record_file
        self.records: list[ReceivedAlert] = []
        self.duplicates = 0
        self.out_of_order = 0
        self.rejected: Counter[str] = Counter()
        self._by_key: dict[str, ReceivedAlert] = {}
        self._latest_revision: dict[str, int] = {}
        self._write_lock = threading.Lock()
        self._loaded = False

    def load(self) -> None:
        """Read the record file once (blocking: call it off the event loop)."""
        if self._loaded:
            return
        self._loaded = True
        if self.record_file is None or not self.record_file.exists():
            return
        with self.record_file.open("rb") as file:
            for raw in file:
                if raw.strip():
                    self._remember(ReceivedAlert.from_json(json.loads(raw)))

    def find(self, idempotency_key: str) -> ReceivedAlert | None:
        """The record already held for this key, counting the repeat."""
        record = self._by_key.get(idempotency_key)
        if record is not None:
            self.duplicates += 1
        return record

    def add(self, idempotency_key: str, document: dict[str, Any],
            received_at: float) -> ReceivedAlert:
        """Record a new document and give it the next receipt id."""
        alert_id = document.get("alert_id")
        revision = document.get("revision")
        record = ReceivedAlert(
            idempotency_key=idempotency_key,
            alert_id=alert_id if isinstance(alert_id, str) else None,
            revision=revision if isinstance(revision, int) else None,
            document=document, received_at=received_at,
            receipt_id=f"police-{len(self.records) + 1:06d}")
        if (record.alert_id is not None and record.revision is not None
                and record.revision < self._latest_revision.get(record.alert_id, -1)):
            self.out_of_order += 1
        self._remember(record)
        return record

    def persist(self, record: ReceivedAlert) -> None:
        """Append one record to the record file (blocking: call it off the event loop)."""
        if self.record_file is None:
            return
        line = json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._write_lock:
            self.record_file.parent.mkdir(parents=True, exist_ok=True)
            with self.record_file.open("a", encoding="utf-8") as file:
                file.write(line)
                file.flush()

    def stats(self) -> dict[str, Any]:
        return {"received": len(self.records), "duplicates": self.duplicates,
                "out_of_order": self.out_of_order, "rejected": dict(self.rejected)}

    def _remember(self, record: ReceivedAlert) -> None:
        self.records.append(record)
        self._by_key[record.idempotency_key] = record
        if record.alert_id is not None and record.revision is not None:
            latest = self._latest_revision.get(record.alert_id, record.revision)
            self._latest_revision[record.alert_id] = max(latest, record.revision)
