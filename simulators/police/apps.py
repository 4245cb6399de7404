"""The HTTP faces of the simulated police platform: the alert endpoint and the control API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from simulators.police.ledger import Ledger
from simulators.police.receiver import Mode, Receiver

ALERTS_PATH = "/api/alerts"

ModeSetter = Callable[[Mode], Awaitable[None]]


def alerts_app(receiver: Receiver) -> FastAPI:
    """`POST /api/alerts` (signed alert documents) and `GET /received`."""
    app = FastAPI(title="Police linkage receiver (simulated)", docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.post(ALERTS_PATH)
    async def receive_alert(request: Request) -> JSONResponse:
        status, answer = await receiver.receive(request.headers, await request.body())
        return JSONResponse(answer, status_code=status)

    _add_ledger_routes(app, receiver.ledger)
    return app


def control_app(receiver: Receiver, set_mode: ModeSetter) -> FastAPI:
    """`GET|POST /control` (fault modes), `GET /received` and `GET /stats`."""
    app = FastAPI(title="Police linkage receiver (simulated): control", docs_url=None,
                  redoc_url=None, openapi_url=None)

    @app.get("/control")
    async def current_mode() -> dict[str, Any]:
        return receiver.mode.model_dump()

    @app.post("/control")
    async def change_mode(mode: Mode) -> dict[str, Any]:
        await set_mode(mode)
        return receiver.mode.model_dump()

    _add_ledger_routes(app, receiver.ledger)
    return app


def _add_ledger_routes(app: FastAPI, ledger: Ledger) -> None:
    @app.get("/received")
    async def received() -> list[dict[str, Any]]:
        return [record.to_json() for record in ledger.records]

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return ledger.stats()
