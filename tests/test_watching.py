"""subscribe, unsubscribe, subscriptions and changes at handler level: real services on the Harness
sandbox, a real SQLite store, the Slack stand-in; no bot server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.access import Asker
from bot.answers import Answer
from bot.cards.artifact import artifact_value
from bot.cards.blocks import Reply
from bot.commands import SLASH
from bot.harness.client import HarnessClient
from bot.parsing import ScopeContext
from bot.posting.fanout import queue_posts
from bot.refs import ArtifactRef, VersionRef
from bot.services import Services, build_services
from bot.store import NewEvent, Store
from bot.tasks.artifacts import VersionLookup
from bot.watching import (
    Changes,
    Subscribe,
    Subscriptions,
    Unsubscribe,
    changes_handler,
    older_click,
    subscribe_handler,
    unsubscribe_click,
    unsubscribe_handler,
    version_click,
)
from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY
from devtools.slack import SlackStandIn
from tests.cardcheck import checked, everything
from tests.conftest import make_settings
from tests.watching_support import REF, UPSTREAM

ASKER = Asker(team="T1", channel="C1", user="U1")
PUBLIC = "https://harbot.example.com"


async def make_services(
    sandbox: HarnessStandIn,
    slack: SlackStandIn,
    store: Store,
    *,
    public_url: str | None = PUBLIC,
    **overrides: Any,
) -> Services:
    config = make_settings(
        harness_base_url=sandbox.base_url,
        harness_api_key=API_KEY,
        harness_account_id=ACCOUNT,
        slack_api_url=slack.api_url,
        public_url=public_url,
        **overrides,
    )
    client = HarnessClient(
        base_url=sandbox.base_url, api_key=API_KEY, timeout=1.0, deadline=3.0, backoff=0.01
    )
    services = build_services(config, harness=client, store=store)
    await services.start()
    return services


@pytest.fixture
async def services(sandbox: HarnessStandIn, slack: SlackStandIn, store: Store) -> AsyncIterator[Services]:
    started = await make_services(sandbox, slack, store)
    yield started
    await started.aclose()


SCOPE = ScopeContext(account_id=ACCOUNT)


def understood(handler: Any, text: str) -> Any:
    return handler(text, SCOPE, SLASH)


async def run(task: Any, services: Services) -> Answer:
    answer: Answer = await task.run(services.deps, ASKER, surface="command")
    checked(answer.reply)
    return answer


async def test_subscribe_creates_the_webhook_and_says_so_in_the_channel(
    services: Services, sandbox: HarnessStandIn, store: Store
) -> None:
    task = understood(subscribe_handler, f"{REF.short}/payments-*:1.* pushes")
    assert isinstance(task, Subscribe)
    answer = await run(task, services)
    assert answer.ok
    assert answer.public
    assert "This channel will hear about pushes in" in everything(answer.reply.as_kwargs())
    assert len(sandbox.webhooks.of(REF.path)) == 1
    async with store.transaction() as tx:
        (subscription,) = await tx.subscriptions.for_channel("C1")
    assert (subscription.artifact_glob, subscription.tag_glob, subscription.deletes) == (
        "payments-*",
        "1.*",
        False,
    )


async def test_a_scope_the_allow_lists_refuse_stores_nothing(
    sandbox: HarnessStandIn, slack: SlackStandIn, store: Store
) -> None:
    services = await make_services(sandbox, slack, store, allowed_harness_scopes=("someone_else",))
    try:
        answer = await run(understood(subscribe_handler, REF.short), services)
    finally:
        await services.aclose()
    assert not answer.ok
    assert sandbox.webhooks.hooks == {}
    async with store.transaction() as tx:
        assert await tx.subscriptions.for_channel("C1") == []


async def test_without_public_url_subscribe_names_the_setting(
    sandbox: HarnessStandIn, slack: SlackStandIn, store: Store
) -> None:
    services = await make_services(sandbox, slack, store, public_url=None)
    try:
        answer = await run(understood(subscribe_handler, REF.short), services)
    finally:
        await services.aclose()
    assert not answer.ok
    assert "PUBLIC_URL" in everything(answer.reply.as_kwargs())
    assert sandbox.webhooks.hooks == {}


async def test_a_private_public_url_is_accepted_with_a_warning(
    sandbox: HarnessStandIn, slack: SlackStandIn, store: Store
) -> None:
    services = await make_services(sandbox, slack, store, public_url="http://127.0.0.1:3000")
    try:
        answer = await run(understood(subscribe_handler, REF.short), services)
    finally:
        await services.aclose()
    assert answer.ok
    assert "private address" in everything(answer.reply.as_kwargs())


async def test_the_bot_must_be_in_the_channel(
    services: Services, slack: SlackStandIn, sandbox: HarnessStandIn
) -> None:
    slack.channels["C1"] = "not_in_channel"
    answer = await run(understood(subscribe_handler, REF.short), services)
    assert not answer.ok
    assert "/invite" in everything(answer.reply.as_kwargs())
    assert sandbox.webhooks.hooks == {}


async def test_an_upstream_registry_cannot_be_subscribed(services: Services, sandbox: HarnessStandIn) -> None:
    answer = await run(understood(subscribe_handler, UPSTREAM.short), services)
    assert not answer.ok
    assert "virtual" in everything(answer.reply.as_kwargs())
    assert sandbox.webhooks.hooks == {}


async def test_a_key_without_edit_permission_gets_the_sentence(
    services: Services, sandbox: HarnessStandIn
) -> None:
    sandbox.webhooks.read_only.add(REF.path)
    answer = await run(understood(subscribe_handler, REF.short), services)
    assert not answer.ok
    assert "My Harness key can't manage webhooks in" in everything(answer.reply.as_kwargs())
    assert "needs edit permission on the registry" in everything(answer.reply.as_kwargs())


async def test_subscriptions_lists_and_unsubscribe_ends_and_removes_the_webhook(
    services: Services, sandbox: HarnessStandIn
) -> None:
    await run(understood(subscribe_handler, REF.short), services)
    listed = await run(Subscriptions(), services)
    assert "Unsubscribe" in str(listed.reply.blocks)
    task = understood(unsubscribe_handler, REF.short)
    assert isinstance(task, Unsubscribe)
    answer = await run(task, services)
    assert answer.ok
    assert sandbox.webhooks.hooks == {}
    again = await run(task, services)
    assert not again.ok
    assert "isn't subscribed" in everything(again.reply.as_kwargs())


async def test_changes_shows_stored_events_newest_first(services: Services, store: Store) -> None:
    await run(understood(subscribe_handler, REF.short), services)
    async with store.transaction() as tx:
        for n, artifact in enumerate(("older", "newer")):
            event = NewEvent(
                registry=REF.path,
                artifact=artifact,
                version="1",
                trigger="pushed",
                at=datetime.now(UTC).replace(microsecond=n),
            )
            await queue_posts(tx, await tx.events.add(event, delivery_id=None), now=datetime.now(UTC))
    task = understood(changes_handler, f"{REF.short} since 2h")
    assert isinstance(task, Changes)
    text = everything((await run(task, services)).reply.as_kwargs())
    assert text.index("newer:1") < text.index("older:1")
    assert "Pushes only" not in text


async def test_changes_for_an_unsubscribed_registry_come_from_the_listing_pushes_only(
    services: Services,
) -> None:
    text = everything(
        (await run(understood(changes_handler, f"{REF.short} since 90d"), services)).reply.as_kwargs()
    )
    assert "Pushes only" in text
    assert "pushed to docker-prod" in text
    assert "deleted from" not in text


async def test_changes_of_an_artifact_nobody_has_says_nothing_changed(services: Services) -> None:
    task = understood(changes_handler, f"{REF.short}/no-such-artifact since 2h")
    text = everything((await run(task, services)).reply.as_kwargs())
    assert "No pushes in" in text


def test_usage_problems_are_answered_at_once() -> None:
    for handler, text in ((subscribe_handler, ""), (unsubscribe_handler, ""), (changes_handler, "")):
        assert isinstance(understood(handler, text), Reply)
    reply = understood(changes_handler, "docker-prod since soon")
    assert isinstance(reply, Reply)
    assert "since" in everything(checked(reply))
    pattern = understood(changes_handler, "docker-prod/payments-*")
    assert isinstance(pattern, Reply)
    assert "not a pattern" in everything(checked(pattern))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.text(max_size=80))
def test_fuzzed_subscribe_text_is_a_task_or_a_clear_reply(text: str) -> None:
    found = understood(subscribe_handler, text)
    if isinstance(found, Reply):
        checked(found)
    else:
        assert isinstance(found, Subscribe)
        assert found.readings


def test_buttons_values_read_back_or_are_refused() -> None:
    assert unsubscribe_click("7") == Unsubscribe(subscription_id=7)
    assert unsubscribe_click("x") is None
    assert unsubscribe_click(None) is None
    older = older_click(f"{REF.path} - 1765000000 2")
    assert older is not None
    assert (older.ref, older.artifact, older.page) == (REF, None, 2)
    for junk in ("", "a b c", f"{REF.path} - x 2", f"{REF.path} - 1 999", "nope/+ - 1 1"):
        assert older_click(junk) is None


def test_the_version_card_button_reads_its_value_and_the_one_posted_before() -> None:
    version = VersionRef(ArtifactRef(REF, "payments-api"), "1.4.2", "sha256:" + "ab" * 32)
    assert version_click(artifact_value(version)) == VersionLookup(version)
    legacy = VersionRef(ArtifactRef(REF, "payments-api"), "1.4.2")
    assert version_click(f"{REF.path} payments-api 1.4.2") == VersionLookup(legacy)
    artifact_only = artifact_value(ArtifactRef(REF, "payments-api"))
    for junk in (artifact_only, "", "a b", f"{REF.path} payments-api", "x" * 3000, None, 7):
        assert version_click(junk) is None
