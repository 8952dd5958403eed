"""The Harness client's transport: connections kept and reused, no cap, closed ones never reused."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.harness.client import uses_proxy
from bot.harness.transport import StackTransport
from devtools.harness import Canned, HarnessStandIn

PATH = "/gateway/har/api/v1/registry/acc/+"


@pytest.fixture
async def transport() -> AsyncIterator[StackTransport]:
    instance = StackTransport()
    yield instance
    await instance.aclose()


async def get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await client.get(url)
    await response.aclose()
    return response


async def test_sequential_requests_share_one_connection(
    harness: HarnessStandIn, transport: StackTransport
) -> None:
    async with httpx.AsyncClient(transport=transport) as client:
        for _ in range(3):
            await get(client, harness.url + PATH)
        assert transport.open_connections == 1
        assert transport.idle_connections == 1


@pytest.mark.slow
async def test_concurrent_requests_each_get_a_connection_and_all_are_kept(
    harness: HarnessStandIn, transport: StackTransport
) -> None:
    gate = asyncio.Event()
    harness.default = Canned(status=404, body=b"{}", hold=gate)
    client = httpx.AsyncClient(transport=transport)
    try:
        requests = [asyncio.create_task(get(client, harness.url + PATH)) for _ in range(150)]
        await harness.wait_for(lambda _: True, count=150)
        assert transport.open_connections == 150
        gate.set()
        responses = await asyncio.gather(*requests)
        assert {response.status_code for response in responses} == {404}
        assert transport.idle_connections == 150
        await get(client, harness.url + PATH)
        assert transport.open_connections == 150
    finally:
        await client.aclose()


async def test_a_connection_the_server_closes_is_not_reused(
    harness: HarnessStandIn, transport: StackTransport
) -> None:
    harness.default = Canned(status=404, body=b"{}", headers={"Connection": "close"})
    async with httpx.AsyncClient(transport=transport) as client:
        await get(client, harness.url + PATH)
        assert transport.open_connections == 0
        await get(client, harness.url + PATH)
    assert len(harness.requests) == 2


async def test_idle_connections_past_their_expiry_are_closed(harness: HarnessStandIn) -> None:
    transport = StackTransport(keepalive_expiry=0.0)
    async with httpx.AsyncClient(transport=transport) as client:
        await get(client, harness.url + PATH)
        await asyncio.sleep(0.01)
        await get(client, harness.url + PATH)
        assert transport.open_connections == 1


async def test_aclose_closes_every_connection(harness: HarnessStandIn, transport: StackTransport) -> None:
    async with httpx.AsyncClient(transport=transport) as client:
        await asyncio.gather(*(get(client, harness.url + PATH) for _ in range(5)))
    assert transport.open_connections == 0
    assert transport.idle_connections == 0


async def test_a_refused_connection_raises_httpx_connect_error(transport: StackTransport) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")
    assert transport.open_connections == 0


@pytest.mark.slow
async def test_a_slow_answer_raises_httpx_read_timeout(
    harness: HarnessStandIn, transport: StackTransport
) -> None:
    harness.default = Canned(status=404, body=b"{}", delay=1.0)
    async with httpx.AsyncClient(transport=transport, timeout=0.1) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(harness.url + PATH)
    assert transport.open_connections == 0


def test_harness_calls_use_the_proxy_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    assert uses_proxy("https://app.harness.io/gateway")
    assert not uses_proxy("https://localhost/gateway")


def test_without_a_proxy_the_client_uses_the_stack_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """HarnessClient takes httpx's own transport only where `uses_proxy`; else StackTransport."""
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert not uses_proxy("https://app.harness.io/gateway")
