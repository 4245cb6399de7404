"""Signed HTTP(S) delivery shared by the linkage channels (police JSON, CAP XML): one POST
per attempt, HMAC-SHA256 signed over the timestamp and the body, with the alert revision's
idempotency key. See docs/linkage.md."""

from __future__ import annotations

import asyncio
import errno
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import Field, SecretStr

from gateway.core.clock import Clock
from gateway.core.config import StrictModel
from gateway.core.health import Health, Tracker
from gateway.core.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from gateway.forwarding.channel import DeliveryError, DeliveryRejected, Receipt
from gateway.forwarding.common import ClientTlsConfig, RetryConfig

DUPLICATE_STATUS = 409
_MAX_REASON_CHARS = 200


class SignedHttpConfig(StrictModel):
    """The settings every signed HTTP(S) channel has; a channel's config model adds its
    `type:` and `id:` (and its own fields)."""

    url: str = Field(description="Receiver URL.", pattern=r"^https?://")
    secret: SecretStr = Field(description="Shared secret for the HMAC-SHA256 signature.")
    timeout_s: float = Field(default=5.0, gt=0, description="Timeout for one delivery attempt.")
    tls: ClientTlsConfig | None = Field(default=None, description="TLS and mutual-TLS settings.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry backoff.")
    forward_drills: bool = Field(default=False, description="Also forward drill alerts.")
    accept_within_s: float | None = Field(
        default=None, gt=0, description="Raise an alert when the platform has not said "
        "`accepted` this long after an alert was first delivered (it sends statuses back: "
        "docs/linkage.md); none: do not watch.")


class SignedPoster:
    """Posts bodies to one receiver, signed with HMAC-SHA256, and tracks the link.

    `post()` makes exactly one attempt; the outbox worker retries. A 2xx answer, or a 409
    meaning the receiver already has this idempotency key, is a delivery; anything else
    raises `DeliveryError` naming the status, the refusal or the timeout. Each attempt is
    signed afresh (new timestamp); `health` is degraded from the first failed attempt
    until the next delivery.
    """

    def __init__(self, config: SignedHttpConfig, clock: Clock) -> None:
        self._url = config.url
        self._secret = config.secret.get_secret_value().encode("utf-8")
        self._timeout_s = config.timeout_s
        self._clock = clock
        # Loaded now so that a wrong certificate path stops the gateway at startup.
        self._ssl = client_ssl_context(config.tls or ClientTlsConfig())
        self._session: aiohttp.ClientSession | None = None
        self._link = Tracker(clock.now())

    @property
    def health(self) -> Health:
        """The link's state as the last attempt found it (ok before any attempt)."""
        return self._link.health

    def on_health_change(self, listener: Callable[[], None]) -> None:
        self._link.listen(listener)

    def fail(self, reason: str) -> None:
        """Record an attempt that failed before it could be posted (e.g. encoding)."""
        self._link.fail(reason, self._clock.now())

    async def post(self, body: bytes, content_type: str, idempotency_key: str) -> Receipt:
        """One signed attempt to deliver `body`."""
        timestamp = int(self._clock.now())
        headers = {
            "Content-Type": content_type,
            IDEMPOTENCY_HEADER: idempotency_key,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        try:
            receipt = _receipt(await self._send(body, headers))
        except DeliveryError as exc:
            self._link.fail(str(exc), self._clock.now())
            raise
        self._link.recover(self._clock.now())
        return receipt

    async def close(self) -> None:
        """Close the HTTP session; a later attempt opens a new one."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _send(self, body: bytes, headers: dict[str, str]) -> _Answer:
        session = self._http_session()
        try:
            async with asyncio.timeout(self._timeout_s), session.post(
                    self._url, data=body, headers=headers, allow_redirects=False) as response:
                return _Answer(response.status, response.reason or "", await response.read())
        except TimeoutError as exc:
            raise DeliveryError(f"timeout after {self._timeout_s:g} s [{self._url}]") from exc
        except (aiohttp.ClientError, OSError) as exc:
            reason = _failure(exc, tls=self._url.startswith("https:"))
            raise DeliveryError(f"{reason} [{self._url}]") from exc

    def _http_session(self) -> aiohttp.ClientSession:
        """The one shared session (keep-alive), created inside the running loop on first
        use. aiohttp rather than httpx: about half the time per request on loopback."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._ssl, limit=4),
                trust_env=False, skip_auto_headers=("User-Agent",))
        return self._session


def client_ssl_context(tls: ClientTlsConfig) -> ssl.SSLContext:
    """The client side of (mutual) TLS as configured: the system's trust store unless
    `ca_file` names another, and a client certificate when `cert_file` is given.

    A file that cannot be read raises OSError naming its setting and path."""
    try:
        context = ssl.create_default_context(
            cafile=str(tls.ca_file) if tls.ca_file is not None else None)
    except OSError as exc:
        raise _unreadable(exc, ca_file=tls.ca_file) from exc
    if not tls.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.cert_file is not None:
        try:
            context.load_cert_chain(
                str(tls.cert_file), str(tls.key_file) if tls.key_file is not None else None)
        except OSError as exc:
            raise _unreadable(exc, cert_file=tls.cert_file, key_file=tls.key_file) from exc
    return context


def _unreadable(exc: OSError, **files: Path | None) -> OSError:
    """What went wrong loading TLS files, naming the settings and the files."""
    named = ", ".join(f"tls.{setting} {path}" for setting, path in files.items()
                      if path is not None)
    return OSError(f"{named}: {exc.strerror or exc}")


RETRIED_CLIENT_ERRORS = frozenset({401, 403, 408, 425, 429})
"""Refusals that may pass (a wrong or rotated secret, a clock, a timeout, a rate limit):
retried. Any other 4xx refuses the document itself, for good."""


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    reason: str
    content: bytes


def _receipt(response: _Answer) -> Receipt:
    status = response.status
    payload = _json_object(response)
    if 200 <= status < 300 or status == DUPLICATE_STATUS:
        receipt_id = payload.get("receipt_id")
        detail = f"{status} duplicate" if status == DUPLICATE_STATUS else str(status)
        return Receipt(str(receipt_id) if receipt_id is not None else None, detail)
    reason = payload.get("error") or payload.get("detail") or response.reason
    message = f"{status} {str(reason)[:_MAX_REASON_CHARS]}".rstrip()
    if 400 <= status < 500 and status not in RETRIED_CLIENT_ERRORS:
        raise DeliveryRejected(message)
    raise DeliveryError(message)


def _json_object(response: _Answer) -> dict[str, Any]:
    try:
        payload = json.loads(response.content)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _failure(exc: BaseException, tls: bool) -> str:
    """A short reason for a transport failure: refused, reset, TLS, ..."""
    for cause in _chain(exc):
        errno_code = cause.errno if isinstance(cause, OSError) else None
        if isinstance(cause, ConnectionRefusedError) or errno_code == errno.ECONNREFUSED:
            return "connection refused"
        if isinstance(cause, aiohttp.ClientConnectorCertificateError):
            return f"TLS certificate not trusted: {cause.certificate_error}"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {cause.reason or cause}"
        reset = isinstance(cause, (ConnectionResetError, aiohttp.ServerDisconnectedError))
        if reset or errno_code == errno.ECONNRESET:
            hint = " (with TLS: client certificate missing or refused?)" if tls else ""
            return f"connection reset by peer{hint}"
        if isinstance(cause, OSError) and cause.strerror:
            return f"network error: {cause.strerror}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
