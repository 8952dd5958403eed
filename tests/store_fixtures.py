"""The store on both backends: a tmp SQLite file, and a PostgreSQL started for the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.postgres_server import PostgresServer, needs_postgres


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """DATABASE_URL for the backend the test is parametrized with (SQLite when it is not)."""
    if getattr(request, "param", "sqlite") == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        return server.url
    return f"sqlite+aiosqlite:///{tmp_path / 'harbot.db'}"


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=needs_postgres),
]
both_backends = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated store on the parametrized backend, closed after the test."""
    instance = Store.from_url(database_url)
    await instance.start()
    yield instance
    await instance.aclose()
