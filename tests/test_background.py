"""Acknowledge first, answer in the background: Slack never waits for Harness, and no error is lost."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot import tasks as bot_tasks
from bot.background import Background
from bot.cards import apology_reply
from bot.listeners import events
from devtools.harness import Canned, HarnessStandIn
from devtools.slack import SlackStandIn
from tests.conftest import Bot, serve_bot, stop_bot
from tests.support import LINK, REF, LogWatch, event_body, harness_fixture, link_shared


async def test_a_command_is_acknowledged_while_harness_has_not_answered(bot: Bot) -> None:
    gate = asyncio.Event()
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json"), hold=gate))
    status, body = await bot.command("payments/checkout/docker-prod")
    assert (status, body) == (200, "")
    assert bot.slack.requests == [r for r in bot.slack.requests if r.path.startswith("/api/")]
    gate.set()
    (posted,) = await bot.slack.wait_response()
    assert "docker-prod" in posted.body.decode()


async def test_an_event_is_acknowledged_while_harness_has_not_answered(bot: Bot) -> None:
    gate = asyncio.Event()
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json"), hold=gate))
    assert await bot.send_event(event_body(link_shared(LINK))) == 200
    await bot.harness.wait_for(lambda _: True)
    assert bot.slack.api_calls("chat.unfurl") == []
    gate.set()
    (unfurl,) = await bot.slack.wait_api("chat.unfurl")
    assert LINK in unfurl.body.decode()


async def test_a_bug_in_a_commands_answer_is_logged_and_apologised_for(
    bot: Bot, logs: LogWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(bot_tasks, "look_up", broken)
    status, _ = await bot.command("payments/checkout/docker-prod")
    assert status == 200
    (posted,) = await bot.slack.wait_response()
    assert posted.json()["text"] == apology_reply().text
    assert posted.json()["response_type"] == "ephemeral"
    (record,) = [r for r in logs.records if r.getMessage().startswith("unhandled error")]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "RuntimeError" in logs.formatted(record)
    assert "a bug" not in posted.body.decode()


async def test_a_bug_in_an_events_work_is_logged_with_its_traceback(
    bot: Bot, logs: LogWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> dict[str, Any]:
        raise RuntimeError("a bug")

    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    monkeypatch.setattr(events, "compact_card", broken)
    assert await bot.send_event(event_body(link_shared(LINK))) == 200
    await logs.wait_for(lambda message: message.startswith("unhandled error"))
    (record,) = [r for r in logs.records if r.getMessage().startswith("unhandled error")]
    assert "type=RuntimeError command=event_callback" in record.getMessage()
    assert record.exc_info is not None
    assert bot.slack.api_calls("chat.unfurl") == []


async def test_stopping_the_bot_lets_an_answer_under_way_finish(
    slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json"), delay=0.3))
    bot, runner = await serve_bot(slack, harness)
    status, _ = await bot.command("payments/checkout/docker-prod")
    assert status == 200
    await harness.wait_for(lambda _: True)
    await stop_bot(bot, runner)
    (posted,) = slack.requests[-1:]
    assert posted.path == "/response/1"
    assert bot.services.background.pending == 0


async def test_work_still_running_after_the_grace_period_is_cancelled() -> None:
    errors: list[Exception] = []

    async def on_error(error: Exception, body: dict[str, Any], respond: object) -> None:
        errors.append(error)

    background = Background(on_error, grace=0.05)
    task = background.spawn(asyncio.sleep(3600), body={})
    await background.aclose()
    assert task.cancelled()
    assert background.pending == 0
    assert errors == []


async def test_an_exception_in_background_work_reaches_the_error_handler_with_its_request() -> None:
    seen: list[tuple[Exception, dict[str, Any], object]] = []

    async def on_error(error: Exception, body: dict[str, Any], respond: object) -> None:
        seen.append((error, body, respond))

    async def broken() -> None:
        raise ValueError("a bug")

    background = Background(on_error)
    respond = object()
    await background.spawn(broken(), body={"command": "/har"}, respond=respond)  # type: ignore[arg-type]
    ((error, body, given),) = seen
    assert isinstance(error, ValueError)
    assert body == {"command": "/har"}
    assert given is respond
