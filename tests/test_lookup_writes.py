"""Lookups remembered behind the answers (bot/store/behind.py): batched, in order, never raising."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.behind import LookupWrites
from tests.watching_support import sqlite_url

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    started = Store.from_url(sqlite_url(tmp_path))
    await started.start()
    yield started
    await started.aclose()


async def refs(store: Store, user: str) -> list[str]:
    async with store.transaction() as tx:
        return [lookup.ref for lookup in await tx.lookups.for_user(user)]


async def test_lookups_added_together_are_written_in_one_flush_and_told_once(store: Store) -> None:
    told: list[set[str]] = []
    writes = LookupWrites(store, on_written=told.append, delay=60.0)
    for n in range(30):
        writes.add(user=f"U{n % 3}", kind="registry", ref=f"o/p/r{n}", at=NOW + timedelta(seconds=n))
    writes.add(user="U0", kind="registry", ref="o/p/r0", at=NOW + timedelta(minutes=1))  # again: newest
    assert (writes.pending, await refs(store, "U0")) == (30, [])  # nothing written yet
    await writes.flush()
    assert told == [{"U0", "U1", "U2"}]
    assert writes.pending == 0
    assert (await refs(store, "U0"))[:2] == ["o/p/r0", "o/p/r27"]
    assert len(await refs(store, "U1")) == 10
    await writes.aclose()


async def test_a_lookup_added_is_written_a_moment_later_by_itself(store: Store) -> None:
    writes = LookupWrites(store, delay=0.01)
    writes.add(user="U1", kind="registry", ref="o/p/r", at=NOW)
    for _ in range(500):  # bounded: 5 s at most
        if await refs(store, "U1"):
            break
        await asyncio.sleep(0.01)
    assert await refs(store, "U1") == ["o/p/r"]
    await writes.aclose()


async def test_a_store_that_is_down_costs_the_batch_in_one_warning_and_raises_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'harbot.db'}")
    told: list[set[str]] = []
    writes = LookupWrites(down, on_written=told.append, delay=60.0)
    for n in range(5):
        writes.add(user="U1", kind="registry", ref=f"o/p/r{n}", at=NOW)
    with caplog.at_level(logging.WARNING, logger="bot.store.behind"):
        await writes.flush()
    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.store.behind"]
    assert line == "lookup not remembered count=5 error=OperationalError"
    assert (told, writes.pending) == ([], 0)
    await down.aclose()


async def test_past_the_most_waiting_the_oldest_go_first_and_it_is_said(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    writes = LookupWrites(store, delay=60.0, max_pending=3)
    for n in range(5):
        writes.add(user="U1", kind="registry", ref=f"o/p/r{n}", at=NOW + timedelta(seconds=n))
    with caplog.at_level(logging.WARNING, logger="bot.store.behind"):
        await writes.aclose()
    assert await refs(store, "U1") == ["o/p/r4", "o/p/r3", "o/p/r2"]
    assert "lookups not remembered count=2 error=TooManyWaiting" in caplog.text
