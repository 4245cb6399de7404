"""A small synchronous client for the simulator's control API, for tests in other processes."""

from __future__ import annotations

from typing import Any

import httpx

from simulators.police.receiver import Mode, ModeName


class PoliceControl:
    """Talks to `PoliceSimulator.control_url` (e.g. http://127.0.0.1:8092)."""

    def __init__(self, control_url: str, timeout_s: float = 10.0) -> None:
        self._client = httpx.Client(base_url=control_url.rstrip("/"), timeout=timeout_s,
                                    trust_env=False)

    def set_mode(self, mode: ModeName, *, status: int = 503, delay_s: float = 2.0) -> Mode:
        """Switch to `ok`, `fail` (answer `status`), `delay` (by `delay_s`) or `refuse`."""
        wanted = Mode(mode=mode, status=status, delay_s=delay_s)
        response = self._client.post("/control", json=wanted.model_dump())
        response.raise_for_status()
        return Mode.model_validate(response.json())

    def received(self) -> list[dict[str, Any]]:
        """Every accepted record: idempotency_key, alert_id, revision, document, ..."""
        response = self._client.get("/received")
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()
        return records

    def stats(self) -> dict[str, Any]:
        """Counts: received, duplicates, out_of_order, rejected by reason."""
        response = self._client.get("/stats")
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def close(self) -> None:
        self._client.close()
