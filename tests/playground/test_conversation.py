"""The playground end to end without a browser: typed text in, the real app's answers out.

Each test types what a person would and reads the Workspace, which is what the page draws.
"""

from __future__ import annotations

import aiohttp
import pytest

from bot.settings import Settings
from devtools.harness import Canned, HarnessStandIn
from devtools.playground import Playground
from devtools.playground.workspace import CHANNEL, DM, ME, SLACKBOT, Message
from devtools.registries import ACCOUNT
from tests.blockkit import assert_valid_blocks
from tests.conftest import HARNESS_KEY
from tests.playground.conftest import bot_text, card_for, from_bot, playground_env, wait_for_message
from tests.support import harness_fixture

LINK = (
    f"https://app.harness.io/ng/account/{ACCOUNT}/all/orgs/payments/projects/checkout/registries/docker-prod"
)

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits


async def test_slash_command_answers_with_an_ephemeral_card(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/har payments/checkout/docker-prod")
    card = await wait_for_message(playground, CHANNEL, card_for("docker-prod"), what="the card")
    assert card.ephemeral
    assert card.via == "response_url"
    assert_valid_blocks(card.blocks)
    assert "dockerhub-proxy" in bot_text(card)


async def test_slash_command_is_echoed_only_to_the_user(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/har payments/checkout/docker-prod")
    echo = await wait_for_message(playground, CHANNEL, lambda m: m.kind == "command")
    assert (echo.user, echo.ephemeral, echo.text) == (ME, True, "/har payments/checkout/docker-prod")


async def test_help_comes_back_in_the_acknowledgement(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/har help")
    reply = await wait_for_message(playground, CHANNEL, from_bot)
    assert reply.via == "acknowledgement"
    assert reply.ephemeral
    assert ACCOUNT in bot_text(reply)


async def test_share_answers_in_channel(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/har share payments/helm-charts")
    card = await wait_for_message(playground, CHANNEL, card_for("helm-charts"))
    assert not card.ephemeral


async def test_direct_message_gets_the_card_in_the_dm(playground: Playground) -> None:
    await playground.slack_side().send(DM, "dockerhub-proxy")
    card = await wait_for_message(playground, DM, card_for("dockerhub-proxy"))
    assert not card.ephemeral
    assert card.via == "chat.postMessage"
    assert "Docker Hub" in bot_text(card)


async def test_mention_is_answered_in_a_thread(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "@harbot platform/ci/build-cache")
    question = await wait_for_message(playground, CHANNEL, lambda m: m.user == ME)
    card = await wait_for_message(playground, CHANNEL, card_for("build-cache"))
    assert question.text.startswith("<@U07HARBOT1>")
    assert card.thread_ts == question.ts
    assert "more" in bot_text(card)


async def test_pasted_link_is_unfurled_under_the_message(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, f"deploy failing, see {LINK}/packages")
    message = await wait_for_message(playground, CHANNEL, lambda m: bool(m.unfurls), what="an unfurl")
    ((url, unfurl),) = message.unfurls.items()
    assert url == f"{LINK}/packages"
    assert_valid_blocks(unfurl["blocks"])
    assert "docker-prod" in str(unfurl)


async def test_a_channel_message_the_bot_cannot_hear_says_so(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "is anyone looking at checkout?")
    notice = await wait_for_message(playground, CHANNEL, lambda m: m.user == SLACKBOT)
    assert notice.ephemeral
    assert "Slack sent it nothing" in notice.text


async def test_an_unknown_command_is_refused_like_slack_does(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/deploy now")
    notice = await wait_for_message(playground, CHANNEL, lambda m: m.user == SLACKBOT)
    assert "not a valid command" in notice.text


async def _card(playground: Playground, text: str, name: str) -> tuple[str, str]:
    await playground.slack_side().send(CHANNEL, text)
    card = await wait_for_message(playground, CHANNEL, card_for(name))
    (actions,) = [b for b in card.stored_blocks() if b["type"] == "actions"]
    return card.ts, actions["block_id"]


async def test_refresh_replaces_the_card_in_place(playground: Playground) -> None:
    ts, block_id = await _card(playground, "/har payments/checkout/docker-prod", "docker-prod")
    assert await playground.slack_side().press(CHANNEL, ts, block_id, "refresh")
    refreshed = await wait_for_message(
        playground, CHANNEL, lambda m: m.ts == ts and "replace_original" in m.via, what="the refreshed card"
    )
    assert card_for("docker-prod")(refreshed)
    assert len([m for m in playground.workspace.conversations[CHANNEL].messages if from_bot(m)]) == 1


async def test_share_in_channel_posts_the_card_and_removes_the_ephemeral_one(playground: Playground) -> None:
    ts, block_id = await _card(playground, "/har payments/checkout/npm-internal", "npm-internal")
    assert await playground.slack_side().press(CHANNEL, ts, block_id, "share")
    shared = await wait_for_message(
        playground, CHANNEL, lambda m: card_for("npm-internal")(m) and not m.ephemeral
    )
    assert "Shared by" in bot_text(shared)
    await wait_for_message(
        playground,
        CHANNEL,
        lambda m: playground.workspace.conversations[CHANNEL].find(ts) is None,
        what="the ephemeral card gone",
    )


async def test_pressing_a_button_that_is_gone_does_nothing(playground: Playground) -> None:
    assert not await playground.slack_side().press(CHANNEL, "1.000001", "nope", "refresh")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("/har payments/forbidden", "doesn't have permission to read `forbidden` in org"),
        ("/har broken", "Harness had a problem"),
        ("/har busy", "Harness is busy"),
        ("/har garbled", "answer I couldn't read"),
        ("/har payments/checkout/docker-prd", "couldn't find a registry named"),
        ("/har slow", "didn't answer in time"),
    ],
)
async def test_error_names_show_the_friendly_message(playground: Playground, text: str, says: str) -> None:
    await playground.slack_side().send(CHANNEL, text)

    def answer(message: Message) -> bool:
        return from_bot(message) and not bot_text(message).startswith("Looking up")

    reply = await wait_for_message(playground, CHANNEL, answer)
    assert reply.ephemeral
    assert says in bot_text(reply).replace("&#x27;", "'")
    # A slow answer first said "Looking up…"; the answer replaced it, as Slack's replace_original does.
    shown = [bot_text(m) for m in playground.workspace.conversations[CHANNEL].messages]
    assert not any(text.startswith("Looking up") for text in shown)


async def test_deleted_registry_card_warns(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/har payments/checkout/docker-legacy")
    card = await wait_for_message(playground, CHANNEL, card_for("docker-legacy"))
    assert "This registry was deleted" in bot_text(card)


# -------------------------------------------------------------------------------------------------------
# The page's own HTTP endpoints.


async def test_page_is_served_with_sandbox_notice(playground: Playground) -> None:
    async with aiohttp.ClientSession() as session, session.get(playground.url) as response:
        assert response.status == 200
        page = await response.text()
    assert "Sandbox data" in page
    assert "These registries are made up." in page
    for name in ("docker-prod", "forbidden", "slow", "broken"):
        assert name in page


async def test_send_endpoint_delivers_and_updates_report_the_card(playground: Playground) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{playground.url}playground/send",
            json={"channel": CHANNEL, "text": "/har payments/checkout/docker-prod"},
        ) as response:
            assert response.status == 200
        await wait_for_message(playground, CHANNEL, card_for("docker-prod"))
        async with session.get(f"{playground.url}playground/updates", params={"since": "0"}) as response:
            update = await response.json()
    assert update["version"] == playground.workspace.version
    assert "bk-header-text" in update["conversations"][CHANNEL]
    assert "Slack → app" in update["log"]


async def test_page_refuses_other_host_names(playground: Playground) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(playground.url, headers={"Host": "evil.example"}) as response,
    ):
        assert response.status == 403


async def test_page_posts_must_be_json(playground: Playground) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{playground.url}playground/send", data={"channel": CHANNEL, "text": "hi"}) as response,
    ):
        assert response.status == 415
    assert playground.workspace.conversations[CHANNEL].messages == []


async def test_web_api_refuses_a_wrong_token(playground: Playground) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{playground.url}api/chat.postMessage",
            json={"channel": CHANNEL, "text": "hi"},
            headers={"Authorization": "Bearer xoxb-not-ours"},
        ) as response,
    ):
        answer = await response.json()
    assert answer == {"ok": False, "error": "invalid_auth"}


