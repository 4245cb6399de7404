"""WS-Security UsernameToken checking as a camera does it: password digest, a
`Created` time that must be close to the camera's own clock, and nonces that may be
used only once (replay protection)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from simulators.camera.soap import NAMESPACES, SoapFault

PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/"
                   "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")


def _not_authorized(reason: str) -> SoapFault:
    return SoapFault("Sender", "ter:NotAuthorized", reason)


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)), as WS-Security defines it."""
    raw = hashlib.sha1(nonce + created.encode() + password.encode()).digest()
    return base64.b64encode(raw).decode()


def parse_xml_datetime(value: str) -> float:
    """Unix seconds of an xs:dateTime; a time without zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _not_authorized(f"bad Created time {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


class UsernameTokenVerifier:
    """Checks the security header of requests to one camera.

    `window_s` is how far `Created` may be from the camera's clock; a nonce seen within
    twice that window is a replay.
    """

    def __init__(self, username: str, password: str, window_s: float = 10.0) -> None:
        self.username = username
        self.password = password
        self.window_s = window_s
        self._seen: dict[str, float] = {}

    def reset(self) -> None:
        """Forget seen nonces (a reboot)."""
        self._seen.clear()

    def verify(self, header: Any, camera_now: float) -> None:
        """Raise a `ter:NotAuthorized` fault unless the header proves the password."""
        token = None if header is None else header.find(
            "wsse:Security/wsse:UsernameToken", NAMESPACES)
        if token is None:
            raise _not_authorized("sender not authorized: no UsernameToken")
        username = token.findtext("wsse:Username", default="", namespaces=NAMESPACES)
        password_el = token.find("wsse:Password", NAMESPACES)
        nonce_text = token.findtext("wsse:Nonce", default="", namespaces=NAMESPACES)
        created = token.findtext("wsu:Created", default="", namespaces=NAMESPACES)
        if password_el is None or username.strip() != self.username:
            raise _not_authorized("sender not authorized: unknown user")
        given = (password_el.text or "").strip()
        if password_el.get("Type", PASSWORD_DIGEST) != PASSWORD_DIGEST:
            if not hmac.compare_digest(given, self.password):
                raise _not_authorized("sender not authorized: wrong password")
            return
        if not nonce_text or not created:
            raise _not_authorized("sender not authorized: digest needs Nonce and Created")
        try:
            nonce = base64.b64decode(nonce_text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise _not_authorized("sender not authorized: bad nonce") from None
        expected = password_digest(nonce, created.strip(), self.password)
        if not hmac.compare_digest(given, expected):
            raise _not_authorized("sender not authorized: wrong password")
        skew = parse_xml_datetime(created) - camera_now
        if abs(skew) > self.window_s:
            raise _not_authorized(
                f"sender not authorized: Created is {skew:+.0f} s off the camera clock")
        self._remember(nonce_text.strip(), camera_now)

    def _remember(self, nonce: str, camera_now: float) -> None:
        for old, expires in list(self._seen.items()):
            if expires < camera_now:
                del self._seen[old]
        if nonce in self._seen:
            raise _not_authorized("sender not authorized: nonce replayed")
        self._seen[nonce] = camera_now + 2 * self.window_s
