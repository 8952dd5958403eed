"""The engine (one per process), its sessions, and the migrations applied at start.

SQLite (the default, a file created on first start) gets WAL, a busy timeout and foreign keys on each
connection, and one connection per process: SQLite lets one writer in at a time anyway, and queueing in
the pool is fairer than busy-waiting on the file lock. PostgreSQL gets a pool.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

logger = logging.getLogger(__name__)

MIGRATIONS: Final = Path(__file__).with_name("migrations")
MIGRATION_LOCK: Final = 0x68617262  # "harb": the advisory lock concurrent starts take turns on
BUSY_TIMEOUT_MS: Final = 30_000
POOL_SIZE: Final = 10


def create_engine(url: str) -> AsyncEngine:
    """The engine for DATABASE_URL (`sqlite+aiosqlite://` or `postgresql+asyncpg://`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            # One connection holds the database (tests): it lives as long as the engine, and one session
            # at a time checks it out (a queue of one), so concurrent transactions wait their turn
            # rather than interleave on the shared connection.
            engine = create_async_engine(
                parsed,
                poolclass=AsyncAdaptedQueuePool,
                pool_size=1,
                max_overflow=0,
                pool_recycle=-1,
                pool_timeout=BUSY_TIMEOUT_MS / 1000,
                hide_parameters=True,
            )
        else:
            if not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(
                parsed, pool_size=1, max_overflow=0, pool_timeout=BUSY_TIMEOUT_MS / 1000, hide_parameters=True
            )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        parsed, pool_size=POOL_SIZE, max_overflow=POOL_SIZE, pool_pre_ping=True, hide_parameters=True
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, from code (no alembic.ini): our scripts, and the connection to use."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision. Concurrent starts on one PostgreSQL take turns on an
    advisory lock held for the migration's transaction: the second finds the work done."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    # Alembic says "Context impl SQLiteImpl" and the like at INFO on every start: one line of ours instead,
    # when a revision is applied.
    alembic_logger = logging.getLogger("alembic")
    level = alembic_logger.level
    alembic_logger.setLevel(logging.WARNING)
    try:
        before = _current(connection)
        command.upgrade(alembic_config(connection), "head")
        after = _current(connection)
    finally:
        alembic_logger.setLevel(level)
    if before != after:
        logger.info("database schema migrated from revision %s to %s", before or "none", after)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The schema's revision in the database (None before the first migration), for doctor."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision among our migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
