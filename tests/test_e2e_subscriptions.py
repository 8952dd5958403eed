"""Subscriptions end to end: the real app on loopback, `/har subscribe` as Slack sends it, the sandbox
Harness making its webhook and delivering a push to the bot's own route, the poster posting to the Slack
stand-in, and the posted message's Version card button answering with the version's card."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cards.changes import ACTION_VERSION
from bot.listeners.recent import recent
from bot.refs import ArtifactRef, VersionRef
from devtools.harness import HarnessStandIn
from devtools.slack import SlackStandIn, arguments
from tests.conftest import stop_bot
from tests.support import block_actions
from tests.watching_support import PUBLIC, REF, serve_subscribing_bot


@pytest.mark.slow
async def test_a_push_reaches_the_subscribed_channel_once_and_its_button_opens_the_version(
    sandbox: HarnessStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    bot, runner = await serve_subscribing_bot(slack, sandbox, tmp_path)
    try:
        status, _ = await bot.command(f"subscribe {REF.short}/checkout-*")
        assert status == 200
        (answer,) = await slack.wait_response("1")
        assert "will hear about pushes and deletes" in json.dumps(answer.json())
        (hook,) = sandbox.webhooks.of(REF.path)
        # PUBLIC_URL is the tunnel in front of the bot: here, the bot's own loopback address.
        hook.body["url"] = str(hook.body["url"]).replace(PUBLIC, bot.url)
        for _ in range(2):  # Harness retrying the same delivery: one event, one post
            (execution,) = await sandbox.webhooks.push(REF.path, "checkout-api", "2.14.0")
            assert execution["result"] == "SUCCESS"
        await sandbox.webhooks.push(REF.path, "other-thing", "9")  # not matched by checkout-*
        (posted,) = await slack.wait_api("chat.postMessage")
        sent = arguments(posted)
        assert sent is not None
        assert sent["channel"] == "C123"
        assert "checkout-api:2.14.0" in json.dumps(sent)
        assert "Alice" in json.dumps(sent)
        await asyncio.sleep(1.5)  # a second post would be due by now: at most one a second per channel
        assert len(slack.api_calls("chat.postMessage")) == 1
        (button,) = [
            element
            for block in sent["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element.get("action_id") == ACTION_VERSION
        ]
        clicked = block_actions(
            ACTION_VERSION, button["value"], response_url=slack.response_url("2"), channel="C123"
        )
        status, _ = await bot.post(clicked)
        assert status == 200
        (card,) = await slack.wait_response("2")
        shown = card.json()
        assert shown.get("response_type") == "ephemeral"
        assert "sha256:" in json.dumps(shown), "the version card, with its digest"
        opened = VersionRef(ArtifactRef(REF, "checkout-api"), "2.14.0")
        assert opened in await recent("U777", bot.services), "the Home tab's recent lookups have it"
    finally:
        await stop_bot(bot, runner)
