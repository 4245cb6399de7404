"""Who may do what: operator accounts, their sessions, API tokens and the audit log, as
the store keeps them, and the repository interfaces the store implements for them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class Role(StrEnum):
    """Each role may do everything the roles before it may."""

    VIEWER = "viewer"
    """Reads alerts, devices, modes, evidence."""
    OPERATOR = "operator"
    """Also works alerts: acknowledges, resolves, closes what is not latched."""
    SUPERVISOR = "supervisor"
    """Also closes latched alerts, starts and ends drills and maintenance, reads the audit."""
    SAFETY_CHIEF = "safety_chief"
    """Also makes the second review that closes a major hazard (重大隐患)."""
    ADMIN = "admin"
    """Also manages users and API tokens."""

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True, slots=True)
class User:
    name: str
    display_name: str
    role: Role
    password_hash: str
    disabled: bool
    language: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a logged-in user or an API token. `name` is the actor of
    every action, in the alert history and the audit."""

    name: str
    role: Role
    kind: str
    """"user" (a browser session) or "token"."""
    session_id: str | None = None
    csrf_token: str | None = None
    language: str = "zh-CN"
    """The console's language for this user."""

    def allows(self, needed: Role) -> bool:
        return self.role.allows(needed)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A browser session; the store keeps only the hash of its id."""

    id_hash: str
    user: str
    csrf_token: str
    created_at: float
    last_seen: float
    address: str
    revoked_at: float | None = None


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A machine client's token; the store keeps only the hash of its secret."""

    name: str
    role: Role
    token_hash: str
    created_at: float
    created_by: str
    revoked_at: float | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log, chained to the one before by `prev_hash`."""

    seq: int
    at: float
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    address: str
    prev_hash: str
    hash: str


GENESIS = "0" * 64
"""The `prev_hash` of the first line."""


def audit_hash(seq: int, at: float, actor: str, action: str, target: str,
               detail: dict[str, Any], address: str, prev_hash: str) -> str:
    """SHA-256 over the line's fields and the previous line's hash, canonically encoded."""
    text = json.dumps([seq, repr(at), actor, action, target, detail, address, prev_hash],
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_chain(entries: list[AuditEntry]) -> list[str]:
    """The problems of an audit log read in order: a missing line (a gap in the sequence),
    a line whose content was altered, or a line not chained to the one before."""
    problems: list[str] = []
    previous, expected_seq = GENESIS, 1
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(f"line {expected_seq}"
                            + (f"-{entry.seq - 1}" if entry.seq - 1 > expected_seq else "")
                            + " missing")
        elif entry.prev_hash != previous:
            problems.append(f"line {entry.seq}: not chained to line {entry.seq - 1}")
        if audit_hash(entry.seq, entry.at, entry.actor, entry.action, entry.target,
                      entry.detail, entry.address, entry.prev_hash) != entry.hash:
            problems.append(f"line {entry.seq}: altered (its hash does not match its content)")
        previous, expected_seq = entry.hash, entry.seq + 1
    return problems


class UserRepository(Protocol):
    async def add(self, user: User) -> bool:
        """Store a new user; False if the name is taken."""
        ...

    async def get(self, name: str) -> User | None: ...

    async def all(self) -> list[User]: ...

    async def update(self, name: str, *, password_hash: str | None = None,
                     role: Role | None = None, disabled: bool | None = None,
                     language: str | None = None) -> bool:
        """Change what is given; False if there is no such user."""
        ...


class SessionRepository(Protocol):
    async def add(self, session: SessionRecord) -> None: ...

    async def get(self, id_hash: str) -> SessionRecord | None: ...

    async def touch(self, id_hash: str, at: float) -> None: ...

    async def revoke(self, id_hash: str, at: float) -> None: ...

    async def revoke_user(self, user: str, at: float) -> int:
        """Revoke every session of `user`; how many were live."""
        ...


class TokenRepository(Protocol):
    async def add(self, token: ApiToken) -> bool:
        """Store a new token; False if the name is taken."""
        ...

    async def by_hash(self, token_hash: str) -> ApiToken | None: ...

    async def all(self) -> list[ApiToken]: ...

    async def revoke(self, name: str, at: float) -> bool: ...


class AuditRepository(Protocol):
    async def append(self, at: float, actor: str, action: str, target: str,
                     detail: dict[str, Any], address: str) -> AuditEntry:
        """Chain a new line to the last one, in one transaction."""
        ...

    async def entries(self, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        """Lines in order, from the one after `after`."""
        ...

    async def newest(self, limit: int) -> list[AuditEntry]:
        """The last lines, newest first."""
        ...
