"""Operator accounts, browser sessions and API tokens in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from gateway.core.accounts import ApiToken, Role, SessionRecord, User
from gateway.store.database import Database
from gateway.store.schema import api_tokens, sessions, users

_USER = [users.c[n] for n in ("name", "display_name", "role", "password_hash", "disabled",
                              "language", "created_at")]
_SESSION = [sessions.c[n] for n in ("id_hash", "user_name", "csrf_token", "created_at",
                                    "last_seen", "address", "revoked_at")]
_TOKEN = [api_tokens.c[n] for n in ("name", "role", "token_hash", "created_at", "created_by",
                                    "revoked_at")]


def _user(row: Any) -> User:
    name, display, role, password_hash, disabled, language, created = row
    return User(name, display, Role(role), password_hash, bool(disabled), language, created)


def _token(row: Any) -> ApiToken:
    name, role, token_hash, created_at, created_by, revoked_at = row
    return ApiToken(name, Role(role), token_hash, created_at, created_by, revoked_at)


class SqlUsers:
    """`UserRepository`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, user: User) -> bool:
        statement = (self._db.insert(users).values(
            name=user.name, display_name=user.display_name, role=user.role.value,
            password_hash=user.password_hash, disabled=int(user.disabled),
            language=user.language, created_at=user.created_at)
            .on_conflict_do_nothing().returning(users.c.name))
        return await self._db.run(lambda c: c.execute(statement).first() is not None)

    async def get(self, name: str) -> User | None:
        query = select(*_USER).where(users.c.name == name)

        def get(c: Connection) -> User | None:
            row = c.execute(query).first()
            return None if row is None else _user(row)
        return await self._db.run(get)

    async def all(self) -> list[User]:
        query = select(*_USER).order_by(users.c.name)
        return await self._db.run(lambda c: [_user(r) for r in c.execute(query)])

    async def update(self, name: str, *, password_hash: str | None = None,
                     role: Role | None = None, disabled: bool | None = None,
                     language: str | None = None) -> bool:
        values: dict[str, Any] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if role is not None:
            values["role"] = role.value
        if disabled is not None:
            values["disabled"] = int(disabled)
        if language is not None:
            values["language"] = language
        statement = update(users).where(users.c.name == name).values(values)
        return await self._db.run(lambda c: c.execute(statement).rowcount > 0)


class SqlSessions:
    """`SessionRepository`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, session: SessionRecord) -> None:
        statement = sessions.insert().values(
            id_hash=session.id_hash, user_name=session.user, csrf_token=session.csrf_token,
            created_at=session.created_at, last_seen=session.last_seen,
            address=session.address, revoked_at=session.revoked_at)
        await self._db.run(lambda c: c.execute(statement))

    async def get(self, id_hash: str) -> SessionRecord | None:
        query = select(*_SESSION).where(sessions.c.id_hash == id_hash)

        def get(c: Connection) -> SessionRecord | None:
            row = c.execute(query).first()
            return None if row is None else SessionRecord(*row)
        return await self._db.run(get)

    async def touch(self, id_hash: str, at: float) -> None:
        statement = update(sessions).where(sessions.c.id_hash == id_hash).values(last_seen=at)
        await self._db.run(lambda c: c.execute(statement))

    async def revoke(self, id_hash: str, at: float) -> None:
        statement = (update(sessions).where(sessions.c.id_hash == id_hash,
                                            sessions.c.revoked_at.is_(None))
                     .values(revoked_at=at))
        await self._db.run(lambda c: c.execute(statement))

    async def revoke_user(self, user: str, at: float) -> int:
        statement = (update(sessions).where(sessions.c.user_name == user,
                                            sessions.c.revoked_at.is_(None))
                     .values(revoked_at=at))
        return await self._db.run(lambda c: int(c.execute(statement).rowcount))


class SqlTokens:
    """`TokenRepository`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, token: ApiToken) -> bool:
        statement = (self._db.insert(api_tokens).values(
            name=token.name, role=token.role.value, token_hash=token.token_hash,
            created_at=token.created_at, created_by=token.created_by,
            revoked_at=token.revoked_at)
            .on_conflict_do_nothing().returning(api_tokens.c.name))
        return await self._db.run(lambda c: c.execute(statement).first() is not None)

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        query = select(*_TOKEN).where(api_tokens.c.token_hash == token_hash)

        def get(c: Connection) -> ApiToken | None:
            row = c.execute(query).first()
            return None if row is None else _token(row)
        return await self._db.run(get)

    async def all(self) -> list[ApiToken]:
        query = select(*_TOKEN).order_by(api_tokens.c.name)
        return await self._db.run(lambda c: [_token(r) for r in c.execute(query)])

    async def revoke(self, name: str, at: float) -> bool:
        statement = (update(api_tokens).where(api_tokens.c.name == name,
                                              api_tokens.c.revoked_at.is_(None))
                     .values(revoked_at=at))
        return await self._db.run(lambda c: c.execute(statement).rowcount > 0)
