"""The signature recipe, against vectors computed independently with `openssl dgst -hmac`."""

from __future__ import annotations

import pytest

from gateway.core.signing import (
    BAD_SIGNATURE,
    BAD_TIMESTAMP,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    STALE_TIMESTAMP,
    SignatureError,
    sign,
    verify,
)

# printf '<timestamp>.<body>' | openssl dgst -sha256 -hmac '<secret>'
VECTORS = [
    (b"police-demo-secret", 1767225600, b'{"alert_id":"a-1","revision":1}',
     "sha256=fc601358401ccf3e2ea0a2622abb9e6be7bfe632f2a5932372fc6574a3d85639"),
    (b"k", 1767225600, b"",
     "sha256=51010c39b0935e7ff09f30ec1551a67ce348a7a125cb09354b736e9e33c0be51"),
    ("密".encode(), 0, "校园".encode(),
     "sha256=d2a7f36c1b6eedf9c35ba055164cec9a2373a4b793431307af6c04a47cdaefac"),
]

NOW = 1_767_225_600.0
BODY = b'{"alert_id":"a-1","revision":1}'


@pytest.mark.parametrize(("secret", "timestamp", "body", "expected"), VECTORS)
def test_sign_matches_independent_vectors(secret: bytes, timestamp: int, body: bytes,
                                          expected: str) -> None:
    assert sign(secret, timestamp, body) == expected


@pytest.mark.parametrize(("secret", "timestamp", "body", "expected"), VECTORS)
def test_verify_accepts_vectors_inside_window(secret: bytes, timestamp: int, body: bytes,
                                              expected: str) -> None:
    assert verify(secret, str(timestamp), body, expected, now=timestamp + 10) == timestamp


def test_negative_timestamp_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="negative"):
        sign(b"k", -1, b"")


def _reason(secret: bytes, timestamp: str | None, body: bytes, signature: str | None,
            now: float = NOW, window_s: float = 300) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(secret, timestamp, body, signature, now=now, window_s=window_s)
    return caught.value.reason


def test_tampered_body_wrong_secret_and_garbage_are_bad_signatures() -> None:
    good = sign(b"s", int(NOW), BODY)
    assert _reason(b"s", str(int(NOW)), BODY + b" ", good) == BAD_SIGNATURE
    assert _reason(b"other", str(int(NOW)), BODY, good) == BAD_SIGNATURE
    assert _reason(b"s", str(int(NOW)), BODY, good.replace("sha256=", "sha1=")) == BAD_SIGNATURE
    assert _reason(b"s", str(int(NOW)), BODY, "sha256=ünïcode") == BAD_SIGNATURE
    # the signature binds the timestamp too
    assert _reason(b"s", str(int(NOW) + 1), BODY, good) == BAD_SIGNATURE


def test_missing_or_malformed_headers() -> None:
    good = sign(b"s", int(NOW), BODY)
    assert _reason(b"s", str(int(NOW)), BODY, None) == MISSING_SIGNATURE
    assert _reason(b"s", None, BODY, good) == MISSING_TIMESTAMP
    for malformed in ("0x10", "1.5", "-5", " 1767225600", "01767225600", "9" * 13):
        assert _reason(b"s", malformed, BODY, good) == BAD_TIMESTAMP


def test_window_is_inclusive_and_symmetric() -> None:
    sent = int(NOW)
    signature = sign(b"s", sent, BODY)
    assert verify(b"s", str(sent), BODY, signature, now=NOW + 300) == sent
    assert verify(b"s", str(sent), BODY, signature, now=NOW - 300) == sent
    assert _reason(b"s", str(sent), BODY, signature, now=NOW + 300.5) == STALE_TIMESTAMP
    assert _reason(b"s", str(sent), BODY, signature, now=NOW - 301) == STALE_TIMESTAMP
    assert _reason(b"s", str(sent), BODY, signature, now=NOW + 31, window_s=30) == STALE_TIMESTAMP
