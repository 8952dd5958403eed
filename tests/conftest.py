"""Shared fixtures: the stand-ins, settings with recognisable fake secrets, and the bot on loopback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import Services, build_app, build_services, build_web_app
from bot.settings import Settings
from tests.standins import HarnessStandIn, Server, SlackStandIn, command_body, signed_headers

# Recognisable fake secrets: tests assert that none of them ever leaks into anything captured.
BOT_TOKEN = "xoxb-fake-bot-token-SENTINEL-BOT"
SIGNING_SECRET = "fake-signing-secret-SENTINEL-SIGN"
APP_TOKEN = "xapp-fake-app-token-SENTINEL-APP"
HARNESS_KEY = "pat.acc_test.tokenid.SENTINEL-HARNESS-KEY"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, HARNESS_KEY, "SENTINEL")
ACCOUNT = "acc_test"


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests; nothing is read from the environment or a .env file."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "harness_api_key": HARNESS_KEY,
        "harness_ui_url": "https://app.harness.io",
        "host": "127.0.0.1",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
async def harness() -> AsyncIterator[HarnessStandIn]:
    server = HarnessStandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    server = SlackStandIn()
    await server.start()
    yield server
    await server.stop()


@dataclass
class Bot:
    """The real app served on a loopback port, wired to the stand-ins."""

    url: str
    services: Services
    session: aiohttp.ClientSession
    slack: SlackStandIn
    harness: HarnessStandIn

    async def post(
        self, body: str, *, headers: dict[str, str] | None = None, secret: str = SIGNING_SECRET
    ) -> tuple[int, str]:
        """POST /slack/events, signed as Slack signs it unless `headers` are given."""
        sent = headers if headers is not None else signed_headers(secret, body)
        async with self.session.post(f"{self.url}/slack/events", data=body, headers=sent) as response:
            return response.status, await response.text()

    async def command(self, text: str, *, name: str = "1", **fields: Any) -> tuple[int, str]:
        """Send `/har <text>` whose response_url is the Slack stand-in's `/response/<name>`."""
        return await self.post(command_body(text, response_url=self.slack.response_url(name), **fields))


BotFactory = Callable[..., Any]


@pytest.fixture
async def make_bot(harness: HarnessStandIn, slack: SlackStandIn) -> AsyncIterator[Callable[..., Any]]:
    """Start the bot with settings overrides; every bot started is stopped at the end of the test."""
    runners: list[web.AppRunner] = []
    sessions: list[aiohttp.ClientSession] = []

    async def start(**overrides: Any) -> Bot:
        values = {"slack_api_url": slack.api_url, "harness_base_url": harness.base_url, **overrides}
        settings = make_settings(**values)
        services = build_services(settings)
        web_app = build_web_app(build_app(settings, services), services)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        session = aiohttp.ClientSession()
        sessions.append(session)
        return Bot(f"http://127.0.0.1:{port}", services, session, slack, harness)

    yield start
    for session in sessions:
        await session.close()
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def bot(make_bot: Callable[..., Any]) -> Bot:
    """The bot with default settings."""
    started: Bot = await make_bot()
    return started


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG, from every logger."""
    caplog.set_level(logging.DEBUG)
    return caplog


__all__ = ["ACCOUNT", "SECRETS", "Bot", "Server"]
