"""Everything the bot sends to Slack goes over one pooled session, open while the bot serves."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.__main__ import run_socket_mode
from bot.services import build_services
from devtools.harness import Canned, HarnessStandIn
from devtools.slack import SlackStandIn
from tests.conftest import APP_TOKEN, Bot, make_settings, serve_bot, stop_bot
from tests.support import (
    LINK,
    REF,
    LogWatch,
    dm,
    event_body,
    harness_fixture,
    link_shared,
    settle,
    slash_command_envelope,
)

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits


async def test_answers_through_response_url_reuse_one_connection(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    for name in ("first", "second", "third"):
        await bot.command("payments/checkout/docker-prod", name=name)
        await bot.slack.wait_response(name)
    peers = {call.peer for call in bot.slack.requests if call.path.startswith("/response/")}
    assert len(peers) == 1


async def test_unfurls_and_answers_share_the_pooled_connection(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    await bot.command("payments/checkout/docker-prod")
    (answer,) = await bot.slack.wait_response()
    assert await bot.send_event(event_body(link_shared(LINK))) == 200
    (unfurl,) = await bot.slack.wait_api("chat.unfurl")
    assert unfurl.peer == answer.peer


async def test_the_slack_session_is_open_while_serving_and_closed_after(
    slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    bot, runner = await serve_bot(slack, harness)
    assert bot.services.slack.is_open
    await stop_bot(bot, runner)
    assert not bot.services.slack.is_open


async def test_socket_mode_opens_the_session_and_closes_it_when_stopped(
    slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    settings = make_settings(
        slack_app_token=APP_TOKEN, slack_api_url=slack.api_url, harness_base_url=harness.base_url
    )
    services = build_services(settings)
    running = asyncio.create_task(run_socket_mode(settings, services))
    await slack.wait_api("apps.connections.open")
    assert services.slack.is_open
    await slack.envelopes.put(
        slash_command_envelope("payments/checkout/docker-prod", response_url=slack.response_url("sock"))
    )
    await slack.wait_socket_ack("env-1")
    (posted,) = await slack.wait_response("sock")
    assert posted.json()["response_type"] == "ephemeral"
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert not services.slack.is_open


# --- Slack trouble while answering -------------------------------------------------------------------


async def test_a_response_url_post_slack_fails_is_retried_honouring_retry_after(
    make_bot: Any, logs: LogWatch
) -> None:
    bot: Bot = await make_bot()
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    bot.slack.response_failures = [(503, {}), (429, {"Retry-After": "0"})]
    assert (await bot.command("payments/checkout/docker-prod"))[0] == 200
    posts = await bot.slack.wait_response(count=3)
    assert [p.path for p in posts] == ["/response/1"] * 3
    await settle(bot.services.background)
    assert logs.errors() == []
    assert [r for r in logs.records if r.levelno >= logging.WARNING and r.name.startswith("bot")] == []


async def test_slack_failing_every_answer_is_one_warning_without_a_traceback(
    make_bot: Any, logs: LogWatch
) -> None:
    bot: Bot = await make_bot()
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    bot.slack.response_failures = [(500, {})] * 10
    assert (await bot.command("payments/checkout/docker-prod"))[0] == 200
    await bot.slack.wait_response(count=3)  # the first post and two retries: bounded
    await settle(bot.services.background)
    (warning,) = [r for r in logs.records if r.levelno >= logging.WARNING and r.name.startswith("bot")]
    assert warning.levelno == logging.WARNING
    assert "slack post failed" in warning.getMessage()
    assert warning.exc_info is None
    assert len([p for p in bot.slack.requests if p.path == "/response/1"]) == 3


async def test_with_slacks_web_api_down_requests_still_get_200_and_one_warning(
    make_bot: Any, logs: LogWatch
) -> None:
    bot: Bot = await make_bot()
    bot.slack.api_status = 503
    assert await bot.send_event(event_body(dm("help"))) == 200
    assert (await bot.command("help"))[0] == 200  # help comes back in the acknowledgement
    await settle(bot.services.background)
    assert logs.errors() == []
    failed = [r for r in logs.records if r.name.startswith("bot") and "not delivered" in r.getMessage()]
    assert len(failed) == 1
    assert failed[0].levelno == logging.WARNING
    assert failed[0].exc_info is None
