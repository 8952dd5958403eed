"""Shared state on a real redis-server: event de-duplication, the shared cache, coalescing across
instances, outages, keys. Each "instance" here is its own RedisLink, lookups and Harness client, as two
processes would have; tests/test_instances.py runs real bot processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from pydantic import SecretStr, ValidationError

from bot.harness.client import HarnessClient
from bot.harness.errors import NotFound
from bot.harness.lookups import RegistryLookups
from bot.refs import RegistryRef
from bot.state import Outcome, SharedState
from bot.state.link import RedisLink
from devtools.harness import Canned, HarnessStandIn, success_body
from tests.conftest import HARNESS_KEY, make_settings
from tests.redis_server import RedisServer, free_port, needs_redis
from tests.support import REF, LogWatch, harness_fixture

pytestmark = [needs_redis, pytest.mark.slow]  # a real redis-server (and bot processes)

DOCKER_PROD = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")


@asynccontextmanager
async def instance(
    redis_url: str, harness: HarnessStandIn, *, prefix: str = "test:", **shared: float
) -> AsyncIterator[tuple[SharedState, RegistryLookups]]:
    """One instance's shared state and lookups, with its own Redis connections and Harness client."""
    state = SharedState(RedisLink(SecretStr(redis_url), retry_after=0.2), prefix=prefix)
    if shared and state.values is not None:
        for name, value in shared.items():
            setattr(state.values, f"_{name}", value)
    client = HarnessClient(base_url=harness.base_url, api_key=HARNESS_KEY, backoff=0.01)
    lookups = RegistryLookups(client, shared=state.values)
    await state.start()
    try:
        yield state, lookups
    finally:
        await lookups.aclose()
        await state.aclose()


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` every 20 ms for at most 10 s."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still not {what} after 10 s")


# --- settings ----------------------------------------------------------------------------------------


def test_redis_url_must_be_a_redis_url_and_the_message_hides_its_password() -> None:
    with pytest.raises(ValidationError) as caught:
        make_settings(redis_url="http://user:SENTINEL-PW@cache.example:6379")
    message = str(caught.value)
    assert "redis://" in message
    assert "rediss://" in message
    assert "SENTINEL-PW" not in message


def test_several_workers_without_redis_refuse_to_start_saying_why() -> None:
    with pytest.raises(ValidationError) as caught:
        make_settings(web_concurrency=2)
    assert "WEB_CONCURRENCY=2 needs REDIS_URL" in str(caught.value)
    assert "answered twice" in str(caught.value)


def test_several_workers_with_redis_are_accepted() -> None:
    settings = make_settings(web_concurrency=2, redis_url="rediss://:pw@cache.example:6380/1")
    assert settings.web_concurrency == 2
    assert "pw" not in repr(settings)


async def test_an_unreachable_redis_is_named_in_one_warning_without_its_password(logs: LogWatch) -> None:
    settings = make_settings(redis_url=f"redis://:SENTINEL-REDIS-PW@127.0.0.1:{free_port()}/0")
    assert settings.redis_password is not None
    state = SharedState.from_settings(settings)
    await state.start()
    try:
        for n in range(5):
            assert await state.first_seen(f"Ev{n}")
    finally:
        await state.aclose()
    (warning,) = [r.getMessage() for r in logs.records if r.levelno == logging.WARNING]
    assert "redis://***@127.0.0.1:" in warning
    assert "REDIS_URL" in warning
    assert "SENTINEL-REDIS-PW" not in logs.text()


# --- event de-duplication ----------------------------------------------------------------------------


async def test_an_event_is_first_seen_once_across_instances(
    redis_server: RedisServer, harness: HarnessStandIn
) -> None:
    async with instance(redis_server.url, harness) as (a, _), instance(redis_server.url, harness) as (b, _):
        assert await a.first_seen("Ev1")
        assert not await b.first_seen("Ev1")
        assert not await a.first_seen("Ev1")
        assert await b.first_seen("Ev2")
    ttl = int(redis_server.command("TTL", "test:event:Ev1"))
    assert 0 < ttl <= 900


async def test_without_redis_events_are_remembered_in_process() -> None:
    state = SharedState(None)
    assert await state.first_seen("Ev1")
    assert not await state.first_seen("Ev1")
    assert state.values is None


async def test_an_outage_warns_once_answers_from_memory_and_shares_again_when_redis_returns(
    redis_server: RedisServer, harness: HarnessStandIn, logs: LogWatch
) -> None:
    async with instance(redis_server.url, harness) as (a, _), instance(redis_server.url, harness) as (b, _):
        assert await a.first_seen("before")
        redis_server.stop()
        for n in range(20):
            assert await a.first_seen(f"during-{n}")
        assert not await a.first_seen("during-0")  # this process still remembers
        warnings = [r for r in logs.records if r.levelno == logging.WARNING and "Redis" in r.getMessage()]
        assert len(warnings) == 1
        assert redis_server.url.rsplit("/", 1)[0].removeprefix("redis://") in warnings[0].getMessage()
        redis_server.start()
        await logs.wait_for(lambda line: "state is shared again" in line)
        # b made no call during the outage: its subscription may simply have reconnected unnoticed.
        await wait_until(lambda: all(s.link is not None and s.link.up for s in (a, b)), "both up")
        assert await a.first_seen("after")
        assert not await b.first_seen("after")


# --- the shared cache and coalescing -----------------------------------------------------------------


async def test_a_burst_split_over_two_instances_costs_one_harness_call(
    redis_server: RedisServer, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json"), delay=0.3))
    async with instance(redis_server.url, harness) as (_, a), instance(redis_server.url, harness) as (_, b):
        found = await asyncio.gather(*(lookups.get(DOCKER_PROD) for lookups in (a, b) * 50))
        assert {registry.identifier for registry in found} == {"docker-prod"}
        assert len(harness.calls(REF)) == 1
        outcomes = a.outcomes + b.outcomes
        assert outcomes[Outcome.MISS] == 1
        assert outcomes[Outcome.COALESCED] == 99
        again = await b.get(DOCKER_PROD)
        assert b.outcomes[Outcome.HIT] == 1
        assert again.identifier == "docker-prod"
    ttl = int(redis_server.command("PTTL", f"test:registry:{DOCKER_PROD.path}"))
    assert 0 < ttl <= 60_000


async def test_the_shared_cache_is_read_by_another_instance_and_skipped_by_refresh(
    redis_server: RedisServer, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=success_body(description="first")), Canned(body=success_body()))
    async with instance(redis_server.url, harness) as (_, a), instance(redis_server.url, harness) as (_, b):
        await a.get(DOCKER_PROD)
        cached = await b.get(DOCKER_PROD)
        assert cached.description == "first"
        assert cached is await b.get(DOCKER_PROD)  # parsed once: the rendered card is kept per object
        assert len(harness.calls(REF)) == 1
        refreshed = await b.get(DOCKER_PROD, fresh=True)
        assert len(harness.calls(REF)) == 2
        assert (await a.get(DOCKER_PROD)).description == refreshed.description


async def test_when_the_holder_dies_the_others_ask_harness_after_its_lock_expires(
    redis_server: RedisServer, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    # A lock left by an instance that died mid-lookup: nobody will announce anything.
    redis_server.command("SET", f"test:lock:registry:{DOCKER_PROD.path}", "dead-holder", "PX", "400")
    async with instance(redis_server.url, harness) as (_, a):
        registry = await a.get(DOCKER_PROD)
    assert registry.identifier == "docker-prod"
    assert len(harness.calls(REF)) == 1
    assert a.outcomes[Outcome.MISS] == 1


async def test_a_failed_lookup_is_announced_and_each_waiter_asks_harness_itself(
    redis_server: RedisServer, harness: HarnessStandIn
) -> None:
    hold = asyncio.Event()
    harness.program(REF, Canned(status=404, body=b"{}", hold=hold), Canned(status=404, body=b"{}"))
    async with instance(redis_server.url, harness) as (_, a), instance(redis_server.url, harness) as (_, b):
        first = asyncio.create_task(a.get(DOCKER_PROD))
        await harness.wait_for(lambda r: r.path.endswith(REF))
        second = asyncio.create_task(b.get(DOCKER_PROD))
        await asyncio.sleep(0)  # b is waiting on a's lock now or soon; a fails either way
        hold.set()
        for task in (first, second):
            with pytest.raises(NotFound):
                await task
    assert len(harness.calls(REF)) == 2


async def test_lookups_go_on_from_memory_while_redis_is_away(
    redis_server: RedisServer, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    async with instance(redis_server.url, harness) as (state, a):
        await a.get(DOCKER_PROD)
        redis_server.stop()
        found = await asyncio.gather(*(a.get(DOCKER_PROD) for _ in range(20)))
        assert {registry.identifier for registry in found} == {"docker-prod"}
        assert len(harness.calls(REF)) == 1  # the in-process cache, kept up to date while Redis was up
        assert state.link is not None
        assert not state.link.up


async def test_every_key_is_under_the_prefix_and_expires(
    redis_server: RedisServer, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    async with instance(redis_server.url, harness, prefix="team-a:") as (state, a):
        await state.first_seen("Ev9")
        await a.get(DOCKER_PROD)
    keys = redis_server.command("--scan").split()
    assert sorted(keys) == [b"team-a:event:Ev9", f"team-a:registry:{DOCKER_PROD.path}".encode()]
    for key in keys:
        assert int(redis_server.command("PTTL", key.decode())) > 0
