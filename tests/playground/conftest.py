"""Fixtures for the playground: the whole thing in-process on loopback, with a quick sandbox Harness."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.settings import Settings
from devtools.playground import Playground
from devtools.playground.workspace import BOT_USER, Message

WAIT_SECONDS = 10.0
FAST_TIMEOUT = 0.4
"""HARNESS_TIMEOUT for tests: `slow` then times out within about two seconds."""


def playground_env(**overrides: Any) -> Settings:
    """The environment the playground starts from: no Slack credentials, no Harness key."""
    values: dict[str, Any] = {
        "slack_bot_token": None,
        "slack_signing_secret": None,
        "slack_app_token": None,
        "harness_api_key": None,
        "harness_account_id": None,
        "harness_default_org": None,
        "harness_default_project": None,
        "harness_ui_url": "https://app.harness.io",
        "harness_timeout": FAST_TIMEOUT,
        "database_url": "sqlite+aiosqlite:///:memory:",  # never a harbot.db in the working directory
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
async def playground() -> AsyncIterator[Playground]:
    """The playground on a free loopback port, with the sandbox Harness."""
    async with Playground(playground_env(), port=0) as started:
        yield started


async def wait_for_message(
    playground: Playground,
    channel: str,
    predicate: Callable[[Message], bool],
    *,
    what: str = "matching message",
) -> Message:
    """The first message in `channel` matching `predicate`, waiting (bounded) for it to arrive."""
    conversation = playground.workspace.conversations[channel]
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = next((m for m in conversation.messages if predicate(m)), None)
        if found is not None:
            return found
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {what} in {channel}: {[m.text for m in conversation.messages]}")
        await playground.workspace.wait_for_change(playground.workspace.version, min(remaining, 0.5))
        await asyncio.sleep(0)


def from_bot(message: Message) -> bool:
    """Sent by the app."""
    return message.user == BOT_USER


def card_for(name: str) -> Callable[[Message], bool]:
    """A message from the app whose header names the registry."""

    def matches(message: Message) -> bool:
        return from_bot(message) and any(
            block.get("type") == "header" and name in block["text"]["text"] for block in message.blocks
        )

    return matches


def bot_text(message: Message) -> str:
    """Everything a person could read in a message from the app, blocks included."""
    return message.text + " " + str(message.blocks)
