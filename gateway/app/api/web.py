"""The console's files (built from `console/` into `gateway/app/web/dist`) and the
security headers of every answer: a Content-Security-Policy that allows no inline script
and no other origin, no framing, no sniffing, no referrer, HSTS over TLS."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DIST = Path(__file__).resolve().parent.parent / "web" / "dist"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")

_HEADERS = [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]
_HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """Pure ASGI (the live stream passes through unbuffered)."""

    def __init__(self, app: ASGIApp, tls: bool) -> None:
        self.app = app
        self.headers = _HEADERS + ([_HSTS] if tls else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in self.headers if h[0] not in names)]
            await send(message)
        await self.app(scope, receive, with_headers)


def console_pages(api: FastAPI, dist: Path = DIST) -> None:
    """`/` the console, `/docs` the API reference (Swagger UI, from local files)."""
    if (dist / "assets").is_dir():
        api.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    def page(name: str) -> Response:
        found = dist / name
        if not found.is_file():
            return PlainTextResponse(
                "the console is not built: run scripts/install.sh (it runs npm ci and "
                "npm run build in console/)", status_code=503)
        return FileResponse(found, headers={"Cache-Control": "no-cache"})

    @api.get("/", include_in_schema=False)
    async def console() -> Response:
        return page("index.html")

    @api.get("/docs.html", include_in_schema=False)
    async def docs_page() -> Response:
        return page("docs.html")

    @api.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return RedirectResponse("/docs.html")
