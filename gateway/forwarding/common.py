"""Config pieces every forwarding channel may use: retry backoff and client TLS."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from gateway.core.config import StrictModel


class RetryConfig(StrictModel):
    initial_s: float = Field(default=0.5, gt=0, description="First retry delay.")
    max_s: float = Field(default=4.0, gt=0, description=(
        "Longest retry delay: a receiver that comes back gets the queue within it."))


class ClientTlsConfig(StrictModel):
    ca_file: Path | None = Field(default=None, description="CA bundle to verify the server.")
    cert_file: Path | None = Field(default=None, description="Client certificate (mutual TLS).")
    key_file: Path | None = Field(default=None, description="Client private key (mutual TLS).")
    verify: bool = Field(default=True, description="Verify the server certificate.")

    @model_validator(mode="after")
    def _key_with_certificate(self) -> ClientTlsConfig:
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("key_file needs cert_file")
        return self
