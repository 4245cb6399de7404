"""The store's config: which database."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from gateway.core.config import StrictModel


class StoreConfig(StrictModel):
    path: Path = Field(default=Path("var/campusgw.db"), description="SQLite database file.")
