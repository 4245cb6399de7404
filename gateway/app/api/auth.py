"""Who is asking: browser sessions (an HttpOnly, SameSite=Strict cookie, with a CSRF token
for every change) and API tokens (`Authorization: Bearer`), each with a role. Every route
that returns or changes site data depends on `Auth.require(role)`; the actor of an action
is always the principal, never a field of the request."""


import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from gateway.accounts.service import AccountService, LoginRefused
from gateway.app.api.schemas import Problem
from gateway.core.accounts import Principal, Role

Require = Callable[[Role], Callable[[Request], Awaitable[Principal]]]
"""`Auth.require`, as the route modules take it."""

COOKIE = "campusgw_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not logged in, and no valid bearer token."},
    403: {"model": Problem, "description": "The role does not allow it, or the CSRF token "
                                          "is missing."}}


class LoginRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class Me(BaseModel):
    """The logged-in user or token, and the CSRF token its changes must carry."""

    name: str
    role: Role
    kind: str = Field(description='"user" (a browser session) or "token".')
    csrf_token: str | None = Field(
        description=f"Send it as `{CSRF_HEADER}` with every POST of this session.")
    language: str = Field(description="The console's language for this user: zh-CN or en.")

    @classmethod
    def of(cls, principal: Principal, language: str | None = None) -> "Me":
        return cls(name=principal.name, role=principal.role, kind=principal.kind,
                   csrf_token=principal.csrf_token, language=language or principal.language)


def address(request: Request) -> str:
    return request.client.host if request.client else ""


class Auth:
    def __init__(self, accounts: AccountService, secure_cookie: bool) -> None:
        self.accounts = accounts
        self.secure_cookie = secure_cookie

    async def principal(self, request: Request) -> Principal:
        """The session's user or the bearer token's principal; 401 without one."""
        cookie = request.cookies.get(COOKIE)
        if cookie:
            found = await self.accounts.by_session(cookie)
            if found is not None:
                return found
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() == "bearer" and secret:
            found = await self.accounts.by_token(secret.strip())
            if found is not None:
                return found
        raise HTTPException(401, "log in, or give a valid bearer token",
                            headers={"WWW-Authenticate": "Bearer"})

    def require(self, role: Role) -> Callable[[Request], Awaitable[Principal]]:
        """A dependency: the principal, if its role allows `role` (else 403), and, for a
        browser session's change, if it carries the session's CSRF token (else 403)."""
        async def allowed(request: Request) -> Principal:
            principal = await self.principal(request)
            if not principal.allows(role):
                raise HTTPException(403, f"needs the {role.value} role")
            if principal.kind == "user" and request.method not in _SAFE:
                sent = request.headers.get(CSRF_HEADER, "")
                if not (principal.csrf_token and secrets.compare_digest(
                        sent, principal.csrf_token)):
                    raise HTTPException(403, f"missing or wrong {CSRF_HEADER}")
            return principal
        return allowed

    def routes(self) -> APIRouter:
        router = APIRouter(prefix="/auth", tags=["auth"])
        accounts = self.accounts

        @router.post("/login", responses={
            401: {"model": Problem, "description": "Bad name or password."},
            429: {"model": Problem, "description": "Locked out after repeated failures."}})
        async def login(body: LoginRequest, request: Request, response: Response) -> Me:
            """Log in: sets the session cookie (HttpOnly, SameSite=Strict)."""
            try:
                done = await accounts.login(body.name, body.password, address(request))
            except LoginRefused as exc:
                raise HTTPException(429 if exc.locked else 401, str(exc)) from None
            response.set_cookie(COOKIE, done.session_id, httponly=True, samesite="strict",
                                secure=self.secure_cookie, path="/",
                                max_age=int(accounts.policy.max_s))
            return Me.of(done.principal)

        @router.post("/logout", status_code=204, responses=UNAUTHENTICATED)
        async def logout(
                request: Request, response: Response,
                principal: Annotated[Principal, Depends(self.require(Role.VIEWER))]) -> None:
            """End this session (the cookie is cleared)."""
            await accounts.logout(principal, address(request))
            response.delete_cookie(COOKIE, path="/")

        @router.get("/me", responses=UNAUTHENTICATED)
        async def me(
                principal: Annotated[Principal, Depends(self.require(Role.VIEWER))]) -> Me:
            """Who this session or token is."""
            return Me.of(principal)

        return router
