"""The poster against a real SQLite store and the Slack stand-in: one message per event per channel,
bursts coalesced and updated in place, Slack's 429 and 503 survived, channels gone unsubscribed."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.posting.fanout import queue_posts
from bot.posting.poster import Poster
from bot.refs import RegistryRef
from bot.store import EventRecord, NewEvent, Store
from devtools.slack import SlackStandIn
from tests.watching_support import sqlite_url

REF = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")
UI = "https://app.harness.io"
NOW = datetime.now(UTC)
ROUNDS = 30
"""The most poster rounds a test runs: a bound, not a timing."""


@dataclass
class Gone:
    calls: list[tuple[str, Sequence[str]]] = field(default_factory=list)

    async def __call__(self, channel: str, registries: Sequence[str]) -> None:
        self.calls.append((channel, registries))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
def gone() -> Gone:
    return Gone()


@pytest.fixture
def poster(store: Store, slack: SlackStandIn, session: aiohttp.ClientSession, gone: Gone) -> Poster:
    web = Poster.client(session, api_url=slack.api_url, bot_token="xoxb-test")
    return Poster(store=store, web=web, ui_base=UI, rate=50.0, on_channel_gone=gone)


async def subscribe(store: Store, channel: str, **fields: object) -> int:
    async with store.transaction() as tx:
        subscription, _ = await tx.subscriptions.add(
            channel=channel,
            registry=REF.path,
            created_by="U1",
            at=NOW,
            **fields,  # type: ignore[arg-type]
        )
    return subscription.id


async def arrive(
    store: Store, artifact: str, version: str, *, trigger: str = "pushed", at: datetime = NOW
) -> EventRecord:
    """An event stored and queued for its channels, as the receiver does."""
    event = NewEvent(
        registry=REF.path,
        artifact=artifact,
        version=version,
        trigger=trigger,  # type: ignore[arg-type]
        at=at,
        digest="sha256:" + "ab12cd34" * 8,
        principal_name="Alice",
    )
    async with store.transaction() as tx:
        stored = await tx.events.add(event, delivery_id=None)
        await queue_posts(tx, stored, now=NOW)
    return stored


async def drain(poster: Poster, *, later: timedelta = timedelta(0)) -> None:
    """Rounds until nothing is pending, each at a moment past every retry's due time."""
    for round_ in range(ROUNDS):
        await poster.run_once(now=datetime.now(UTC) + later * (round_ + 1))
        async with poster._store.transaction() as tx:
            if not await tx.posts.pending_count():
                return
    raise AssertionError("posts still pending after every round")


def posted(slack: SlackStandIn, method: str = "chat.postMessage") -> list[dict[str, Any]]:
    """The messages Slack took, in order."""
    return [args for called, args in slack.taken if called == method]


async def test_a_push_is_posted_once_to_each_subscribed_channel(
    store: Store, poster: Poster, slack: SlackStandIn
) -> None:
    await subscribe(store, "C1")
    await subscribe(store, "C2")
    await subscribe(store, "C2", artifact_glob="payments-*")  # a second match in C2: still one post there
    event = await arrive(store, "payments-api", "1.4.2")
    async with store.transaction() as tx:
        assert await queue_posts(tx, event, now=NOW) == 0  # the delivery repeated: nothing more queued
    await drain(poster)
    messages = posted(slack)
    assert sorted(str(m["channel"]) for m in messages) == ["C1", "C2"]
    assert "`payments-api:1.4.2` pushed to docker-prod by Alice" in str(messages[0]["blocks"])


async def test_filters_decide_who_hears(store: Store, poster: Poster, slack: SlackStandIn) -> None:
    await subscribe(store, "C1", artifact_glob="web-*")
    await subscribe(store, "C2", pushes=False)
    await arrive(store, "payments-api", "1")
    await drain(poster)
    assert posted(slack) == []
    await arrive(store, "payments-api", "1", trigger="deleted")
    await drain(poster)
    assert [m["channel"] for m in posted(slack)] == ["C2"]


async def test_a_burst_is_one_message_updated_in_place_with_the_list_in_its_thread(
    store: Store, poster: Poster, slack: SlackStandIn
) -> None:
    await subscribe(store, "C1")
    for n in range(5):
        await arrive(store, "payments-api", f"1.4.{n}", at=NOW + timedelta(seconds=n))
    await drain(poster)
    parent, thread = posted(slack)
    assert "5 versions of `payments-api`" in str(parent["blocks"])
    assert "thread_ts" not in parent
    assert thread["thread_ts"]
    assert all(f"1.4.{n}" in str(thread["blocks"]) for n in range(5))
    for n in (5, 6):
        await arrive(store, "payments-api", f"1.4.{n}", at=NOW + timedelta(seconds=n))
    await drain(poster)
    (update,) = posted(slack, "chat.update")
    assert update["ts"] == thread["thread_ts"]
    assert "7 versions of `payments-api`" in str(update["blocks"])
    again = posted(slack)[2]
    assert again["thread_ts"] == thread["thread_ts"]
    assert "1.4.6" in str(again["blocks"])
    assert "1.4.0" not in str(again["blocks"])


