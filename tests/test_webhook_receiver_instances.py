"""What is acknowledged is stored: across two instances on one PostgreSQL, and across a SIGKILL."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.__main__ import run_socket_mode
from bot.services import build_services
from bot.store import Store
from bot.webhooks.receiver import Receiver
from devtools.slack import SlackStandIn
from tests.conftest import APP_TOKEN, make_settings
from tests.postgres_server import PostgresServer, needs_postgres
from tests.redis_server import free_port
from tests.webhook_support import IDENTIFIER, add_webhook, delivery, headers, serving

URL_PATH = f"/harness/webhooks/{IDENTIFIER}"
START_SECONDS = 30.0


@needs_postgres
@pytest.mark.slow
async def test_two_instances_on_one_postgres_store_a_delivery_once(postgres: PostgresServer) -> None:
    first, second = Store.from_url(postgres.url), Store.from_url(postgres.url)
    await asyncio.gather(first.start(), second.start())  # concurrent migrations take turns
    await add_webhook(first)
    bodies = [delivery(f"1.{n}") for n in range(20)]
    try:
        async with (
            serving(Receiver(first)) as one,
            serving(Receiver(second)) as two,
            aiohttp.ClientSession() as client,
        ):

            async def send(base: str, body: bytes) -> int:
                async with client.post(base + URL_PATH, data=body, headers=headers(body)) as response:
                    return response.status

            # Harness retrying each delivery, the retry reaching the other instance at the same moment.
            statuses = await asyncio.gather(*(send(base, body) for body in bodies for base in (one, two)))
        async with first.transaction() as tx:
            counts = (await tx.deliveries.count(), await tx.events.count())
    finally:
        await first.aclose()
        await second.aclose()
    assert statuses == [200] * 40
    assert counts == (20, 20)


@pytest.mark.slow
async def test_deliveries_acknowledged_before_a_sigkill_are_all_stored(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'harbot.db'}"
    store = Store.from_url(url)
    await store.start()
    await add_webhook(store)
    await store.aclose()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.webhook_process", url, stdout=asyncio.subprocess.PIPE
    )
    acknowledged: list[str] = []
    enough = asyncio.Event()
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), START_SECONDS)).decode()
        assert line.startswith("ready "), line
        base = f"http://127.0.0.1:{int(line.split()[1])}"
        async with aiohttp.ClientSession() as client:

            async def send(version: str) -> None:
                body = delivery(version)
                try:
                    async with client.post(base + URL_PATH, data=body, headers=headers(body)) as response:
                        if response.status == 200:
                            acknowledged.append(version)
                            if len(acknowledged) >= 50:
                                enough.set()
                except aiohttp.ClientError:
                    pass  # in flight when the process died: not acknowledged, so Harness would retry

            burst = asyncio.gather(*(send(f"2.{n}") for n in range(300)))
            await asyncio.wait_for(enough.wait(), START_SECONDS)
            process.kill()  # SIGKILL mid-burst: no shutdown, no flush, no goodbye
            await asyncio.wait_for(burst, START_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
    after = Store.from_url(url)
    async with after.transaction() as tx:
        versions = {event.version for event in await tx.events.after(0, limit=1000)}
    await after.aclose()
    assert process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 50
    assert set(acknowledged) <= versions


@pytest.mark.slow
async def test_socket_mode_listens_on_port_for_deliveries_alone(slack: SlackStandIn, tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(
        slack_app_token=APP_TOKEN,
        slack_api_url=slack.api_url,
        port=port,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'harbot.db'}",
    )
    services = build_services(settings)
    running = asyncio.create_task(run_socket_mode(settings, services))
    try:
        await slack.wait_api("apps.connections.open")
        await add_webhook(services.store)
        body = delivery()
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as client:
            async with client.post(base + URL_PATH, data=body, headers=headers(body)) as response:
                assert response.status == 200
            async with client.post(base + "/slack/events", data=b"{}") as response:
                assert response.status == 404  # Slack comes over the socket: this port serves Harness alone
        async with services.store.transaction() as tx:
            assert await tx.events.count() == 1
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
