"""A gateway with people and tokens of every role, and clients for them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from gateway.app.api.app import create_api
from gateway.app.gateway import Gateway
from gateway.core.accounts import Role
from gateway.core.clock import VirtualClock
from tests.core.support import school_config

T0 = 1_767_225_600.0  # 2026-01-01 08:00 +08:00
PASSWORD = "correct-horse-battery"


@asynccontextmanager
async def school(tmp_path: Path, store: str | None = None,
                 extra: str = "") -> AsyncIterator[Gateway]:
    """The test school (with `extra` config) without a config token; a user `<role>` of
    each role."""
    config = school_config(tmp_path, extra, store=store)
    config = config.model_copy(update={"api": config.api.model_copy(update={"token": None})})
    async with Gateway(config, VirtualClock(T0), run_adapters=False) as gateway:
        for role in Role:
            await gateway.accounts.add_user(role.value, PASSWORD, role, "test")
        yield gateway


def client(gateway: Gateway, headers: dict[str, str] | None = None,
           api: FastAPI | None = None) -> httpx.AsyncClient:
    """A client of `api` (one of its own by default) of `gateway`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api or create_api(gateway)),
                             base_url="http://gateway", headers=headers or {})


async def logged_in(api: httpx.AsyncClient, name: str,
                    password: str = PASSWORD) -> dict[str, str]:
    """Log `api` in as `name`; the CSRF header its changes need."""
    response = await api.post("/auth/login", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}