async def test_slack_in_trouble_loses_nothing_and_posts_nothing_twice(
    store: Store, poster: Poster, slack: SlackStandIn
) -> None:
    await subscribe(store, "C1")
    slack.api_failures = [(503, {}), (503, {}), (429, {"Retry-After": "1"}), (502, {})]
    for n in range(3):
        await arrive(store, f"app-{n}", "1")
    await drain(poster, later=timedelta(minutes=10))
    texts = [str(m["blocks"]) for m in posted(slack)]
    assert sorted(t[t.index("app-") : t.index("app-") + 5] for t in texts) == ["app-0", "app-1", "app-2"]


async def test_a_429_waits_for_retry_after(store: Store, poster: Poster, slack: SlackStandIn) -> None:
    await subscribe(store, "C1")
    slack.api_failures = [(429, {"Retry-After": "30"})]
    await arrive(store, "app", "1")
    await poster.run_once()
    async with store.transaction() as tx:
        (post,) = await tx.posts.claim(
            now=datetime.now(UTC) + timedelta(seconds=31), lease=timedelta(seconds=1)
        )
        assert post.next_attempt_at >= datetime.now(UTC) + timedelta(seconds=25)
        assert post.last_error == "rate limited (429)"


@pytest.mark.parametrize("state", ["is_archived", "not_in_channel", "channel_not_found"])
async def test_a_channel_gone_ends_its_subscriptions(
    store: Store, poster: Poster, slack: SlackStandIn, gone: Gone, state: str
) -> None:
    await subscribe(store, "C1")
    await subscribe(store, "C2")
    slack.channels["C1"] = state
    await arrive(store, "app", "1")
    await drain(poster)
    async with store.transaction() as tx:
        assert await tx.subscriptions.for_channel("C1") == []
        assert len(await tx.subscriptions.for_channel("C2")) == 1
    assert gone.calls == [("C1", [REF.path])]
    assert [m["channel"] for m in posted(slack)] == ["C2"]
    tried = len(slack.api_calls("chat.postMessage"))
    await arrive(store, "app", "2")
    await drain(poster)
    assert {args["channel"] for _, args in slack.taken} == {"C2"}
    assert [c for c in slack.api_calls("chat.postMessage")[tried:] if "C1" in c.body.decode()] == []


async def test_a_post_whose_subscription_ended_is_dropped(
    store: Store, poster: Poster, slack: SlackStandIn
) -> None:
    subscription = await subscribe(store, "C1")
    await arrive(store, "app", "1")
    async with store.transaction() as tx:
        await tx.subscriptions.end(subscription, at=NOW)
    await drain(poster)
    assert posted(slack) == []


async def test_calls_to_one_channel_keep_to_the_rate(
    store: Store, poster: Poster, slack: SlackStandIn
) -> None:
    await subscribe(store, "C1")
    await subscribe(store, "C2")
    for n in range(6):
        await arrive(store, f"app-{n}", "1")
    await drain(poster)
    for channel in ("C1", "C2"):
        times = [at for where, _, at in poster.calls if where == channel]
        assert len(times) == 6
        assert min(b - a for a, b in itertools.pairwise(times)) >= 1 / 50


async def test_two_instances_post_each_event_once(
    store: Store, slack: SlackStandIn, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    other = Store.from_url(sqlite_url(tmp_path))  # a second process's engine
    web = Poster.client(session, api_url=slack.api_url, bot_token="xoxb-test")
    first = Poster(store=store, web=web, ui_base=UI, rate=50.0, batch=4)
    second = Poster(store=other, web=web, ui_base=UI, rate=50.0, batch=4)
    await subscribe(store, "C1")
    await subscribe(store, "C2")
    for n in range(12):
        await arrive(store, f"app-{n:02d}", "1")
    for _ in range(ROUNDS):
        await asyncio.gather(first.run_once(), second.run_once())
        async with store.transaction() as tx:
            if not await tx.posts.pending_count():
                break
    await other.aclose()
    for channel in ("C1", "C2"):
        names = sorted(str(m["text"]).split(":")[0] for m in posted(slack) if m["channel"] == channel)
        assert names == [f"app-{n:02d}" for n in range(12)]


async def test_a_restart_mid_burst_loses_nothing_and_posts_nothing_twice(
    store: Store, slack: SlackStandIn, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    web = Poster.client(session, api_url=slack.api_url, bot_token="xoxb-test")
    before = Poster(store=store, web=web, ui_base=UI, rate=50.0, batch=3)
    await subscribe(store, "C1")
    for n in range(10):
        await arrive(store, f"app-{n:02d}", "1")
    await before.run_once()  # three posted
    async with store.transaction() as tx:  # three more claimed, then the process dies before posting them
        died_holding = await tx.posts.claim(now=datetime.now(UTC), lease=timedelta(seconds=120), limit=3)
    assert len(died_holding) == 3
    restarted = Store.from_url(sqlite_url(tmp_path))
    after = Poster(store=restarted, web=web, ui_base=UI, rate=50.0)
    await drain(after, later=timedelta(seconds=121))
    await restarted.aclose()
    names = [str(m["text"]).split(":")[0] for m in posted(slack)]
    assert sorted(names) == [f"app-{n:02d}" for n in range(10)]


async def test_the_running_poster_posts_when_poked_and_stops(
    store: Store, poster: Poster, slack: SlackStandIn
) -> None:
    await subscribe(store, "C1")
    poster.start()
    try:
        await arrive(store, "app", "1")
        poster.poke()
        (call,) = await slack.wait_api("chat.postMessage")
    finally:
        await poster.aclose()
    assert "app:1" in call.body.decode()
