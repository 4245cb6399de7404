"""The store's config: which database."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.core.config import StrictModel

BACKENDS = ("sqlite", "postgresql")


class StoreConfig(StrictModel):
    url: str | None = Field(
        default=None,
        description="Database URL: sqlite:///path/to/file.db (the default, embedded) or "
                    "postgresql://user:password@host:5432/database (psycopg 3). "
                    "When given, `path` is not used.",
        examples=["postgresql://campusgw@127.0.0.1/campusgw"])
    path: Path = Field(default=Path("var/campusgw.db"),
                       description="SQLite database file, when no `url` is given.")

    @field_validator("url")
    @classmethod
    def _known_backend(cls, url: str | None) -> str | None:
        if url is None:
            return None
        try:
            backend = make_url(url).get_backend_name()
        except ArgumentError:
            raise ValueError(f"not a database URL: {url!r}") from None
        if backend not in BACKENDS:
            raise ValueError(f"unknown database {backend!r}: use one of {', '.join(BACKENDS)}")
        return url

    @property
    def database_url(self) -> str:
        return self.url if self.url is not None else f"sqlite:///{self.path}"
