"""Passwords hashed with Argon2id (argon2-cffi's defaults: RFC 9106's second choice)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str) -> str | None:
    """Why `password` may not be used, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    return None


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; as slow for an unknown user (`stored_hash` None) as for
    a known one, so the time does not tell which names exist."""
    try:
        return _hasher.verify(stored_hash or _dummy(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy() -> str:
    """What an unknown user's password is checked against (hashed on the first login, not
    when the module is imported: every command line would pay for it)."""
    return _hasher.hash("not a password of anyone")
