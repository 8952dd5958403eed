"""DMs, mentions, link unfurls and card buttons, end to end against the real app on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools.harness import Canned, success_body
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot
from tests.support import (
    LINK,
    REF,
    block_actions,
    dm,
    event_body,
    harness_fixture,
    link_shared,
    mention,
    message_of,
)

OTHER_REF = "acc_test/payments/npm-prod/+"
OTHER_LINK = (
    "https://app.harness.io/ng/account/acc_test/module/har/orgs/payments/registries/npm-prod/packages"
)

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits


async def send_event(bot: Bot, body: str, **headers: str) -> int:
    return await bot.send_event(body, **headers)


# --- Direct messages -------------------------------------------------------------------------------


async def test_dm_with_a_registry_gets_the_card_in_the_dm(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    assert await send_event(bot, event_body(dm("payments/checkout/docker-prod"))) == 200
    (posted,) = await bot.slack.wait_api("chat.postMessage")
    message = message_of(posted)
    assert message["channel"] == "D1"
    assert_valid_blocks(message["blocks"])
    assert "Open in Harness" in json.dumps(message["blocks"])


async def test_dm_with_a_link_in_a_sentence_gets_the_card(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    await send_event(bot, event_body(dm(f"can you check <{LINK}> please?")))
    await bot.slack.wait_api("chat.postMessage")
    assert len(bot.harness.calls(REF)) == 1


@pytest.mark.parametrize("text", ["help", "hello there"])
async def test_dm_without_a_registry_gets_help(bot: Bot, text: str) -> None:
    await send_event(bot, event_body(dm(text)))
    (posted,) = await bot.slack.wait_api("chat.postMessage")
    message = message_of(posted)
    assert_valid_blocks(message["blocks"])
    assert "payments/checkout/docker-prod" in json.dumps(message["blocks"])
    assert bot.harness.calls() == []


@pytest.mark.parametrize(
    "ignored",
    [
        dm("payments/checkout/docker-prod", bot_id="B999"),
        dm("payments/checkout/docker-prod", subtype="message_changed"),
        dm("payments/checkout/docker-prod", subtype="message_deleted"),
        dm("payments/checkout/docker-prod", user="UBOT"),
    ],
    ids=["other-bot", "edit", "deletion", "itself"],
)
async def test_dm_ignores_bots_itself_edits_and_deletions(bot: Bot, ignored: dict[str, Any]) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    assert await send_event(bot, event_body(ignored)) == 200
    # A marker DM afterwards: once its answer is in, the ignored one would have been answered too.
    await send_event(bot, event_body(dm("help")))
    await bot.slack.wait_api("chat.postMessage")
    assert len(bot.slack.api_calls("chat.postMessage")) == 1
    assert bot.harness.calls() == []


# --- Mentions --------------------------------------------------------------------------------------


async def test_mention_answers_in_a_thread_under_the_message(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    await send_event(bot, event_body(mention("payments/checkout/docker-prod")))
    (posted,) = await bot.slack.wait_api("chat.postMessage")
    message = message_of(posted)
    assert message["channel"] == "C1"
    assert message["thread_ts"] == "1700000000.000100"
    assert_valid_blocks(message["blocks"])


async def test_mention_inside_a_thread_stays_in_that_thread(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    await send_event(bot, event_body(mention(f"<{LINK}>", thread_ts="1699999999.000001")))
    (posted,) = await bot.slack.wait_api("chat.postMessage")
    assert message_of(posted)["thread_ts"] == "1699999999.000001"


async def test_mention_with_nothing_to_look_up_gets_help_only_for_the_asker(bot: Bot) -> None:
    await send_event(bot, event_body(mention("")))
    (posted,) = await bot.slack.wait_api("chat.postEphemeral")
    message = message_of(posted)
    assert message["user"] == "U123"
    assert message["thread_ts"] == "1700000000.000100"
    assert "@harbot" in json.dumps(message["blocks"])
    assert bot.harness.calls() == []
    assert bot.slack.api_calls("chat.postMessage") == []


async def test_mention_with_unreadable_text_answers_only_the_asker(bot: Bot) -> None:
    await send_event(bot, event_body(mention("nonsense!!")))
    (posted,) = await bot.slack.wait_api("chat.postEphemeral")
    assert message_of(posted)["user"] == "U123"
    assert "couldn't read" in message_of(posted)["text"]
    assert bot.slack.api_calls("chat.postMessage") == []


async def test_mention_error_goes_only_to_the_person_who_asked(bot: Bot) -> None:
    await send_event(bot, event_body(mention("payments/checkout/docker-prd")))
    (posted,) = await bot.slack.wait_api("chat.postEphemeral")
    message = message_of(posted)
    assert message["user"] == "U123"
    assert message["thread_ts"] == "1700000000.000100"
    assert "docker-prd" in message["text"]
    assert bot.slack.api_calls("chat.postMessage") == []


# --- Link unfurls ----------------------------------------------------------------------------------


async def test_two_registry_links_and_one_other_give_one_unfurl_call_with_two_unfurls(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    bot.harness.program(OTHER_REF, Canned(body=success_body(identifier="npm-prod", packageType="NPM")))
    other = "https://app.harness.io/ng/account/acc_test/all/settings"
    await send_event(bot, event_body(link_shared(LINK, other, OTHER_LINK)))
    (call,) = await bot.slack.wait_api("chat.unfurl")
    body = message_of(call)
    assert body["channel"] == "C1"
    assert body["ts"] == "1700000000.000200"
    assert set(body["unfurls"]) == {LINK, OTHER_LINK}
    for unfurl in body["unfurls"].values():
        assert_valid_blocks(unfurl["blocks"])


async def test_a_retried_event_produces_no_second_unfurl(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    first = event_body(link_shared(LINK), event_id="EvRETRY")
    await send_event(bot, first)
    await bot.slack.wait_api("chat.unfurl")
    status = await send_event(
        bot, first, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert status == 200
    await send_event(bot, event_body(link_shared(LINK)))  # a marker: a new event is still answered
    await bot.slack.wait_api("chat.unfurl", count=2)
    assert len(bot.slack.api_calls("chat.unfurl")) == 2


async def test_a_retried_mention_produces_no_second_reply(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    first = event_body(mention("payments/checkout/docker-prod"), event_id="EvMENTION")
    await send_event(bot, first)
    await bot.slack.wait_api("chat.postMessage")
    await send_event(bot, first, **{"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
    await send_event(bot, event_body(dm("help")))
    await bot.slack.wait_api("chat.postMessage", count=2)
    assert len(bot.slack.api_calls("chat.postMessage")) == 2


async def test_the_same_link_posted_by_many_costs_one_harness_call(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    for _ in range(5):
        await send_event(bot, event_body(link_shared(LINK)))
    await bot.slack.wait_api("chat.unfurl", count=5)
    assert len(bot.harness.calls(REF)) == 1


async def test_an_unfurl_that_fails_shows_nothing_and_is_logged(
    bot: Bot, captured_logs: pytest.LogCaptureFixture
) -> None:
    bot.harness.program(REF, Canned(status=403, body=b'{"code": "403", "message": "forbidden"}'))
    await send_event(bot, event_body(link_shared(LINK)))
    await bot.harness.wait_for(lambda r: True)
    await send_event(bot, event_body(dm("help")))  # marker
    await bot.slack.wait_api("chat.postMessage")
    assert bot.slack.api_calls("chat.unfurl") == []
    assert any("unfurl lookup failed" in r.getMessage() for r in captured_logs.records)


async def test_externally_shared_channel_gets_no_unfurl_by_default(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    await send_event(bot, event_body(link_shared(LINK), ext_shared=True))
    await send_event(bot, event_body(link_shared(LINK)))  # marker in an internal channel
    await bot.slack.wait_api("chat.unfurl")
    assert len(bot.slack.api_calls("chat.unfurl")) == 1


async def test_unfurl_policy_everywhere_unfurls_in_shared_channels(make_bot: Any) -> None:
    bot: Bot = await make_bot(unfurl_policy="everywhere")
    bot.harness.program(REF, Canned(body=success_body()))
    await send_event(bot, event_body(link_shared(LINK), ext_shared=True))
    await bot.slack.wait_api("chat.unfurl")


async def test_unfurl_policy_nowhere_never_unfurls(make_bot: Any) -> None:
    bot: Bot = await make_bot(unfurl_policy="nowhere")
    bot.harness.program(REF, Canned(body=success_body()))
    await send_event(bot, event_body(link_shared(LINK)))
    await send_event(bot, event_body(dm("help")))  # marker
    await bot.slack.wait_api("chat.postMessage")
    assert bot.slack.api_calls("chat.unfurl") == []
    assert bot.harness.calls() == []


async def test_links_on_extra_unfurl_domains_are_read(make_bot: Any) -> None:
    bot: Bot = await make_bot(harness_unfurl_domains="harness.example.com")
    bot.harness.program(REF, Canned(body=success_body()))
    await send_event(bot, event_body(link_shared(LINK.replace("app.harness.io", "harness.example.com"))))
    (call,) = await bot.slack.wait_api("chat.unfurl")
    assert len(message_of(call)["unfurls"]) == 1


# --- Buttons ---------------------------------------------------------------------------------------


async def test_refresh_looks_up_again_and_updates_the_message_in_place(bot: Bot) -> None:
    bot.harness.program(
        REF, Canned(body=success_body(description="before")), Canned(body=success_body(description="after"))
    )
    await bot.command("payments/checkout/docker-prod")
    await bot.slack.wait_response()
    status, _ = await bot.post(block_actions("refresh", REF, response_url=bot.slack.response_url("btn")))
    assert status == 200
    (posted,) = await bot.slack.wait_response("btn")
    message = posted.json()
    assert message["replace_original"] is True
    assert "after" in json.dumps(message["blocks"])
    assert_valid_blocks(message["blocks"])
    assert len(bot.harness.calls(REF)) == 2


async def test_share_posts_the_card_visibly_attributed_to_who_shared_it(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    await bot.post(block_actions("share", REF, response_url=bot.slack.response_url("share")))
    shared, deleted = await bot.slack.wait_response("share", count=2)
    message = shared.json()
    assert message["response_type"] == "in_channel"
    assert "<@U777>" in json.dumps(message["blocks"])
    assert "share" not in [e.get("action_id") for b in message["blocks"] for e in b.get("elements", [])]
    assert_valid_blocks(message["blocks"])
    assert deleted.json()["delete_original"] is True


async def test_open_in_harness_click_is_acknowledged(bot: Bot) -> None:
    status, _ = await bot.post(block_actions("open_in_harness", None, response_url=bot.slack.response_url()))
    assert status == 200


@pytest.mark.parametrize("value", [None, "", "../../etc/passwd", "acc/UPPER/+"])
async def test_a_button_with_an_unreadable_value_gets_a_friendly_answer(bot: Bot, value: str | None) -> None:
    await bot.post(block_actions("refresh", value, response_url=bot.slack.response_url("stale")))
    (posted,) = await bot.slack.wait_response("stale")
    assert posted.json()["response_type"] == "ephemeral"
    assert bot.harness.calls() == []
