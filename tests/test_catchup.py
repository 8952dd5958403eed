"""Catching up from Harness's executions: what the bot missed while away is stored once, marked late, and
reading again (or a retrigger of the same delivery) stores nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.harness.client import HarnessClient
from bot.parsing.globs import Filter
from bot.posting.catchup import catch_up
from bot.posting.fanout import queue_all
from bot.posting.subscribing import Subscriber
from bot.store import Store
from bot.webhooks.receiver import Receiver
from devtools.harness import HarnessStandIn
from tests.watching_support import REF

AWAY = "http://127.0.0.1:9"
"""Where the bot was not listening: every delivery fails, as it does while the bot is down."""


async def test_missed_deliveries_are_stored_once_and_marked_late(
    store: Store, sandbox: HarnessStandIn, sandbox_client: HarnessClient
) -> None:
    subscriber = Subscriber(store=store, harness=sandbox_client, public_url=AWAY)
    await subscriber.subscribe(channel="C1", ref=REF, wanted=Filter(), user="U1")
    for version in ("1", "2", "3"):
        await sandbox.webhooks.push(REF.path, "payments-api", version)
    assert {e["result"] for e in sandbox.webhooks.delivered(REF.path)} == {"FATAL_ERROR"}
    receiver = Receiver(store, on_events=queue_all)
    first = await catch_up(store, sandbox_client, accept=receiver.accept, seen=receiver.seen)
    assert (first.webhooks, first.read, first.stored, first.failed) == (1, 3, 3, 0)
    async with store.transaction() as tx:
        events = await tx.events.timeline(REF.path, since=datetime(2000, 1, 1, tzinfo=UTC))
        assert await tx.posts.pending_count() == 3
    assert sorted(e.version for e in events) == ["1", "2", "3"]
    assert all(e.late for e in events)
    again = await catch_up(store, sandbox_client, accept=receiver.accept, seen=receiver.seen)
    assert again.stored == 0


async def test_a_retrigger_of_a_stored_delivery_is_not_stored_again(
    store: Store, sandbox: HarnessStandIn, sandbox_client: HarnessClient
) -> None:
    subscriber = Subscriber(store=store, harness=sandbox_client, public_url=AWAY)
    await subscriber.subscribe(channel="C1", ref=REF, wanted=Filter(), user="U1")
    (execution,) = await sandbox.webhooks.push(REF.path, "payments-api", "1")
    receiver = Receiver(store, on_events=queue_all)
    assert (await catch_up(store, sandbox_client, accept=receiver.accept, seen=receiver.seen)).stored == 1
    async with store.transaction() as tx:
        (hook,) = await tx.webhooks.all()
    await sandbox_client.retrigger_execution(REF, hook.identifier, execution["id"])
    assert (await catch_up(store, sandbox_client, accept=receiver.accept, seen=receiver.seen)).stored == 0


async def test_a_webhook_harness_cannot_read_is_skipped_not_fatal(
    store: Store, sandbox: HarnessStandIn, sandbox_client: HarnessClient
) -> None:
    subscriber = Subscriber(store=store, harness=sandbox_client, public_url=AWAY)
    await subscriber.subscribe(channel="C1", ref=REF, wanted=Filter(), user="U1")
    sandbox.webhooks.hooks.clear()  # deleted in Harness behind the bot's back
    receiver = Receiver(store, on_events=queue_all)
    result = await catch_up(store, sandbox_client, accept=receiver.accept, seen=receiver.seen)
    assert (result.stored, result.failed) == (0, 1)
