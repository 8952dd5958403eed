"""doctor's subscription findings: PUBLIC_URL reaches the bot, and each webhook is there in Harness."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.harness.client import HarnessClient
from bot.parsing.globs import Filter
from bot.posting.health import is_private, reach_public_url, webhook_findings
from bot.posting.subscribing import Subscriber
from bot.store import Store
from devtools.harness import HarnessStandIn
from devtools.server import Server
from tests.watching_support import REF


class Bot(Server):
    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status
        self.app.router.add_get("/healthz", self._health)

    async def _health(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.Response(status=self.status, text="ok")


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    server = Bot()
    await server.start()
    yield server
    await server.stop()


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("http://127.0.0.1:3000", True),
        ("http://localhost:3000", True),
        ("https://10.1.2.3", True),
        ("https://192.168.1.9/x", True),
        ("https://harbot.example.com", False),
        ("https://8.8.8.8", False),
    ],
)
def test_private_addresses_are_told_apart(url: str, private: bool) -> None:
    assert is_private(url) is private


async def test_public_url_reaching_the_bot_passes_with_a_warning_on_loopback(bot: Bot) -> None:
    found = await reach_public_url(bot.url)
    assert found.ok
    assert "private address" in found.detail
    assert [r.route for r in bot.requests] == ["/healthz"]


async def test_public_url_answering_otherwise_fails_with_the_fix(bot: Bot) -> None:
    bot.status = 404
    found = await reach_public_url(bot.url + "/")
    assert not found.ok
    assert "404" in found.detail
    missing = await reach_public_url(None)
    assert not missing.ok
    assert "PUBLIC_URL" in missing.fix


async def test_public_url_nobody_answers_fails(bot: Bot) -> None:
    url = bot.url
    await bot.stop()
    found = await reach_public_url(url)
    assert not found.ok
    assert "did not answer" in found.detail


async def test_each_webhook_is_checked_in_harness(
    store: Store, sandbox: HarnessStandIn, sandbox_client: HarnessClient
) -> None:
    subscriber = Subscriber(store=store, harness=sandbox_client, public_url="http://127.0.0.1:9")
    await subscriber.subscribe(channel="C1", ref=REF, wanted=Filter(), user="U1")
    (fresh,) = await webhook_findings(store, sandbox_client)
    assert fresh.ok
    assert "no delivery yet" in fresh.detail
    await sandbox.webhooks.push(REF.path, "a", "1")  # port 9 refuses: FATAL_ERROR
    (failing,) = await webhook_findings(store, sandbox_client)
    assert not failing.ok
    assert "FATAL_ERROR" in failing.detail
    sandbox.webhooks.hooks.clear()
    (gone,) = await webhook_findings(store, sandbox_client)
    assert not gone.ok
    assert "gone from Harness" in gone.detail
