"""Two bot instances on one PostgreSQL (a real server, started for this module): a delivery is posted
once, and a restart mid-burst loses nothing and posts nothing twice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.posting.poster import Poster
from bot.store import Store
from devtools.slack import SlackStandIn
from tests.postgres_server import PostgresServer, needs_postgres
from tests.test_posting import ROUNDS, UI, arrive, posted, subscribe

pytestmark = [pytest.mark.slow, needs_postgres]
_names = itertools.count()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def database(postgres: PostgresServer) -> str:
    """A fresh database on the server, its DATABASE_URL."""
    name = f"harbot_{next(_names)}"
    engine = create_async_engine(postgres.url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return postgres.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
async def stores(database: str) -> AsyncIterator[tuple[Store, Store]]:
    first, second = Store.from_url(database), Store.from_url(database)
    await first.start()
    await second.start()  # a second instance migrating the same database: nothing to do
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_two_instances_post_each_event_once(stores: tuple[Store, Store], slack: SlackStandIn) -> None:
    store, other = stores
    async with aiohttp.ClientSession() as session:
        web = Poster.client(session, api_url=slack.api_url, bot_token="xoxb-test")
        posters = [Poster(store=s, web=web, ui_base=UI, rate=50.0, batch=3) for s in (store, other)]
        await subscribe(store, "C1")
        await subscribe(store, "C2")
        for n in range(12):
            await arrive(store, f"app-{n:02d}", "1")
        for _ in range(ROUNDS):
            await asyncio.gather(*(poster.run_once() for poster in posters))
            async with store.transaction() as tx:
                if not await tx.posts.pending_count():
                    break
    for channel in ("C1", "C2"):
        names = sorted(str(m["text"]).split(":")[0] for m in posted(slack) if m["channel"] == channel)
        assert names == [f"app-{n:02d}" for n in range(12)]


async def test_a_restart_mid_burst_loses_nothing_and_posts_nothing_twice(
    stores: tuple[Store, Store], slack: SlackStandIn, database: str
) -> None:
    store, _ = stores
    async with aiohttp.ClientSession() as session:
        web = Poster.client(session, api_url=slack.api_url, bot_token="xoxb-test")
        await subscribe(store, "C1")
        for n in range(10):
            await arrive(store, f"app-{n:02d}", "1")
        await Poster(store=store, web=web, ui_base=UI, rate=50.0, batch=3).run_once()
        async with store.transaction() as tx:  # claimed, then the process dies before posting them
            assert (
                len(await tx.posts.claim(now=datetime.now(UTC), lease=timedelta(seconds=120), limit=3)) == 3
            )
        restarted = Store.from_url(database)
        after = Poster(store=restarted, web=web, ui_base=UI, rate=50.0)
        for round_ in range(ROUNDS):
            await after.run_once(now=datetime.now(UTC) + timedelta(seconds=121 * (round_ + 1)))
            async with restarted.transaction() as tx:
                if not await tx.posts.pending_count():
                    break
        await restarted.aclose()
    names = [str(m["text"]).split(":")[0] for m in posted(slack)]
    assert sorted(names) == [f"app-{n:02d}" for n in range(10)]
