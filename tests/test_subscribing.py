"""Subscribing against the Harness stand-in and a real SQLite store: one webhook per registry, shared,
created with a masked token and the operator's secret, deleted with the last subscription; a key that may
not edit the registry stores nothing."""

from __future__ import annotations

import pytest

from bot.harness.client import HarnessClient
from bot.harness.webhooks import TOKEN_HEADER, CannotManageWebhooks
from bot.parsing.globs import Filter
from bot.posting.subscribing import Subscriber, delivery_url
from bot.store import Store, token_matches
from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT
from tests.watching_support import REF

PUBLIC = "https://harbot.example.com"


@pytest.fixture
def subscriber(store: Store, sandbox_client: HarnessClient) -> Subscriber:
    return Subscriber(
        store=store, harness=sandbox_client, public_url=PUBLIC, secret_identifier="harbot_secret"
    )


async def test_the_first_subscription_creates_the_registrys_webhook(
    subscriber: Subscriber, sandbox: HarnessStandIn, store: Store
) -> None:
    done = await subscriber.subscribe(channel="C1", ref=REF, wanted=Filter(), user="U1")
    assert done.new
    assert done.created_webhook
    (hook,) = sandbox.webhooks.of(REF.path)
    assert hook.body["url"] == delivery_url(PUBLIC, hook.identifier)
    assert hook.body["secretIdentifier"] == "harbot_secret"
    assert hook.body["secretSpacePath"] == ACCOUNT
    (header,) = hook.body["extraHeaders"]
    assert header["key"] == TOKEN_HEADER
    assert header["masked"] is True
    async with store.transaction() as tx:
        stored = await tx.webhooks.for_registry(REF.path)
    assert stored is not None
    assert stored.identifier == hook.identifier
    assert token_matches(header["value"], stored.token_hash)
    assert header["value"] not in stored.token_hash


async def test_channels_share_the_webhook_and_the_last_unsubscribe_deletes_it(
    subscriber: Subscriber, sandbox: HarnessStandIn, store: Store
) -> None:
    one = await subscriber.subscribe(channel="C1", ref=REF, wanted=Filter(), user="U1")
    two = await subscriber.subscribe(channel="C2", ref=REF, wanted=Filter("web-*"), user="U2")
    assert not two.created_webhook
    assert len(sandbox.webhooks.of(REF.path)) == 1
    assert await subscriber.unsubscribe(one.subscription.id, channel="C2") is None  # not C2's
    assert await subscriber.unsubscribe(one.subscription.id, channel="C1") is not None
    assert len(sandbox.webhooks.of(REF.path)) == 1
    assert await subscriber.unsubscribe(two.subscription.id, channel="C2") is not None
    assert sandbox.webhooks.of(REF.path) == []
    async with store.transaction() as tx:
        assert await tx.webhooks.for_registry(REF.path) is None


async def test_subscribing_again_is_the_same_subscription(subscriber: Subscriber) -> None:
    first = await subscriber.subscribe(channel="C1", ref=REF, wanted=Filter(), user="U1")
    again = await subscriber.subscribe(
        channel="C1", ref=REF, wanted=Filter(pushes=True, deletes=False), user="U1"
    )
    assert not again.new
    assert again.subscription.id == first.subscription.id
    assert again.subscription.deletes is False


async def test_a_key_that_may_not_edit_the_registry_stores_nothing(
    subscriber: Subscriber, sandbox: HarnessStandIn, store: Store
) -> None:
    sandbox.webhooks.read_only.add(REF.path)
    with pytest.raises(CannotManageWebhooks):
        await subscriber.subscribe(channel="C1", ref=REF, wanted=Filter(), user="U1")
    async with store.transaction() as tx:
        assert await tx.webhooks.all() == []
        assert await tx.subscriptions.for_channel("C1") == []
