"""The playground's "push a version": the sandbox Harness delivers a real webhook to what subscribed."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from devtools.playground import Playground
from devtools.playground.workspace import CHANNEL
from devtools.registries import API_KEY
from devtools.server import Server
from tests.playground.conftest import bot_text, from_bot, wait_for_message
from tests.watching_support import REF, VIRTUAL

pytestmark = pytest.mark.slow  # the whole playground on loopback


class Receiver(Server):
    def __init__(self) -> None:
        super().__init__()
        self.app.router.add_post("/hook", self._hook)

    async def _hook(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.Response(status=200)


async def push(playground: Playground, **fields: str) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{playground.url}playground/push", json=fields) as answer,
    ):
        body = await answer.json() if answer.status == 200 else {}
        return answer.status, body


async def test_the_panel_offers_a_push_for_virtual_registries(playground: Playground) -> None:
    async with aiohttp.ClientSession() as http, http.get(playground.url) as page:
        html = await page.text()
    assert 'id="push"' in html
    assert "Push a version" in html


async def test_a_push_is_delivered_to_the_registrys_webhook(playground: Playground) -> None:
    assert playground.sandbox is not None
    receiver = Receiver()
    await receiver.start()
    try:
        body = {
            "identifier": "harbot_t",
            "name": "t",
            "url": f"{receiver.url}/hook",
            "enabled": True,
            "insecure": False,
        }
        hooks = f"{playground.sandbox.base_url}/har/api/v1/registry/{VIRTUAL.ref}/webhooks"
        async with (
            aiohttp.ClientSession() as http,
            http.post(hooks, json=body, headers={"x-api-key": API_KEY}) as made,
        ):
            assert made.status == 201  # as a subscribe would have made it
        status, answer = await push(
            playground,
            registry=VIRTUAL.ref,
            artifact="payments-api",
            version="9.9.9",
            trigger="artifact_created",
        )
        assert status == 200
        assert answer["delivered"] == ["SUCCESS"]
        (arrived,) = receiver.requests
        assert b'"version":"9.9.9"' in arrived.body
    finally:
        await receiver.stop()


async def test_a_push_with_nonsense_is_refused(playground: Playground) -> None:
    status, _ = await push(playground, registry=VIRTUAL.ref, artifact="a", version="1", trigger="rm -rf")
    assert status == 400
    status, _ = await push(
        playground, registry=VIRTUAL.ref, artifact="", version="1", trigger="artifact_created"
    )
    assert status == 400


async def test_a_channel_subscribed_in_the_playground_hears_of_a_push(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, f"/har subscribe {REF.short}")
    said = await wait_for_message(
        playground, CHANNEL, lambda m: from_bot(m) and "will hear about" in bot_text(m), what="subscribed"
    )
    assert not said.ephemeral
    status, answer = await push(
        playground, registry=VIRTUAL.ref, artifact="checkout-api", version="7.7.7", trigger="artifact_created"
    )
    assert (status, answer["delivered"]) == (200, ["SUCCESS"])
    posted = await wait_for_message(
        playground, CHANNEL, lambda m: from_bot(m) and "7.7.7" in bot_text(m), what="the push posted"
    )
    assert posted.via == "chat.postMessage"