async def test_web_api_refuses_blocks_slack_would_refuse(playground: Playground) -> None:
    token = playground.slack_side().bot_token
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{playground.url}api/chat.postMessage",
            json={
                "channel": CHANNEL,
                "text": "x",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 200}}],
            },
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        answer = await response.json()
    assert answer["error"] == "invalid_blocks"
    notice = await wait_for_message(playground, CHANNEL, lambda m: m.user == SLACKBOT)
    assert "invalid_blocks" in notice.text


async def test_requests_reach_the_app_signed_and_unsigned_ones_are_refused(playground: Playground) -> None:
    app_url = playground.slack_side().app_url
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{app_url}/slack/events", data="command=/har&text=help") as response,
    ):
        assert response.status == 401


async def test_slack_allow_lists_for_the_real_workspace_do_not_lock_the_playground_out() -> None:
    real = {
        "allowed_slack_teams": ("T0REALTEAM",),
        "allowed_slack_channels": ("C0REAL",),
        "allowed_slack_users": ("U0REAL",),
    }
    env = playground_env(**{name: ids for name, ids in real.items() if name in Settings.model_fields})
    async with Playground(env, port=0) as playground:
        await playground.slack_side().send(CHANNEL, "/har payments/checkout/docker-prod")
        await wait_for_message(playground, CHANNEL, card_for("docker-prod"))


