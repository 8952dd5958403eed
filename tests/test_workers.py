"""WEB_CONCURRENCY: `python -m bot --mode http` as a gunicorn master with that many aiohttp workers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from devtools.harness import Canned, HarnessStandIn
from devtools.slack import SlackStandIn
from tests.bot_processes import BotProcess
from tests.redis_server import RedisServer, needs_redis
from tests.support import REF, command_body, harness_fixture

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits


def children(pid: int) -> list[int]:
    """The process's child processes, from /proc."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def metrics_dir(pid: int) -> Path:
    """The PROMETHEUS_MULTIPROC_DIR the master was started with (its --metrics-dir argument)."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return Path(argv[argv.index(b"--metrics-dir") + 1].decode())


def test_several_workers_without_redis_refuse_to_start_and_say_why(tmp_path: Path) -> None:
    bot = BotProcess(tmp_path, WEB_CONCURRENCY="2")
    process = bot.spawn()
    assert process.wait(timeout=30) == 2
    log = bot.log()
    assert "WEB_CONCURRENCY=2 needs REDIS_URL" in log
    assert "answered twice" in log
    assert "Traceback" not in log


@needs_redis
async def test_two_workers_serve_one_port_and_share_one_harness_call(
    tmp_path: Path, redis_server: RedisServer, slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json"), delay=0.3))
    bot = BotProcess(
        tmp_path,
        WEB_CONCURRENCY="2",
        REDIS_URL=redis_server.url,
        SLACK_API_URL=slack.api_url,
        HARNESS_BASE_URL=harness.base_url,
    )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        try:
            process = bot.spawn()
            await bot.start(session)
            for _ in range(200):  # bounded: the second worker may still be booting
                if len(children(process.pid)) == 2:
                    break
                await asyncio.sleep(0.05)
            assert len(children(process.pid)) == 2
            metrics = metrics_dir(process.pid)
            assert metrics.is_dir()
            scope = "payments/checkout/docker-prod"
            sends = [
                bot.post(session, command_body(scope, response_url=slack.response_url(f"w{n}")))
                for n in range(40)
            ]
            assert set(await asyncio.gather(*sends)) == {200}
            await slack.wait_for(lambda r: r.path.startswith("/response/w"), count=40)
            assert len(harness.calls(REF)) == 1
        finally:
            bot.stop()
    assert process.returncode == 0
    assert not metrics.exists()
