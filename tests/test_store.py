"""The repositories, against real SQLite and PostgreSQL (one test each way)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.store import NewEvent, Store, hash_token, new_token, token_matches
from bot.store.lookups import Lookup
from tests.store_fixtures import both_backends

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
REF = "payments/checkout/docker-prod"

pytestmark = both_backends


def pushed(version: str = "1.4.2", *, at: datetime = NOW, artifact: str = "payments-api") -> NewEvent:
    return NewEvent(registry=REF, artifact=artifact, version=version, trigger="pushed", at=at)


async def test_start_twice_is_a_no_op(store: Store) -> None:
    await store.start()
    assert await store.ping() == ""


async def test_webhook_token_is_stored_hashed(store: Store) -> None:
    token = new_token()
    async with store.transaction() as tx:
        await tx.webhooks.add(registry=REF, identifier="harbot_abc", token=token, at=NOW)
    async with store.transaction() as tx:
        webhook = await tx.webhooks.by_identifier("harbot_abc")
    assert webhook is not None
    assert webhook.token_hash == hash_token(token) != token
    assert token_matches(token, webhook.token_hash)
    assert not token_matches(token + "x", webhook.token_hash)
    assert webhook.created_at == NOW


async def test_one_webhook_per_registry(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.webhooks.add(registry=REF, identifier="harbot_a", token="t", at=NOW)
    with pytest.raises(IntegrityError):
        async with store.transaction() as tx:
            await tx.webhooks.add(registry=REF, identifier="harbot_b", token="t", at=NOW)


async def test_webhook_remembers_last_delivery(store: Store) -> None:
    async with store.transaction() as tx:
        webhook = await tx.webhooks.add(registry=REF, identifier="harbot_a", token="t", at=NOW)
        await tx.webhooks.mark_delivery(webhook.id, at=NOW + timedelta(minutes=1), status="accepted")
    async with store.transaction() as tx:
        again = await tx.webhooks.for_registry(REF)
    assert again is not None
    assert (again.last_delivery_at, again.last_delivery_status) == (NOW + timedelta(minutes=1), "accepted")


async def test_subscribe_again_updates_instead_of_adding(store: Store) -> None:
    async with store.transaction() as tx:
        first, created = await tx.subscriptions.add(channel="C1", registry=REF, created_by="U1", at=NOW)
        second, again = await tx.subscriptions.add(
            channel="C1", registry=REF, created_by="U2", at=NOW, deletes=False
        )
    assert (created, again) == (True, False)
    assert first.id == second.id
    assert not second.deletes
    async with store.transaction() as tx:
        assert [s.id for s in await tx.subscriptions.for_channel("C1")] == [first.id]


async def test_ended_subscriptions_stop_counting(store: Store) -> None:
    async with store.transaction() as tx:
        one, _ = await tx.subscriptions.add(channel="C1", registry=REF, created_by="U1", at=NOW)
        await tx.subscriptions.add(channel="C2", registry=REF, created_by="U1", at=NOW, artifact_glob="pay*")
        assert await tx.subscriptions.count_for_registry(REF) == 2
        assert await tx.subscriptions.end(one.id, at=NOW) is not None
        assert await tx.subscriptions.end(one.id, at=NOW) is None
        assert await tx.subscriptions.end_channel("C2", at=NOW) == [REF]
        assert await tx.subscriptions.count_for_registry(REF) == 0
        _, revived = await tx.subscriptions.add(channel="C1", registry=REF, created_by="U3", at=NOW)
    assert revived


async def test_the_subscriptions_of_many_channels_are_counted_past_one_in_list(store: Store) -> None:
    channels = [f"C{i:04d}" for i in range(1_200)]  # three IN lists of 500
    async with store.transaction() as tx:
        for channel in channels:
            await tx.subscriptions.add(channel=channel, registry=REF, created_by="U1", at=NOW)
        await tx.subscriptions.add(channel="C0001", registry=REF, created_by="U1", at=NOW, tag_glob="1.*")
        ended, _ = await tx.subscriptions.add(
            channel="C0002", registry=REF, created_by="U1", at=NOW, tag_glob="2.*"
        )
        await tx.subscriptions.end(ended.id, at=NOW)
        await tx.subscriptions.add(channel="CELSEWHERE", registry=REF, created_by="U1", at=NOW)
    async with store.transaction() as tx:
        assert await tx.subscriptions.count_for_channels([*channels, "C0001", "CNONE"]) == 1_201
        assert await tx.subscriptions.count_for_channels([]) == 0


async def test_subscription_globs_match_events(store: Store) -> None:
    async with store.transaction() as tx:
        sub, _ = await tx.subscriptions.add(
            channel="C1", registry=REF, created_by="U1", at=NOW, artifact_glob="pay*", tag_glob="1.*"
        )
    assert sub.matches("payments-api", "1.4.2", "pushed")
    assert not sub.matches("orders-api", "1.4.2", "pushed")
    assert not sub.matches("payments-api", "2.0", "pushed")


async def test_a_delivery_key_is_stored_once(store: Store) -> None:
    async with store.transaction() as tx:
        first = await tx.deliveries.add(key="k", webhook_id=None, received_at=NOW, body="{}")
        second = await tx.deliveries.add(key="k", webhook_id=None, received_at=NOW, body="{}")
    assert first is not None
    assert second is None
    async with store.transaction() as tx:
        assert await tx.deliveries.count() == 1
        assert await tx.deliveries.seen(["k", "other"]) == {"k"}


async def test_concurrent_deliveries_of_one_key_store_one(store: Store) -> None:
    async def deliver() -> bool:
        async with store.transaction() as tx:
            return (
                await tx.deliveries.add(key="same", webhook_id=None, received_at=NOW, body="{}") is not None
            )

    results = await asyncio.gather(*(deliver() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_timeline_is_newest_first_and_pages(store: Store) -> None:
    async with store.transaction() as tx:
        for minute in range(5):
            await tx.events.add(pushed(f"1.{minute}", at=NOW + timedelta(minutes=minute)), delivery_id=None)
        await tx.events.add(pushed("0.9", at=NOW - timedelta(days=1)), delivery_id=None)
    async with store.transaction() as tx:
        page = await tx.events.timeline(REF, since=NOW, limit=3)
        rest = await tx.events.timeline(REF, since=NOW, limit=3, after=page[-1])
    assert [e.version for e in page] == ["1.4", "1.3", "1.2"]
    assert [e.version for e in rest] == ["1.1", "1.0"]


async def test_prune_deletes_old_events_deliveries_and_posts(store: Store) -> None:
    old = NOW - timedelta(days=31)
    async with store.transaction() as tx:
        delivery = await tx.deliveries.add(key="old", webhook_id=None, received_at=old, body="{}")
        assert delivery is not None
        event = await tx.events.add(pushed(at=old), delivery_id=delivery.id)
        await tx.posts.add(channel="C1", event_id=event.id, at=old)
        await tx.events.add(pushed("2.0"), delivery_id=None)
    pruned = await store.prune(now=NOW, keep_days=30)
    assert (pruned.events, pruned.deliveries) == (1, 1)
    async with store.transaction() as tx:
        assert await tx.events.count() == 1
        assert await tx.posts.pending_count() == 0


async def test_a_post_is_queued_once_per_channel_and_claimed_once(store: Store) -> None:
    async with store.transaction() as tx:
        event = await tx.events.add(pushed(), delivery_id=None)
        assert await tx.posts.add(channel="C1", event_id=event.id, at=NOW) is not None
        assert await tx.posts.add(channel="C1", event_id=event.id, at=NOW) is None
    async with store.transaction() as tx:
        claimed = await tx.posts.claim(now=NOW, lease=timedelta(seconds=30))
    async with store.transaction() as tx:
        assert await tx.posts.claim(now=NOW, lease=timedelta(seconds=30)) == []
        await tx.posts.mark_posted(claimed[0].id, slack_ts="1.2", at=NOW)
        posted = await tx.posts.get(claimed[0].id)
        assert await tx.posts.pending_count() == 0
    assert claimed[0].attempts == 1
    assert posted is not None
    assert (posted.state, posted.slack_ts) == ("posted", "1.2")


async def test_an_expired_claim_is_taken_again(store: Store) -> None:
    async with store.transaction() as tx:
        event = await tx.events.add(pushed(), delivery_id=None)
        await tx.posts.add(channel="C1", event_id=event.id, at=NOW)
        await tx.posts.claim(now=NOW, lease=timedelta(seconds=30))
    async with store.transaction() as tx:
        again = await tx.posts.claim(now=NOW + timedelta(seconds=31), lease=timedelta(seconds=30))
    assert [post.attempts for post in again] == [2]


async def test_recent_lookups_keep_the_newest_few_per_user(store: Store) -> None:
    async with store.transaction() as tx:
        for n in range(12):
            await tx.lookups.record(
                user="U1", kind="registry", ref=f"o/p/r{n}", at=NOW + timedelta(seconds=n)
            )
        await tx.lookups.record(user="U1", kind="registry", ref="o/p/r3", at=NOW + timedelta(minutes=5))
        await tx.lookups.record(user="U2", kind="version", ref="o/p/r/app:1", at=NOW)
    async with store.transaction() as tx:
        mine = await tx.lookups.for_user("U1")
        theirs = await tx.lookups.for_user("U2")
    assert len(mine) == 10
    assert mine[0].ref == "o/p/r3"
    assert [lookup.kind for lookup in theirs] == ["version"]


async def test_recent_lookups_in_one_batch_keep_each_users_newest_and_take_a_key_twice(store: Store) -> None:
    batch = [
        Lookup(user="U1", kind="registry", ref=f"o/p/r{n}", at=NOW + timedelta(seconds=n)) for n in range(12)
    ]
    batch += [
        Lookup(user="U1", kind="registry", ref="o/p/r3", at=NOW + timedelta(minutes=5)),  # again, newer
        Lookup(user="U1", kind="registry", ref="o/p/r3", at=NOW),  # again, older: the newer wins
        Lookup(user="U2", kind="artifact", ref="o/p/r/+/artifact/app/+", at=NOW),
    ]
    async with store.transaction() as tx:
        await tx.lookups.record_many(batch)
        await tx.lookups.record_many([])
    async with store.transaction() as tx:
        mine = await tx.lookups.for_user("U1")
        theirs = await tx.lookups.for_user("U2")
    assert [lookup.ref for lookup in mine[:3]] == ["o/p/r3", "o/p/r11", "o/p/r10"]
    assert len(mine) == 10
    assert [lookup.kind for lookup in theirs] == ["artifact"]
