"""The Slack stand-in answers the Web API as Slack does, seen through slack_sdk's own client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from devtools.slack import SlackStandIn

TOKEN = "xoxb-stand-in-SENTINEL"
TOO_LONG_HEADER = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 200}}]


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    server = SlackStandIn(bot_token=TOKEN, scopes=("commands", "chat:write"))
    await server.start()
    yield server
    await server.stop()


def client(slack: SlackStandIn, token: str = TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.api_url)


async def test_auth_test_lists_the_granted_scopes_in_a_header(slack: SlackStandIn) -> None:
    response = await client(slack).auth_test()
    assert response["user_id"] == "UBOT"
    assert response.headers["x-oauth-scopes"] == "commands,chat:write"


async def test_auth_test_fails_as_configured(slack: SlackStandIn) -> None:
    slack.auth_error = "account_inactive"
    with pytest.raises(SlackApiError) as failed:
        await client(slack).auth_test()
    assert failed.value.response["error"] == "account_inactive"


async def test_a_wrong_token_is_invalid_auth(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as failed:
        await client(slack, "xoxb-not-ours").chat_postMessage(channel="C1", text="hi")
    assert failed.value.response["error"] == "invalid_auth"


async def test_messages_get_increasing_timestamps_and_are_recorded(slack: SlackStandIn) -> None:
    first = await client(slack).chat_postMessage(channel="C1", text="one")
    second = await client(slack).chat_postMessage(channel="C1", text="two")
    assert float(first["ts"]) < float(second["ts"])
    assert [call.json()["text"] for call in slack.api_calls("chat.postMessage")] == ["one", "two"]
    assert TOKEN not in repr(slack.requests)


async def test_blocks_slack_would_refuse_are_refused(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as failed:
        await client(slack).chat_postMessage(channel="C1", text="x", blocks=TOO_LONG_HEADER)
    assert failed.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as unfurl:
        await client(slack).chat_unfurl(
            channel="C1", ts="1.2", unfurls={"https://x": {"blocks": TOO_LONG_HEADER}}
        )
    assert unfurl.value.response["error"] == "invalid_unfurls"


async def test_update_delete_and_ephemeral_answer_ok(slack: SlackStandIn) -> None:
    web = client(slack)
    assert (await web.chat_postEphemeral(channel="C1", user="U1", text="psst"))["ok"]
    assert (await web.chat_update(channel="C1", ts="1.2", text="new"))["ts"] == "1.2"
    assert (await web.chat_delete(channel="C1", ts="1.2"))["ok"]


async def test_a_method_slack_does_not_have_is_unknown(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as failed:
        await client(slack).api_call("chat.shout", json={"text": "hi"})
    assert failed.value.response["error"] == "unknown_method"


async def test_response_urls_refuse_invalid_blocks_and_record_posts(slack: SlackStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            slack.response_url("r"), json={"text": "x", "blocks": TOO_LONG_HEADER}
        ) as bad:
            assert (bad.status, await bad.text()) == (400, "invalid_blocks")
        async with session.post(slack.response_url("r"), json={"text": "fine"}) as good:
            assert good.status == 200
    assert len(await slack.wait_response("r", count=2)) == 2


async def test_channel_states_refuse_messages_and_show_in_conversations_info(slack: SlackStandIn) -> None:
    slack.channels["C9"] = "is_archived"
    with pytest.raises(SlackApiError) as refused:
        await client(slack).chat_postMessage(channel="C9", text="hi")
    assert refused.value.response["error"] == "is_archived"
    info = await client(slack).api_call("conversations.info", data={"channel": "C9"})
    assert info["channel"] == {"id": "C9", "is_member": False, "is_archived": True}
    member = await client(slack).api_call("conversations.info", data={"channel": "C1"})
    assert member["channel"]["is_member"] is True
    slack.channels["C8"] = "channel_not_found"
    with pytest.raises(SlackApiError) as missing:
        await client(slack).api_call("conversations.info", data={"channel": "C8"})
    assert missing.value.response["error"] == "channel_not_found"


async def test_api_failures_answer_the_next_calls_then_slack_recovers(slack: SlackStandIn) -> None:
    slack.api_failures = [(429, {"Retry-After": "7"}), (503, {})]
    web = AsyncWebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as limited:
        await web.chat_postMessage(channel="C1", text="hi")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    with pytest.raises(SlackApiError) as unavailable:
        await web.chat_postMessage(channel="C1", text="hi")
    assert unavailable.value.response.status_code == 503
    assert (await web.chat_postMessage(channel="C1", text="hi"))["ok"] is True


async def test_trouble_until_fails_every_call_until_then(slack: SlackStandIn) -> None:
    slack.trouble = (503, {})
    slack.trouble_until = float("inf")
    web = AsyncWebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError):
        await web.chat_postMessage(channel="C1", text="hi")
    slack.trouble_until = 0.0
    assert (await web.chat_postMessage(channel="C1", text="hi"))["ok"] is True
