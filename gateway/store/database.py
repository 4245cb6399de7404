"""One database connection, worked on one store thread: SQLite (WAL) or PostgreSQL.

Every repository runs its work here, off the event loop, as one call: a read-modify-write
is one transaction (`transaction`), started so that no other writer can interleave
(SQLite: `BEGIN IMMEDIATE`; PostgreSQL: row locks or a lock on the key, see `lock_key`).
A database that cannot be reached, read or written raises `StoreUnavailable`; a lost
PostgreSQL connection is opened again on the next call.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url

from gateway.core.repositories import StoreUnavailable

T = TypeVar("T")

log = logging.getLogger(__name__)

Work = Callable[[Connection], T]


def engine_url(url: str) -> URL:
    """The SQLAlchemy URL of a configured store URL (`postgresql://` uses psycopg 3)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def shown(url: URL) -> str:
    """The URL without its password, for logs and /health."""
    return url.render_as_string(hide_password=True)


def named(url: URL) -> str:
    """The file of an SQLite store, the URL (without password) of any other."""
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return shown(url)


@contextmanager
def reached(url: URL) -> Iterator[None]:
    """Turn a database that cannot be reached, read or written (locked, read-only, disk
    full, corrupt, refused) into `StoreUnavailable` naming it, in one line."""
    try:
        yield
    except exc.SQLAlchemyError as error:
        raise StoreUnavailable(f"{named(url)}: {_reason(error)}") from error
    except OSError as error:
        raise StoreUnavailable(f"{named(url)}: {error.strerror or error}") from error


def new_engine(url: URL) -> Engine:
    """An engine whose connections are in autocommit: `transaction` begins explicitly."""
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, isolation_level="AUTOCOMMIT",
                               connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=False,
                         connect_args={"connect_timeout": 5})


def _sqlite_pragmas(dbapi: Any, _record: object) -> None:
    dbapi.isolation_level = None  # SQLAlchemy does not begin for us: `transaction` does
    cursor = dbapi.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    """The store's connection and its thread."""

    def __init__(self, url: str) -> None:
        self.url = engine_url(url)
        self.backend = self.url.get_backend_name()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-store")
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self.on_timed: Callable[[float], None] | None = None
        """Hears how long each piece of work took on the store thread (seconds)."""

    def __str__(self) -> str:
        return named(self.url)

    async def open(self, prepare: Callable[[], object]) -> None:
        """Connect, after `prepare` (the migrations) ran."""
        def start() -> None:
            if self.backend == "sqlite" and self.url.database not in (None, "", ":memory:"):
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            prepare()
            engine = new_engine(self.url)
            try:
                self._connection = engine.connect()
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        await self.run_bare(start)

    async def close(self) -> None:
        if self._engine is not None:
            await self.run_bare(self._close_sync)
        self._executor.shutdown(wait=True)

    def _close_sync(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    async def run(self, work: Work[T]) -> T:
        """Run `work` with the connection on the store thread."""
        return await self.run_bare(lambda: work(self._connected()))

    async def run_bare(self, work: Callable[[], T]) -> T:
        with reached(self.url):
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, self._guarded, work)

    def submit(self, work: Work[object]) -> None:
        """Queue `work` on the store thread without waiting for it; failures are logged."""
        self._executor.submit(self._guarded, lambda: work(self._connected())
                              ).add_done_callback(_log_failure)

    def _guarded(self, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return work()
        except exc.DBAPIError as error:
            if error.connection_invalidated and self._connection is not None:
                self._connection.close()
                self._connection = None
            raise
        finally:
            if self.on_timed is not None:
                self.on_timed(time.perf_counter() - started)

    def _connected(self) -> Connection:
        if self._engine is None:
            raise RuntimeError("the store is not open")
        if self._connection is None or self._connection.invalidated:
            self._connection = self._engine.connect()
        return self._connection

    @property
    def insert(self) -> Callable[..., Any]:
        """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
        return postgresql.insert if self.backend == "postgresql" else sqlite.insert


@contextmanager
def transaction(connection: Connection, *, durable: bool = True) -> Iterator[None]:
    """BEGIN ... COMMIT, or ROLLBACK on error. Taken for writing at once on SQLite (so a
    read inside is not overtaken by another writer). `durable=False` commits without
    waiting for the disk: for writes whose loss a retry makes good."""
    on_sqlite = connection.dialect.name == "sqlite"
    if not durable and on_sqlite:
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if on_sqlite else "BEGIN")
        try:
            if not durable and not on_sqlite:
                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            yield
        except BaseException:
            _rollback(connection)
            raise
        connection.exec_driver_sql("COMMIT")
    finally:
        if not durable and on_sqlite and not connection.invalidated:
            connection.exec_driver_sql("PRAGMA synchronous=FULL")


def _rollback(connection: Connection) -> None:
    with suppress(exc.SQLAlchemyError):  # SQLite rolled back already, or the link is gone
        connection.exec_driver_sql("ROLLBACK")


def lock_key(connection: Connection, key: str) -> None:
    """Serialise, until the transaction ends, writers of the alert with this key (on
    SQLite `BEGIN IMMEDIATE` serialises every writer already)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                           {"k": zlib.crc32(key.encode()) - (1 << 31)})


def _reason(error: exc.SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    return str(original if original is not None else error).strip().splitlines()[0]


def _log_failure(done: Future[object]) -> None:
    if done.exception() is not None:
        log.error("store write failed: %r", done.exception(), exc_info=done.exception())
