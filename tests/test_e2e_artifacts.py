"""Issue 16 end to end: a version link pasted in a thread unfurls as a version card, and `/har
<registry>/<artifact>:<tag>` answers with the same version; the real app on loopback, requests signed as
Slack signs them, the sandbox Harness stand-in with its artifact catalog."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.refs import ArtifactRef, RegistryRef, VersionRef
from devtools.artifacts import digest_of
from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY
from devtools.slack import SlackStandIn
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot, serve_bot, stop_bot
from tests.support import event_body, link_shared

pytestmark = pytest.mark.slow

DOCKER_PROD = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prod")
API = ArtifactRef(DOCKER_PROD, "checkout-api")
UI = "https://app.harness.io"


@pytest.fixture
async def sandbox_bot() -> AsyncIterator[Bot]:
    harness, slack = HarnessStandIn.sandbox(slow_seconds=1.0), SlackStandIn()
    await harness.start()
    await slack.start()
    bot, runner = await serve_bot(slack, harness, harness_api_key=API_KEY, harness_account_id=ACCOUNT)
    try:
        yield bot
    finally:
        await stop_bot(bot, runner)
        await slack.stop()
        await harness.stop()


def text_of(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_a_version_link_unfurls_with_its_digest_size_pusher_and_pull_by_digest(
    sandbox_bot: Bot,
) -> None:
    digest = digest_of("checkout-api:2.14.0:linux/arm64")
    link = VersionRef(API, "2.14.0", digest).ui_url(UI)
    assert await sandbox_bot.send_event(event_body(link_shared(link))) == 200
    (call,) = await sandbox_bot.slack.wait_api("chat.unfurl")
    unfurls = json.loads(call.body)["unfurls"] if call.body.startswith(b"{") else None
    assert unfurls is not None, call.body
    (unfurl,) = unfurls.values()
    assert_valid_blocks(unfurl["blocks"])
    shown = text_of(unfurl["blocks"])
    assert digest[:15] in shown
    assert "212.7MB" in shown
    assert "pushed by alice@example.com" in shown
    assert f"checkout-api@{digest}" in shown  # the pull-by-digest command


async def test_a_tag_typed_after_the_registry_answers_with_the_version_card(sandbox_bot: Bot) -> None:
    status, _ = await sandbox_bot.command("payments/checkout/docker-prod/checkout-api:2.14.0")
    assert status == 200
    answers = await sandbox_bot.slack.wait_response()
    card = answers[-1].json()
    assert_valid_blocks(card["blocks"])
    shown = text_of(card["blocks"])
    assert "2.14.0" in shown
    assert "alice@example.com" in shown
    assert "checkout-api@sha256:" in shown


async def test_three_parts_that_name_a_registry_still_answer_with_the_registry_card(sandbox_bot: Bot) -> None:
    status, _ = await sandbox_bot.command("payments/checkout/docker-prod")
    assert status == 200
    answers = await sandbox_bot.slack.wait_response()
    card = answers[-1].json()
    assert "docker-prod" in card["text"]
    assert "Artifacts" in text_of(card["blocks"])  # the registry card's button into the registry