async def test_with_a_harness_key_lookups_go_to_that_harness_not_the_sandbox(harness: HarnessStandIn) -> None:
    harness.program("acc_test/payments/checkout/docker-prod/+", Canned(body=harness_fixture("virtual.json")))
    env = playground_env(harness_api_key=HARNESS_KEY, harness_base_url=harness.base_url)
    async with Playground(env, port=0) as playground:
        assert playground.sandbox is None
        await playground.slack_side().send(CHANNEL, "/har payments/checkout/docker-prod")
        await wait_for_message(playground, CHANNEL, card_for("docker-prod"))
    (call,) = harness.calls("acc_test/payments/checkout/docker-prod/+")
    assert call.headers["x-api-key"] == HARNESS_KEY


async def test_a_bare_name_is_found_wherever_it_lives(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/har docker-prod")
    card = await wait_for_message(playground, CHANNEL, card_for("docker-prod"), what="the card")
    assert "found in payments › checkout" in bot_text(card)
    assert_valid_blocks(card.blocks)


async def test_a_misspelt_name_gets_did_you_mean(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/har docker-prd")

    def choices(message: Message) -> bool:
        return (
            from_bot(message) and "docker-prod" in bot_text(message) and "Did you mean" in bot_text(message)
        )

    reply = await wait_for_message(playground, CHANNEL, choices, what="did you mean")
    assert reply.ephemeral
    assert_valid_blocks(reply.blocks)


async def test_list_and_pull_answer_only_the_asker(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "/har list")
    listing = await wait_for_message(
        playground, CHANNEL, lambda m: from_bot(m) and "dockerhub-proxy" in bot_text(m), what="the list"
    )
    assert listing.ephemeral
    assert_valid_blocks(listing.blocks)
    await playground.slack_side().send(CHANNEL, "/har pull payments/checkout/docker-prod")
    steps = await wait_for_message(
        playground, CHANNEL, lambda m: from_bot(m) and "docker pull" in bot_text(m), what="the pull steps"
    )
    assert steps.ephemeral
    assert_valid_blocks(steps.blocks)
