"""`python -m bench.webhooks`: 1,000 Harness deliveries in one burst to one receiver, on loopback.

Each delivery is distinct (another version), authenticated with its webhook token and signed with the
HMAC secret, so the receiver does all of its work: token, signature, shape, one transaction storing the
delivery, its event and its posts (the outbox, as the bot wires it: on_events=queue_all). The same
burst then goes to a bare aiohttp receiver (read the body, answer 200)
in the same run, for the ratio. Prints each one's p50/p99/max seconds to acknowledge, and checks that
every delivery was acknowledged 200 and every event stored. The burst is sent from a child process (its
own CPU), so the figures are the receiver's. Bounded: one burst each, a 60 s timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiohttp import web

from bot.posting.fanout import queue_all
from bot.store import Store
from bot.webhooks.receiver import TOKEN_HEADER, Receiver, sign, webhook_app

DELIVERIES: Final = 1000
TIMEOUT_SECONDS: Final = 60.0
SECRET: Final = "bench-secret"
TOKEN: Final = "bench-token"
IDENTIFIER: Final = "harbot_bench"


def body(n: int) -> bytes:
    return json.dumps(
        {
            "trigger": "artifact_created",
            "registry": {"id": 1, "name": "docker-prod", "description": "", "url": "https://example.com/r"},
            "principal": {
                "id": 1,
                "uid": "ci",
                "display_name": "CI",
                "email": "ci@example.com",
                "type": "service",
            },
            "artifact_info": {
                "type": "DOCKER",
                "name": "payments-api",
                "version": f"1.0.{n}",
                "artifact": {"name": "payments-api", "ref": f"payments-api:1.0.{n}", "tag": f"1.0.{n}"},
            },
        },
        separators=(",", ":"),
    ).encode()


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=4096).start()
    address: tuple[str, int] = runner.addresses[0]
    return runner, f"http://127.0.0.1:{address[1]}/harness/webhooks/{IDENTIFIER}"


async def burst(url: str, count: int) -> list[tuple[int, float]]:
    """Send `count` deliveries at once; each one's status and seconds from sending to the answer."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(n: int) -> tuple[int, float]:
            payload = body(n)
            headers = {"Content-Type": "application/json", TOKEN_HEADER: TOKEN}
            headers["X-Gitness-Signature"] = sign(payload, SECRET)
            started = time.perf_counter()
            async with session.post(url, data=payload, headers=headers) as response:
                await response.read()
                return response.status, time.perf_counter() - started

        return await asyncio.gather(*(one(n) for n in range(count)))


def summary(name: str, results: list[tuple[int, float]]) -> dict[str, Any]:
    seconds = sorted(latency for _, latency in results)
    p99 = seconds[max(0, int(len(seconds) * 0.99) - 1)]
    ok = sum(1 for status, _ in results if status == 200)
    return {
        "receiver": name,
        "acknowledged": ok,
        "p50_s": round(statistics.median(seconds), 4),
        "p99_s": round(p99, 4),
        "max_s": round(seconds[-1], 4),
    }


async def bare() -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/harness/webhooks/{identifier}", handler)
    return app


async def measure(
    name: str, app: web.Application, count: int, after: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    """Serve `app` here; the burst comes from another process, so sending does not slow the receiver."""
    runner, url = await serve(app)
    try:
        argv = ["-m", "bench.webhooks", "--client", url, "--deliveries", str(count)]
        client = await asyncio.create_subprocess_exec(sys.executable, *argv, stdout=asyncio.subprocess.PIPE)
        output, _ = await asyncio.wait_for(client.communicate(), TIMEOUT_SECONDS * 2)
        results = [(int(status), float(seconds)) for status, seconds in json.loads(output)]
    finally:
        await runner.cleanup()
    await after()
    return summary(name, results)


async def run(count: int, database_url: str | None) -> int:
    with tempfile.TemporaryDirectory() as directory:
        url = database_url or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        store = Store.from_url(url)
        await store.start()
        async with store.transaction() as tx:
            if await tx.webhooks.by_identifier(IDENTIFIER) is None:
                await tx.webhooks.add(
                    registry="bench/bench/docker-prod", identifier=IDENTIFIER, token=TOKEN, at=_now()
                )
            before = await tx.events.count()
        stored: list[int] = []

        async def count_events() -> None:
            async with store.transaction() as tx:
                stored.append(await tx.events.count() - before)

        async def nothing() -> None:
            return None

        harbot = await measure(
            f"harbot ({store.backend})",
            webhook_app(Receiver(store, secret=SECRET, on_events=queue_all)),
            count,
            count_events,
        )
        baseline = await measure("bare aiohttp", await bare(), count, nothing)
        await store.aclose()
    harbot["events_stored"] = stored[0]
    harbot["p99_ratio_to_bare"] = round(harbot["p99_s"] / baseline["p99_s"], 2) if baseline["p99_s"] else None
    for row in (harbot, baseline):
        print(json.dumps(row))
    good = harbot["acknowledged"] == count and stored[0] == count and harbot["p99_s"] < 1.0
    verdict = "PASS" if good else "FAIL"
    print(f"harbot: {verdict}: {count} acknowledged, {stored[0]} stored, p99 {harbot['p99_s']} s")
    return 0 if good else 1


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--deliveries", type=int, default=DELIVERIES, help="how many in the burst (1..5000)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)  # the burst's own process
    args = parser.parse_args()
    count = max(1, min(args.deliveries, 5000))
    if args.client:
        if not args.client.startswith("http://127.0.0.1:"):
            raise SystemExit("loopback only")
        print(json.dumps(asyncio.run(burst(args.client, count))))
        return
    raise SystemExit(asyncio.run(run(count, args.database_url)))


if __name__ == "__main__":
    main()
