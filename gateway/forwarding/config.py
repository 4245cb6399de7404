"""Forwarding channels' config: one model per channel `type:`, a discriminated union."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from gateway.core.config import StrictModel


class RetryConfig(StrictModel):
    initial_s: float = Field(default=0.5, gt=0, description="First retry delay.")
    max_s: float = Field(default=30.0, gt=0, description="Longest retry delay.")


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


class PoliceHttpChannelConfig(StrictModel):
    """HTTP(S) POST to the police linkage platform (公安联网报警平台), signed."""

    type: Literal["police_http"]
    id: str = Field(description="Channel id that rules name.")
    url: str = Field(description="Receiver URL.", pattern=r"^https?://")
    secret: SecretStr = Field(description="Shared secret for the HMAC-SHA256 signature.")
    timeout_s: float = Field(default=5.0, gt=0, description="Timeout for one delivery attempt.")
    tls: ClientTlsConfig | None = Field(default=None, description="TLS and mutual-TLS settings.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry backoff.")
    forward_drills: bool = Field(default=False, description="Also forward drill alerts.")


class FileChannelConfig(StrictModel):
    """Appends alert documents as JSON lines, for sites without an endpoint."""

    type: Literal["file"]
    id: str = Field(description="Channel id that rules name.")
    path: Path = Field(description="JSON-lines file to append to.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry backoff.")
    forward_drills: bool = Field(default=True, description="Also write drill alerts.")


ChannelConfig = Annotated[PoliceHttpChannelConfig | FileChannelConfig,
                          Field(discriminator="type")]
