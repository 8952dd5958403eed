"""What must outlive the process: webhooks, subscriptions, deliveries, events, the outbox of posts, and
recent lookups, in SQLite or PostgreSQL (SQLAlchemy 2 async; Alembic migrations in `migrations/`).

Nothing outside this package writes SQL. Every use is one transaction:

    async with store.transaction() as tx:
        webhook = await tx.webhooks.by_identifier(identifier)
        delivery = await tx.deliveries.add(key=..., webhook_id=webhook.id, received_at=now, body=text)
        if delivery is not None:
            await tx.events.add(event, delivery_id=delivery.id)

committed when the block ends, rolled back when it raises. Repositories return frozen records
(`bot.store.records`), never ORM objects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.store.database import create_engine, current_revision, head_revision, migrate
from bot.store.deliveries import Deliveries
from bot.store.events import Events
from bot.store.lookups import RecentLookups
from bot.store.posts import Posts
from bot.store.records import (
    DeliveryRecord,
    EventRecord,
    LookupKind,
    NewEvent,
    PostRecord,
    RecentLookupRecord,
    SubscriptionRecord,
    Trigger,
    WebhookRecord,
)
from bot.store.subscriptions import Subscriptions
from bot.store.webhooks import Webhooks, hash_token, new_token, token_matches


async def migrate_database(url: str) -> None:
    """Bring the schema at `url` to the newest revision with a store of its own, closed after: what
    `python -m bot migrate` does, and what the workers' master does once before it forks."""
    store = Store.from_url(url)
    try:
        await store.start()
    finally:
        await store.aclose()


__all__ = [
    "DeliveryRecord",
    "EventRecord",
    "LookupKind",
    "NewEvent",
    "PostRecord",
    "Pruned",
    "RecentLookupRecord",
    "Store",
    "SubscriptionRecord",
    "Transaction",
    "Trigger",
    "WebhookRecord",
    "hash_token",
    "migrate_database",
    "new_token",
    "token_matches",
]


logger = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS: Final = 3600.0


class Transaction:
    """The repositories, all in one database transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.webhooks = Webhooks(session)
        self.subscriptions = Subscriptions(session)
        self.deliveries = Deliveries(session)
        self.events = Events(session)
        self.posts = Posts(session)
        self.lookups = RecentLookups(session)


@dataclass(frozen=True, slots=True)
class Pruned:
    events: int
    deliveries: int


class Store:
    """The database of one process: one engine (its pool), opened by `start`, closed by `aclose`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Store:
        """A store for DATABASE_URL; nothing is connected until the first use."""
        return cls(create_engine(url))

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    async def start(self) -> None:
        """Create or upgrade the schema (SQLite creates the file): what `python -m bot migrate` does."""
        await migrate(self.engine)

    async def aclose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self._sessions.begin() as session:
            yield Transaction(session)

    async def prune(self, *, now: datetime, keep_days: int) -> Pruned:
        """Delete events, and deliveries, older than `keep_days` (EVENT_RETENTION_DAYS); posts go with
        their events."""
        before = now - timedelta(days=keep_days)
        async with self.transaction() as tx:
            events = await tx.events.prune(before=before)
            deliveries = await tx.deliveries.prune(before=before)
        return Pruned(events=events, deliveries=deliveries)

    async def prune_forever(self, *, keep_days: int, every_seconds: float = PRUNE_EVERY_SECONDS) -> None:
        """Prune now and then every `every_seconds`, until cancelled; a failed prune is logged and tried
        again next time (the database may be away for a while)."""
        while True:
            try:
                pruned = await self.prune(now=datetime.now(UTC), keep_days=keep_days)
                if pruned.events or pruned.deliveries:
                    logger.info("pruned %d events and %d deliveries", pruned.events, pruned.deliveries)
            except (SQLAlchemyError, OSError):
                logger.warning("pruning old events failed; trying again later", exc_info=True)
            await asyncio.sleep(every_seconds)

    async def ping(self) -> str:
        """Reach the database and compare its schema with ours: "" when all is well, else one sentence."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        current, head = await current_revision(self.engine), head_revision()
        if current != head:
            return f"the schema is at revision {current or 'none'}, not {head}: run `python -m bot migrate`"
        return ""
