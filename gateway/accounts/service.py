"""The accounts service: logging in and out, telling who a request is, managing users and
API tokens, and writing the audit log. Every change it makes is audited."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, replace
from typing import Any

from gateway.accounts.passwords import hash_password, password_problem, verify_password
from gateway.accounts.throttle import LoginThrottle, ThrottleRule
from gateway.core.accounts import (
    ApiToken,
    AuditEntry,
    AuditRepository,
    Principal,
    Role,
    SessionRecord,
    SessionRepository,
    TokenRepository,
    User,
    UserRepository,
)
from gateway.core.clock import Clock

log = logging.getLogger(__name__)

TOKEN_PREFIX = "cgw_"
_USER_NAME = re.compile(r"[\w.-]+")


class LoginRefused(Exception):
    """Wrong name or password, a disabled account, or a lockout (`locked`)."""

    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


class AccountError(Exception):
    """A user or token change that cannot be made (taken name, weak password, ...)."""


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle_s: float = 1800.0
    """A session unused this long is over."""
    max_s: float = 12 * 3600.0
    """No session lives longer (a shift and a half)."""
    touch_s: float = 60.0
    """How often a used session's last use is written."""


@dataclass(frozen=True, slots=True)
class LoggedIn:
    principal: Principal
    session_id: str
    """The cookie's value: shown to the browser only, stored hashed."""


