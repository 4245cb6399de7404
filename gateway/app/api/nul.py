"""Text with a NUL character is bad input on every route: PostgreSQL cannot keep it, and no
name, note or id of a school needs it. Refused with 422 before any route runs, whether it
comes in the path, the query or a JSON body (escaped as \\u0000)."""

import json
import re
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""`\\u0000` in JSON text, not preceded by an escaping backslash."""
MESSAGE = "must not contain NUL characters"


class RefuseNul:
    """Pure ASGI: only JSON bodies are read ahead (uploads and streams pass untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"]:
            await _refuse(send, "path")
            return
        if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            await _refuse(send, "query")
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        messages = [await receive()]
        while messages[-1]["type"] == "http.request" and messages[-1].get("more_body"):
            messages.append(await receive())
        body = b"".join(m.get("body", b"") for m in messages)
        where = _nul_in_json(body) if ESCAPED_NUL.search(body) else None
        if where is not None:
            await _refuse(send, "body", *where)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind: bytes = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


def _nul_in_json(body: bytes) -> list[str | int] | None:
    """Where in the JSON `body` a text (a value or a key) holds a NUL: its path; None when
    none does, or when the body is no JSON (the route says so itself)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    pending: list[tuple[list[str | int], object]] = [([], document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return [*path, key]
                pending.append(([*path, key], item))
        elif isinstance(value, list):
            pending.extend(([*path, i], item) for i, item in enumerate(value))
    return None


async def _refuse(send: Send, *where: str | int) -> None:
    body = json.dumps({"detail": [{"loc": list(where), "msg": MESSAGE,
                                   "type": "value_error"}]}).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
