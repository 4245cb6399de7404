"""Users and API tokens (admins) and the audit log (supervisors)."""


from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from gateway.accounts.service import AccountError, AccountService
from gateway.app.api.auth import UNAUTHENTICATED, Require, address
from gateway.app.api.schemas import CONFLICT
from gateway.core.accounts import AuditEntry, Principal, Role, User, verify_chain


class UserView(BaseModel):
    name: str
    display_name: str
    role: Role
    disabled: bool
    language: str

    @classmethod
    def of(cls, user: User) -> "UserView":
        return cls(name=user.name, display_name=user.display_name, role=user.role,
                   disabled=user.disabled, language=user.language)


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1000)
    role: Role
    display_name: str = ""
    language: str = Field(default="zh-CN", pattern="^(zh-CN|en)$")


class UserChange(BaseModel):
    password: str | None = Field(default=None, min_length=1, max_length=1000)
    role: Role | None = None
    disabled: bool | None = None


class TokenView(BaseModel):
    name: str
    role: Role
    created_at: float
    created_by: str
    revoked: bool


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    role: Role


class IssuedToken(BaseModel):
    name: str
    role: Role
    token: str = Field(description="Shown this once; the gateway keeps only its hash.")


class AuditLine(BaseModel):
    seq: int
    at: float
    actor: str
    action: str
    target: str
    detail: dict[str, object]
    address: str
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditLine":
        return cls(seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
                   target=entry.target, detail=entry.detail, address=entry.address,
                   hash=entry.hash)


class AuditCheck(BaseModel):
    entries: int
    problems: list[str] = Field(description="Empty when the chain is intact.")


def admin_routes(accounts: AccountService, require: Require) -> APIRouter:
    router = APIRouter(responses=UNAUTHENTICATED)
    Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
    Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]

    @router.get("/users", tags=["admin"])
    async def users(_: Admin) -> list[UserView]:
        return [UserView.of(user) for user in await accounts.users.all()]

    @router.post("/users", status_code=201, tags=["admin"], responses=CONFLICT)
    async def add_user(body: NewUser, principal: Admin) -> UserView:
        try:
            user = await accounts.add_user(body.name, body.password, body.role,
                                           principal.name, body.display_name, body.language)
        except AccountError as exc:
            raise HTTPException(409, str(exc)) from None
        return UserView.of(user)

    @router.post("/users/{name}", tags=["admin"], responses=CONFLICT)
    async def change_user(name: str, body: UserChange, principal: Admin) -> UserView:
        try:
            if body.password is not None:
                await accounts.set_password(name, body.password, principal.name)
            if body.role is not None:
                await accounts.set_role(name, body.role, principal.name)
            if body.disabled is not None:
                await accounts.set_disabled(name, body.disabled, principal.name)
        except AccountError as exc:
            raise HTTPException(409, str(exc)) from None
        user = await accounts.users.get(name)
        if user is None:
            raise HTTPException(404, f"no user {name}")
        return UserView.of(user)

    @router.get("/tokens", tags=["admin"])
    async def tokens(_: Admin) -> list[TokenView]:
        return [TokenView(name=t.name, role=t.role, created_at=t.created_at,
                          created_by=t.created_by, revoked=t.revoked_at is not None)
                for t in await accounts.tokens.all()]

    @router.post("/tokens", status_code=201, tags=["admin"], responses=CONFLICT)
    async def issue_token(body: NewToken, principal: Admin) -> IssuedToken:
        try:
            secret = await accounts.issue_token(body.name, body.role, principal.name)
        except AccountError as exc:
            raise HTTPException(409, str(exc)) from None
        return IssuedToken(name=body.name, role=body.role, token=secret)

    @router.post("/tokens/{name}/revoke", status_code=204, tags=["admin"], responses=CONFLICT)
    async def revoke_token(name: str, principal: Admin) -> None:
        try:
            await accounts.revoke_token(name, principal.name)
        except AccountError as exc:
            raise HTTPException(409, str(exc)) from None

    @router.get("/audit", tags=["audit"])
    async def audit(_: Supervisor,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditLine]:
        """The newest lines of the audit log first."""
        return [AuditLine.of(e) for e in await accounts.audit_log.newest(limit)]

    @router.get("/audit/verify", tags=["audit"])
    async def verify(principal: Supervisor, request: Request) -> AuditCheck:
        """Check the whole chain: a removed or altered line is named."""
        entries = await accounts.audit_log.entries()
        await accounts.audit(principal.name, "audit.verify", "", address=address(request))
        return AuditCheck(entries=len(entries), problems=verify_chain(entries))

    return router
