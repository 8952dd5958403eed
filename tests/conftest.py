"""Shared fixtures: the stand-ins, settings with recognisable fake secrets, and the bot on loopback."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import settings as hypothesis_settings

from bot.harness.client import HarnessClient
from bot.inbound.app import build_web_app, socket_mode_client
from bot.services import Services, build_services
from bot.settings import Settings
from devtools.harness import HarnessStandIn
from devtools.registries import API_KEY as SANDBOX_KEY
from devtools.server import Server
from devtools.slack import JSON, SlackStandIn, signed_headers
from tests.redis_server import RedisServer
from tests.support import LogWatch, command_body

# Hypothesis profiles: "ci" (selected by .ci/run) draws the same examples every run, keeps no example
# database and prints a reproduction blob on failure; "dev" (the default) may explore.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

pytest_plugins = ("tests.store_fixtures",)  # the store on SQLite and PostgreSQL (tests/store_fixtures.py)

# Recognisable fake secrets: tests assert that none of them ever leaks into anything captured.
BOT_TOKEN = "xoxb-fake-bot-token-SENTINEL-BOT"
SIGNING_SECRET = "fake-signing-secret-SENTINEL-SIGN"
APP_TOKEN = "xapp-fake-app-token-SENTINEL-APP"
HARNESS_KEY = "pat.acc_test.tokenid.SENTINEL-HARNESS-KEY"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, HARNESS_KEY, "SENTINEL")
ACCOUNT = "acc_test"


# Environment variables the bot (or Bolt, or slack_sdk) would read. Every test starts without them, so a
# developer's shell can never change a result (bolt-python's tests do the same).
APP_ENV_PREFIXES = ("SLACK_", "HARNESS_", "ALLOWED_", "REDIS_", "LOG_", "METRICS", "PROMETHEUS_")
APP_ENV_NAMES = frozenset(
    {name.upper() for name in Settings.model_fields} | {"PORT", "HOST", "WEB_CONCURRENCY"}
)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the caller's settings: every variable the bot would read is removed first."""
    for name in list(os.environ):
        if name in APP_ENV_NAMES or name.startswith(APP_ENV_PREFIXES):
            monkeypatch.delenv(name)


class IsolatedSettings(Settings):
    """Settings from constructor values only: neither the environment nor a .env file is read."""

    @classmethod
    def settings_customise_sources(cls, settings_cls: Any, init_settings: Any, *_: Any, **__: Any) -> Any:
        return (init_settings,)


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests; nothing is read from the environment or a .env file."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "harness_api_key": HARNESS_KEY,
        "harness_ui_url": "https://app.harness.io",
        "host": "127.0.0.1",
        "database_url": "sqlite+aiosqlite:///:memory:",  # never a harbot.db in the working directory
    }
    values.update(overrides)
    return IsolatedSettings(**values)


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


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port, in a temporary directory; killed at the end."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


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

    async def send_event(self, body: str, **headers: str) -> int:
        """POST an Events API callback (JSON), signed as Slack signs it; the status is returned."""
        sent = {**signed_headers(SIGNING_SECRET, body, content_type=JSON), **headers}
        status, _ = await self.post(body, headers=sent)
        return status


BotFactory = Callable[..., Any]


async def serve_bot(
    slack: SlackStandIn, harness: HarnessStandIn, *, harness_backoff: float | None = None, **overrides: Any
) -> tuple[Bot, web.AppRunner]:
    """The real app on a loopback port, wired to the stand-ins; stop it with `stop_bot`.

    `harness_backoff` shortens the Harness client's first retry delay (not a setting), so tests that
    retry a lot stay quick; the retries themselves are the real client's.
    """
    values = {"slack_api_url": slack.api_url, "harness_base_url": harness.base_url, **overrides}
    settings = make_settings(**values)
    client = None
    if harness_backoff is not None and settings.harness_api_key is not None:
        client = HarnessClient(
            base_url=settings.harness_base_url,
            api_key=settings.harness_api_key.get_secret_value(),
            timeout=settings.harness_timeout,
            backoff=harness_backoff,
        )
    services = build_services(settings, harness=client)
    web_app = build_web_app(services)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    session = aiohttp.ClientSession()
    return Bot(f"http://127.0.0.1:{port}", services, session, slack, harness), runner


async def stop_bot(bot: Bot, runner: web.AppRunner) -> None:
    """Close the bot's client session, then the app."""
    await bot.session.close()
    await runner.cleanup()


@asynccontextmanager
async def running_bot(**overrides: Any) -> AsyncIterator[Bot]:
    """Stand-ins and the bot, for a test module that keeps one bot across many examples (hypothesis)."""
    harness, slack = HarnessStandIn(), SlackStandIn()
    await harness.start()
    await slack.start()
    bot, runner = await serve_bot(slack, harness, **overrides)
    try:
        yield bot
    finally:
        await stop_bot(bot, runner)
        await slack.stop()
        await harness.stop()


@pytest.fixture
async def make_bot(harness: HarnessStandIn, slack: SlackStandIn) -> AsyncIterator[Callable[..., Any]]:
    """Start the bot with settings overrides; every bot started is stopped at the end of the test."""
    started: list[tuple[Bot, web.AppRunner]] = []

    async def start(**overrides: Any) -> Bot:
        started.append(await serve_bot(slack, harness, **overrides))
        return started[-1][0]

    yield start
    for bot, runner in started:
        await stop_bot(bot, runner)


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


@pytest.fixture
def logs() -> Iterator[LogWatch]:
    """Every log record at DEBUG from every logger (slack_bolt, slack_sdk, httpx, httpcore, aiohttp too),
    with a bounded wait for a record to arrive.
    """
    with LogWatch() as watch:
        yield watch


def assert_no_secrets(bot: Bot, logs: LogWatch, *answers: str) -> None:
    """None of SECRETS in anything captured: what reached Slack (Web API calls and response_url posts),
    the bot's HTTP answers given, and every log record, formatted with its traceback.
    """
    captured = {
        "slack": "\n".join(r.body.decode("utf-8", "replace") for r in bot.slack.requests),
        "answers": "\n".join(answers),
        "logs": logs.text(),
    }
    for where, text in captured.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} in {where}"


@asynccontextmanager
async def socket_mode_bot(
    slack: SlackStandIn, harness: HarnessStandIn, **overrides: Any
) -> AsyncIterator[Services]:
    """The bot connected in Socket Mode to the Slack stand-in's WebSocket; closed again on exit."""
    settings = make_settings(
        slack_app_token=APP_TOKEN, slack_api_url=slack.api_url, harness_base_url=harness.base_url, **overrides
    )
    services = build_services(settings)
    client = socket_mode_client(services)
    await services.start()
    await client.connect()  # type: ignore[no-untyped-call]
    try:
        yield services
    finally:
        await client.close()  # type: ignore[no-untyped-call]
        await services.aclose()


@pytest.fixture
async def sandbox() -> AsyncIterator[HarnessStandIn]:
    """The playground's Harness: the sandbox data set, its key and account, webhooks and all."""
    server = HarnessStandIn.sandbox(slow_seconds=1.0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def sandbox_client(sandbox: HarnessStandIn) -> AsyncIterator[HarnessClient]:
    """The Harness client, on the sandbox with its key, with short timeouts."""
    client = HarnessClient(
        base_url=sandbox.base_url, api_key=SANDBOX_KEY, timeout=1.0, deadline=3.0, backoff=0.01
    )
    yield client
    await client.aclose()


__all__ = ["ACCOUNT", "SECRETS", "Bot", "Server"]
