"""HTTP digest (RFC 7616, MD5, qop=auth) and basic authentication for snapshot URLs,
as IP cameras protect them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

REALM = "campusgw-camera"

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class HttpAuthenticator:
    """Accepts `Authorization: Digest ...` answering a nonce this camera issued, or
    `Authorization: Basic ...`, for one user name and password."""

    def __init__(self, username: str, password: str, realm: str = REALM) -> None:
        self.username = username
        self.password = password
        self.realm = realm
        self._nonces: set[str] = set()

    def challenge(self) -> str:
        """The `WWW-Authenticate` value of a 401 answer, with a fresh nonce."""
        nonce = secrets.token_hex(16)
        if len(self._nonces) > 1024:
            self._nonces.clear()
        self._nonces.add(nonce)
        return (f'Digest realm="{self.realm}", qop="auth", algorithm=MD5, '
                f'nonce="{nonce}", opaque="{_md5(self.realm)}"')

    def check(self, authorization: str | None, method: str) -> bool:
        if not authorization:
            return False
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() == "basic":
            return self._check_basic(rest.strip())
        if scheme.lower() == "digest":
            return self._check_digest(rest, method)
        return False

    def _check_basic(self, token: str) -> bool:
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        return (hmac.compare_digest(user, self.username)
                and hmac.compare_digest(password, self.password))

    def _check_digest(self, header: str, method: str) -> bool:
        params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                  for m in _PARAM.finditer(header)}
        nonce = params.get("nonce", "")
        if params.get("username") != self.username or nonce not in self._nonces:
            return False
        if params.get("realm") != self.realm:
            return False
        ha1 = _md5(f"{self.username}:{self.realm}:{self.password}")
        ha2 = _md5(f"{method}:{params.get('uri', '')}")
        qop = params.get("qop")
        if qop:
            expected = _md5(f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}"
                            f":{qop}:{ha2}")
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        return hmac.compare_digest(expected, params.get("response", ""))