def digest(secret: str) -> str:
    """How session ids and API tokens are stored: their SHA-256 (they are random 256-bit
    values, so a slow hash adds nothing)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountService:
    def __init__(self, users: UserRepository, sessions: SessionRepository,
                 tokens: TokenRepository, audit: AuditRepository, clock: Clock,
                 policy: SessionPolicy | None = None,
                 throttle: ThrottleRule | None = None) -> None:
        self.users, self.sessions, self.tokens = users, sessions, tokens
        self.audit_log = audit
        self.clock = clock
        self.policy = policy or SessionPolicy()
        self.throttle = LoginThrottle(throttle or ThrottleRule())
        self._live: dict[str, SessionRecord] = {}
        """Sessions seen lately, by id hash (saves a store read per request)."""
        self._fixed_tokens: dict[str, Principal] = {}

    def add_fixed_token(self, secret: str, name: str, role: Role) -> None:
        """A token from the config (not the store), e.g. for a deployment's integration."""
        self._fixed_tokens[digest(secret)] = Principal(f"token:{name}", role, "token")

    # -- audit --------------------------------------------------------------------------

    async def audit(self, actor: str, action: str, target: str = "",
                    detail: dict[str, Any] | None = None, address: str = "") -> AuditEntry:
        return await self.audit_log.append(self.clock.now(), actor, action, target,
                                        detail or {}, address)

    # -- logging in ---------------------------------------------------------------------

    async def login(self, name: str, password: str, address: str) -> LoggedIn:
        now = self.clock.now()
        keys = (f"user:{name}", f"address:{address}")
        locked = self.throttle.locked(keys, now)
        if locked is not None:
            await self.audit(name, "login.refused_locked", locked, address=address)
            raise LoginRefused("too many failed logins: try again later", locked=True)
        user = await self.users.get(name)
        good = await asyncio.to_thread(verify_password,
                                       None if user is None else user.password_hash, password)
        if user is None or not good or user.disabled:
            why = "disabled" if user is not None and good else "bad name or password"
            await self.audit(name, "login.failed", name, {"why": why}, address)
            for key in self.throttle.failed(keys, now):
                await self.audit(name, "login.locked", key,
                                 {"for_s": self.throttle.rule.lockout_s}, address)
                log.warning("logins locked out for %s after repeated failures", key)
            raise LoginRefused("bad name or password" if why != "disabled"
                               else "this account is disabled")
        self.throttle.succeeded(keys)
        session_id = secrets.token_urlsafe(32)
        record = SessionRecord(digest(session_id), user.name, secrets.token_urlsafe(24), now,
                               now, address)
        await self.sessions.add(record)
        self._live[record.id_hash] = record
        await self.audit(user.name, "login", user.name, {"role": user.role.value}, address)
        return LoggedIn(self._principal(user, record), session_id)

    async def logout(self, principal: Principal, address: str) -> None:
        if principal.session_id is None:
            return
        await self.sessions.revoke(principal.session_id, self.clock.now())
        self._live.pop(principal.session_id, None)
        await self.audit(principal.name, "logout", principal.name, address=address)

    async def by_session(self, session_id: str) -> Principal | None:
        """The user of a live session cookie, or None (unknown, revoked, idle, too old, or
        its user disabled)."""
        id_hash, now = digest(session_id), self.clock.now()
        record = self._live.get(id_hash) or await self.sessions.get(id_hash)
        if (record is None or record.revoked_at is not None
                or now - record.last_seen > self.policy.idle_s
                or now - record.created_at > self.policy.max_s):
            self._live.pop(id_hash, None)
            return None
        user = await self.users.get(record.user)
        if user is None or user.disabled:
            return None
        if now - record.last_seen >= self.policy.touch_s:
            record = replace(record, last_seen=now)
            await self.sessions.touch(id_hash, now)
        self._live[id_hash] = record
        return self._principal(user, record)

    async def by_token(self, secret: str) -> Principal | None:
        hashed = digest(secret)
        fixed = self._fixed_tokens.get(hashed)
        if fixed is not None:
            return fixed
        if not secret.startswith(TOKEN_PREFIX):
            return None
        token = await self.tokens.by_hash(hashed)
        if token is None or token.revoked_at is not None:
            return None
        return Principal(f"token:{token.name}", token.role, "token")

    @staticmethod
    def _principal(user: User, record: SessionRecord) -> Principal:
        return Principal(user.name, user.role, "user", record.id_hash, record.csrf_token,
                         user.language)

    # -- users and tokens ---------------------------------------------------------------

    async def add_user(self, name: str, password: str, role: Role, actor: str,
                       display_name: str = "", language: str = "zh-CN") -> User:
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        if not _USER_NAME.fullmatch(name):
            raise AccountError("a user name is letters, digits, '-', '_' and '.'")
        user = User(name, display_name or name, role,
                    await asyncio.to_thread(hash_password, password), False, language,
                    self.clock.now())
        if not await self.users.add(user):
            raise AccountError(f"user {name!r} exists")
        await self.audit(actor, "user.add", name, {"role": role.value})
        return user

    async def set_password(self, name: str, password: str, actor: str) -> None:
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        hashed = await asyncio.to_thread(hash_password, password)
        if not await self.users.update(name, password_hash=hashed):
            raise AccountError(f"no user {name!r}")
        await self._end_sessions(name)
        await self.audit(actor, "user.passwd", name)

    async def set_disabled(self, name: str, disabled: bool, actor: str) -> None:
        if not await self.users.update(name, disabled=disabled):
            raise AccountError(f"no user {name!r}")
        if disabled:
            await self._end_sessions(name)
        await self.audit(actor, "user.disable" if disabled else "user.enable", name)

    async def set_language(self, name: str, language: str, address: str = "") -> None:
        """The user's own choice of the console's language."""
        if not await self.users.update(name, language=language):
            raise AccountError(f"no user {name!r}")
        await self.audit(name, "user.language", name, {"language": language}, address)

    async def set_role(self, name: str, role: Role, actor: str) -> None:
        if not await self.users.update(name, role=role):
            raise AccountError(f"no user {name!r}")
        await self.audit(actor, "user.role", name, {"role": role.value})

    async def _end_sessions(self, name: str) -> None:
        await self.sessions.revoke_user(name, self.clock.now())
        for id_hash, record in list(self._live.items()):
            if record.user == name:
                del self._live[id_hash]

    async def issue_token(self, name: str, role: Role, actor: str) -> str:
        """A new API token: its secret is returned once and stored only hashed."""
        secret = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
        token = ApiToken(name, role, digest(secret), self.clock.now(), actor)
        if not await self.tokens.add(token):
            raise AccountError(f"token {name!r} exists")
        await self.audit(actor, "token.add", name, {"role": role.value})
        return secret

    async def revoke_token(self, name: str, actor: str) -> None:
        if not await self.tokens.revoke(name, self.clock.now()):
            raise AccountError(f"no live token {name!r}")
        await self.audit(actor, "token.revoke", name)
