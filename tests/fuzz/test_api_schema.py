"""The API against its own OpenAPI document, over HTTP with a real login (an admin's
session and its CSRF token): for requests generated from every documented operation, no
500, and every answer is one the document describes (status, content type, schema);
valid requests are not refused."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import given, settings
from schemathesis import APIOperation, Case, CheckFunction
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.app.runner import serving
from gateway.core.accounts import Role
from gateway.core.clock import VirtualClock
from tests.accounts.support import PASSWORD, T0
from tests.core.support import school_config
from tests.fuzz import BOUNDED
from tests.helpers import free_port

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, positive_data_acceptance]
LEFT_OUT = {("POST", "/auth/logout"),  # would end the session the run logs in with
            ("GET", "/stream"),  # server-sent events: an answer that does not end
            ("POST", "/users/{name}")}  # could disable the admin it runs as
_ACCEPTS = positive_data_acceptance
KNOWN: dict[str, tuple[str, tuple[CheckFunction, ...]]] = {
    # Valid by the document, refused all the same: the document does not say the format
    # its query parameters must have ...
    "GET /drills": ("`from`/`to` must be YYYY-MM-DD", (_ACCEPTS,)),
    "GET /statistics": ("needs `from` and `to`, or `month`, `quarter` or `term`", (_ACCEPTS,)),
    "GET /reports/monthly": ("`month` must be YYYY-MM", (_ACCEPTS,)),
    "GET /reports/quarterly": ("`quarter` must be YYYY-Qn", (_ACCEPTS,)),
    "GET /reports/term": ("`term` must be a term of the calendar", (_ACCEPTS,)),
    # ... nor what a body must hold beyond its schema ...
    "POST /hazards": ("a zone (or a device) is required", (_ACCEPTS,)),
    "POST /hazards/{hazard_id}/{action}": ("`responsible` must be a user", (_ACCEPTS,)),
    "POST /inspections/{inspection_id}/complete": ("every category needs a finding",
                                                   (_ACCEPTS,)),
    # ... nor that the photo body must be an image (refused with its documented 415).
    "POST /hazards/{hazard_id}/photos": ("the body must be a JPEG, PNG or WebP image",
                                         (_ACCEPTS,)),
    "PUT /sops/{sop_id}": ("an id that is not a procedure id", (_ACCEPTS,)),
}
"""Where the API and its document are known to disagree, and the checks that therefore
are not made there; every other check still is (no 500 above all)."""
EXAMPLES = 25
"""Requests per operation: about 60 operations in well under a minute."""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The test school's gateway and API on a free port, in a thread of its own (the
    API is called over HTTP from this one); its base URL. A user of each role."""
    config = school_config(tmp_path)
    config = config.model_copy(update={"api": config.api.model_copy(
        update={"token": None, "port": free_port(), "host": "127.0.0.1"})})
    ready: list[str] = []
    stop = threading.Event()

    async def serve() -> None:
        async with serving(config, VirtualClock(T0), run_adapters=False) as running:
            for role in Role:
                await running.gateway.accounts.add_user(role.value, PASSWORD, role, "test")
            ready.append(running.url)
            await asyncio.to_thread(stop.wait)

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="served api")
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not ready:
            assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.02)
        yield ready[0]
    finally:
        stop.set()
        thread.join(timeout=30)


def _exercise(operation: APIOperation, session: requests.Session) -> None:
    """Requests generated for one operation, each answer checked."""
    skipped = KNOWN.get(operation.label, ("", ()))[1]
    checks = [check for check in CHECKS if check not in skipped]

    @settings(BOUNDED, max_examples=EXAMPLES)
    @given(operation.as_strategy())
    def call(case: Case) -> None:
        case.call_and_validate(session=session, checks=checks, timeout=10)

    call()


def test_every_operation_answers_as_documented(served: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    # Text with a NUL is refused on every route (gateway/app/api/nul.py, whose own test is
    # tests/accounts/test_nul_text.py), which the document does not say string by string.
    schema.config.generation.update(allow_x00=False)
    with requests.Session() as session:
        login = session.post(f"{served}/auth/login",
                             json={"name": Role.ADMIN.value, "password": PASSWORD}, timeout=10)
        assert login.status_code == 200, login.text
        session.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        failures: dict[str, str] = {}
        tried = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in LEFT_OUT:
                continue
            tried += 1

            try:
                _exercise(operation, session)
            except (Exception, BaseExceptionGroup) as failure:  # every operation: all said
                failures[operation.label] = str(failure)[:2000]
        me = session.get(f"{served}/auth/me", timeout=10)
    assert tried >= 50
    assert me.status_code == 200, "the run lost its login: left-out list is stale"
    assert not failures, "\n\n".join(f"{label}: {why}" for label, why in failures.items())
