"""Request signing for linkage receivers: HMAC-SHA256 over the timestamp and the body.

The sender signs ``b"<timestamp>." + body`` with the shared secret and sends the result
as ``sha256=<hex>``; the receiver recomputes it, compares in constant time and checks
that the timestamp is within its window. See docs/linkage.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re

SIGNATURE_HEADER = "X-Campusgw-Signature"
TIMESTAMP_HEADER = "X-Campusgw-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_PREFIX = "sha256="
DEFAULT_WINDOW_S = 300.0

_TIMESTAMP = re.compile(r"^(0|[1-9][0-9]{0,11})$")


class SignatureError(Exception):
    """A request whose signature or timestamp does not hold; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The reasons a receiver gives, also used as keys of its rejection counts.
MISSING_SIGNATURE = "missing signature"
MISSING_TIMESTAMP = "missing timestamp"
BAD_TIMESTAMP = "bad timestamp"
BAD_SIGNATURE = "bad signature"
STALE_TIMESTAMP = "timestamp outside window"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of b"<timestamp>." + body>``, keyed with `secret`."""
    if timestamp < 0:
        raise ValueError("timestamp must be unix seconds, not negative")
    message = str(timestamp).encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(secret: bytes, timestamp: str | None, body: bytes, signature: str | None, *,
           now: float, window_s: float = DEFAULT_WINDOW_S) -> int:
    """Check one received request; return its timestamp or raise `SignatureError`.

    `timestamp` and `signature` are the header values as received (None when absent).
    The timestamp must be plain decimal unix seconds and lie within `window_s` of `now`
    in either direction; the signature is compared in constant time, and checked before
    the window so that a wrong secret always reads as a bad signature.
    """
    if not signature:
        raise SignatureError(MISSING_SIGNATURE)
    if not timestamp:
        raise SignatureError(MISSING_TIMESTAMP)
    if not _TIMESTAMP.match(timestamp):
        raise SignatureError(BAD_TIMESTAMP)
    sent_at = int(timestamp)
    expected = sign(secret, sent_at, body).encode("ascii")
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8")):
        raise SignatureError(BAD_SIGNATURE)
    if abs(now - sent_at) > window_s:
        raise SignatureError(STALE_TIMESTAMP)
    return sent_at
