"""The police linkage channel (公安联网报警平台): one signed HTTP(S) POST per attempt."""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import httpx

from gateway.clock import Clock
from gateway.config.models import ClientTlsConfig, PoliceHttpChannelConfig
from gateway.forwarding.channel import DeliveryError, ForwardJob, Receipt
from gateway.forwarding.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)

DUPLICATE_STATUS = 409
_MAX_REASON_CHARS = 200


class PoliceHttpChannel:
    """Delivers alert documents to a linkage receiver over HTTP(S), signed with HMAC-SHA256.

    `deliver()` makes exactly one attempt; the outbox worker retries. A 2xx answer, or a
    409 meaning the receiver already has this idempotency key, is a delivery; anything
    else raises `DeliveryError` naming the status, the refusal or the timeout.
    """

    def __init__(self, config: PoliceHttpChannelConfig, clock: Clock) -> None:
        self.id = config.id
        self.forward_drills = config.forward_drills
        self._url = config.url
        self._secret = config.secret.get_secret_value().encode("utf-8")
        self._timeout_s = config.timeout_s
        self._clock = clock
        # Loaded now so that a wrong certificate path stops the gateway at startup.
        self._ssl = client_ssl_context(config.tls or ClientTlsConfig())
        self._client: httpx.AsyncClient | None = None

    async def deliver(self, job: ForwardJob) -> Receipt:
        try:
            body = job.body.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DeliveryError(f"body is not valid UTF-8 text: {exc}") from exc
        timestamp = int(self._clock.now())
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: job.idempotency_key,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        response = await self._post(body, headers)
        return _receipt(response)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        client = self._http_client()
        try:
            async with asyncio.timeout(self._timeout_s):
                return await client.post(self._url, content=body, headers=headers)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise DeliveryError(f"timeout after {self._timeout_s:g} s [{self._url}]") from exc
        except (httpx.HTTPError, OSError) as exc:
            reason = _failure(exc, tls=self._url.startswith("https:"))
            raise DeliveryError(f"{reason} [{self._url}]") from exc

    def _http_client(self) -> httpx.AsyncClient:
        """The one shared client, created inside the running loop on first use."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout_s), verify=self._ssl,
                follow_redirects=False, trust_env=False)
        return self._client


def client_ssl_context(tls: ClientTlsConfig) -> ssl.SSLContext:
    """The client side of (mutual) TLS as configured: the system's trust store unless
    `ca_file` names another, and a client certificate when `cert_file` is given."""
    if tls.key_file is not None and tls.cert_file is None:
        raise ValueError("tls.key_file needs tls.cert_file")
    context = ssl.create_default_context(
        cafile=str(tls.ca_file) if tls.ca_file is not None else None)
    if not tls.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.cert_file is not None:
        context.load_cert_chain(
            str(tls.cert_file), str(tls.key_file) if tls.key_file is not None else None)
    return context


def _receipt(response: httpx.Response) -> Receipt:
    status = response.status_code
    payload = _json_object(response)
    if 200 <= status < 300 or status == DUPLICATE_STATUS:
        receipt_id = payload.get("receipt_id")
        detail = f"{status} duplicate" if status == DUPLICATE_STATUS else str(status)
        return Receipt(str(receipt_id) if receipt_id is not None else None, detail)
    reason = payload.get("error") or payload.get("detail") or response.reason_phrase
    raise DeliveryError(f"{status} {str(reason)[:_MAX_REASON_CHARS]}".rstrip())


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = json.loads(response.content)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _failure(exc: BaseException, tls: bool) -> str:
    """A short reason for a transport failure: refused, reset, TLS, ..."""
    for cause in _chain(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {cause.reason or cause}"
        if isinstance(cause, ConnectionResetError):
            hint = " (with TLS: client certificate missing or refused?)" if tls else ""
            return f"connection reset by peer{hint}"
        if isinstance(cause, OSError) and cause.strerror:
            return f"network error: {cause.strerror}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
