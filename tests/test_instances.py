"""Two bot processes, A and B, behind one real redis-server: Slack's retries and bursts answered once.

The processes are the real `python -m bot --mode http`, each on its own port, both wired to the same
Harness and Slack stand-ins. A Slack retry carries the same event_id (and X-Slack-Retry-Num); a process
that drops a repeated event logs `repeated event ignored event_id=...`, which the tests wait for. After
that, one more event for the same registry, to B, is answered: the Slack stand-in has then seen
exactly the answers it should have.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from devtools.harness import Canned, HarnessStandIn, success_body
from devtools.slack import SlackStandIn
from tests.bot_processes import BotProcess
from tests.conftest import socket_mode_bot
from tests.redis_server import RedisServer, needs_redis
from tests.support import REF, LogWatch, command_body, event_body, harness_fixture, mention

pytestmark = [needs_redis, pytest.mark.slow]  # a real redis-server (and bot processes)

IGNORED = "repeated event ignored event_id="
BACK = "state is shared again"
SCOPE = "payments/checkout/docker-prod"


@asynccontextmanager
async def two_bots(
    tmp_path: Path, redis: RedisServer, slack: SlackStandIn, harness: HarnessStandIn
) -> AsyncIterator[tuple[BotProcess, BotProcess, aiohttp.ClientSession]]:
    """A and B, started side by side, with a client session; both stopped on exit."""
    settings = {
        "REDIS_URL": redis.url,
        "SLACK_API_URL": slack.api_url,
        "HARNESS_BASE_URL": harness.base_url,
    }
    bots = (BotProcess(tmp_path / "a", **settings), BotProcess(tmp_path / "b", **settings))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        try:
            await asyncio.gather(*(bot.start(session) for bot in bots))
            yield bots[0], bots[1], session
        finally:
            for bot in bots:
                bot.stop()


async def answered_once_more(b: BotProcess, session: aiohttp.ClientSession, slack: SlackStandIn) -> int:
    """Send B a new mention and wait for its answer; the chat.postMessage calls made by then."""
    before = len(slack.api_calls("chat.postMessage"))
    assert await b.post(session, event_body(mention(SCOPE)), json=True) == 200
    await slack.wait_api("chat.postMessage", count=before + 1)
    return len(slack.api_calls("chat.postMessage"))


async def test_an_event_delivered_to_a_and_retried_to_b_is_answered_once(
    tmp_path: Path, redis_server: RedisServer, slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    async with two_bots(tmp_path, redis_server, slack, harness) as (a, b, session):
        body = event_body(mention(SCOPE), event_id="EvRetry1")
        assert await a.post(session, body, json=True) == 200
        await slack.wait_api("chat.postMessage")
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert await b.post(session, body, json=True, **retry) == 200
        await b.wait_log(IGNORED + "EvRetry1")
        assert await answered_once_more(b, session, slack) == 2


async def test_a_mention_delivered_to_both_at_once_is_answered_once(
    tmp_path: Path, redis_server: RedisServer, slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    async with two_bots(tmp_path, redis_server, slack, harness) as (a, b, session):
        body = event_body(mention(SCOPE), event_id="EvBoth1")
        statuses = await asyncio.gather(a.post(session, body, json=True), b.post(session, body, json=True))
        assert list(statuses) == [200, 200]
        await slack.wait_api("chat.postMessage")
        for _ in range(200):  # bounded: at most 10 s
            if (a.log() + b.log()).count(IGNORED + "EvBoth1") >= 1:
                break
            await asyncio.sleep(0.05)
        assert (a.log() + b.log()).count(IGNORED + "EvBoth1") == 1
        assert await answered_once_more(b, session, slack) == 2


async def test_a_hundred_lookups_of_one_registry_split_over_a_and_b_cost_one_harness_call(
    tmp_path: Path, redis_server: RedisServer, slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json"), delay=0.3))
    async with two_bots(tmp_path, redis_server, slack, harness) as (a, b, session):
        sends = [
            bot.post(session, command_body(SCOPE, response_url=slack.response_url(f"r{n}")))
            for n, bot in enumerate((a, b) * 50)
        ]
        assert set(await asyncio.gather(*sends)) == {200}
        answers = await slack.wait_for(lambda r: r.path.startswith("/response/"), count=100)
    assert len({answer.path for answer in answers}) == 100
    assert all(b"docker-prod" in answer.body for answer in answers)
    assert len(harness.calls(REF)) == 1


async def test_redis_killed_mid_burst_every_lookup_is_answered_and_sharing_resumes(
    tmp_path: Path, redis_server: RedisServer, slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    names = [f"reg{n}" for n in range(8)]
    for name in names:
        url = f"https://pkg.example/{name}"
        harness.program(f"acc_test/payments/checkout/{name}/+", Canned(body=success_body(url=url), delay=0.2))
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    async with two_bots(tmp_path, redis_server, slack, harness) as (a, b, session):

        async def wave(first: int) -> None:
            sends = [
                bot.post(
                    session,
                    command_body(
                        f"payments/checkout/{names[n % len(names)]}",
                        response_url=slack.response_url(f"k{n}"),
                    ),
                )
                for n, bot in zip(range(first, first + 20), (a, b) * 10, strict=True)
            ]
            assert set(await asyncio.gather(*sends)) == {200}

        await wave(0)
        redis_server.stop()  # while the first wave's lookups wait on Harness
        await wave(20)
        answers = await slack.wait_for(lambda r: r.path.startswith("/response/k"), count=40)
        assert len({answer.path for answer in answers}) == 40
        assert all(b"https://pkg.example/reg" in answer.body for answer in answers)
        for bot in (a, b):
            assert bot.log().count("is unreachable") == 1

        redis_server.start()
        await asyncio.gather(a.wait_log(BACK), b.wait_log(BACK))
        body = event_body(mention(SCOPE), event_id="EvAfter1")
        assert await a.post(session, body, json=True) == 200
        await slack.wait_api("chat.postMessage")
        assert await b.post(session, body, json=True, **{"X-Slack-Retry-Num": "1"}) == 200
        await b.wait_log(IGNORED + "EvAfter1")
        assert await answered_once_more(b, session, slack) == 2


def events_envelope(body: str, *, envelope_id: str, retry_attempt: int = 0) -> dict[str, object]:
    """A Socket Mode envelope carrying an Events API callback; Slack re-sends it with `retry_attempt`."""
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry_attempt,
        "retry_reason": "timeout" if retry_attempt else "",
        "payload": json.loads(body),
    }


async def test_socket_mode_instances_answer_a_redelivered_envelope_once(
    redis_server: RedisServer, slack: SlackStandIn, harness: HarnessStandIn, logs: LogWatch
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    shared = {"redis_url": redis_server.url}
    # Two connections to the one WebSocket stand-in: each envelope goes to whichever reads it first.
    async with socket_mode_bot(slack, harness, **shared), socket_mode_bot(slack, harness, **shared):
        body = event_body(mention(SCOPE), event_id="EvSock1")
        await slack.envelopes.put(events_envelope(body, envelope_id="s1"))
        await slack.wait_socket_ack("s1")
        await slack.wait_api("chat.postMessage")
        await slack.envelopes.put(events_envelope(body, envelope_id="s2", retry_attempt=1))
        await slack.wait_socket_ack("s2")
        await logs.wait_for(lambda line: line == IGNORED + "EvSock1")
        await slack.envelopes.put(events_envelope(event_body(mention(SCOPE)), envelope_id="s3"))
        await slack.wait_socket_ack("s3")
        await slack.wait_api("chat.postMessage", count=2)
    assert len(slack.api_calls("chat.postMessage")) == 2
