"""A PostgreSQL database of the test's own, on the server this machine kind runs.

`CAMPUSGW_TEST_POSTGRES` names the server (default: postgresql://postgres@127.0.0.1:5432,
trust auth). Each database is created empty and dropped afterwards. Without a server the
test fails under CI (never skips quietly) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

SERVER = os.environ.get("CAMPUSGW_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        message = (f"PostgreSQL is not reachable at {SERVER} ({str(error).strip()}): "
                   "the store tests need it (set CAMPUSGW_TEST_POSTGRES to another server)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped when the block ends."""
    name = f"campusgw_test_{secrets.token_hex(6)}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
