"""`python -m bench.posting`: a burst of deliveries posted to Slack while Slack is in trouble (issue 17).

The receiver's side (every delivery acknowledged within Harness's timeout) is the store's figure; this is
the posting side: 1,000 events of one registry (50 artifacts, 20 versions each) stored at once and queued
for every subscribed channel, while the Slack stand-in answers 503 for the first half of `--trouble`
seconds and 429 (`Retry-After: 1`) for the second half. Figures: the most Web API calls any channel got in
any one-second window (Slack allows about one message a second), events lost (a version no message or
thread in a channel names), parent messages posted twice, and how long the outbox took to drain after
Slack recovered.

    .venv/bin/python -m bench.posting                 # 1,000 events, 4 channels, a minute of trouble
    .venv/bin/python -m bench.posting --quick         # 200 events, 2 channels, 10 s of trouble
    .venv/bin/python -m bench.posting --database postgresql+asyncpg://…   # instead of SQLite
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.posting.fanout import queue_posts
from bot.posting.poster import Poster
from bot.refs import RegistryRef
from bot.store import NewEvent, Store
from devtools.slack import SlackStandIn, arguments

REF = RegistryRef(account="acc_bench", org="payments", registry="docker-prod")
LIMIT = 60 * 30.0
"""The longest the bench waits for the outbox to drain: a bound, so a broken poster still ends the run."""


async def store_burst(store: Store, *, artifacts: int, versions: int, now: datetime) -> list[tuple[str, str]]:
    """Every event stored and queued, as the receiver stores a burst: one transaction per delivery."""
    made = []
    for version in range(versions):
        for artifact in range(artifacts):
            name, tag = f"service-{artifact:02d}", f"1.0.{version}"
            event = NewEvent(
                registry=REF.path,
                artifact=name,
                version=tag,
                trigger="pushed",
                at=now,
                principal_name="ci-bot",
            )
            async with store.transaction() as tx:
                stored = await tx.events.add(event, delivery_id=None)
                await queue_posts(tx, stored, now=now)
            made.append((name, tag))
    return made


def worst_second(times: list[float]) -> int:
    """The most calls in any window of one second."""
    times.sort()
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def run(args: argparse.Namespace) -> None:
    slack = SlackStandIn()
    await slack.start()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        store = Store.from_url(url)
        await store.start()
        now = datetime.now(UTC)
        async with store.transaction() as tx:
            for channel in range(args.channels):
                await tx.subscriptions.add(
                    channel=f"C{channel:03d}", registry=REF.path, created_by="U1", at=now
                )
        stored_at = time.monotonic()
        events = await store_burst(store, artifacts=args.artifacts, versions=args.versions, now=now)
        stored_s = time.monotonic() - stored_at
        slack.trouble = (503, {})
        slack.trouble_until = time.monotonic() + args.trouble
        async with aiohttp.ClientSession() as session:
            web = Poster.client(session, api_url=slack.api_url, bot_token="xoxb-bench")
            poster = Poster(store=store, web=web, ui_base="https://app.harness.io")
            started = time.monotonic()
            poster.start()
            await asyncio.sleep(args.trouble / 2)
            slack.trouble = (429, {"Retry-After": "1"})
            deadline = started + LIMIT
            while time.monotonic() < deadline:
                async with store.transaction() as tx:
                    if not await tx.posts.pending_count():
                        break
                await asyncio.sleep(0.5)
            drained = time.monotonic() - started
            await poster.aclose()
        await store.aclose()
    await slack.stop()
    report(slack, events, args, stored_s=stored_s, drained_s=drained)


def report(
    slack: SlackStandIn,
    events: list[tuple[str, str]],
    args: argparse.Namespace,
    *,
    stored_s: float,
    drained_s: float,
) -> None:
    per_channel: dict[str, list[float]] = defaultdict(list)
    named: dict[str, str] = defaultdict(str)
    parents: Counter[tuple[str, str]] = Counter()
    refused = 0
    for call in slack.requests:
        method = call.route.removeprefix("/api/")
        if method not in {"chat.postMessage", "chat.update"}:
            continue
        args_ = arguments(call)
        if args_ is None:
            continue
        channel = str(args_.get("channel"))
        per_channel[channel].append(call.at)
        text = str(args_.get("blocks"))
        if call.at < slack.trouble_until:
            refused += 1
            continue
        named[channel] += text
        if method == "chat.postMessage" and "thread_ts" not in args_:
            parents[(channel, text.split("versions of ", 1)[-1][:40])] += 1
    lost = sum(1 for channel in named for name, tag in events if f"{name}:{tag}" not in named[channel])
    missing_channels = args.channels - len(named)
    twice = sum(count - 1 for count in parents.values() if count > 1)
    worst = max((worst_second(list(times)) for times in per_channel.values()), default=0)
    calls = sum(len(times) for times in per_channel.values())
    print(
        f"events {len(events)} stored in {stored_s:.1f}s, {args.channels} channels, "
        f"Slack in trouble {args.trouble:.0f}s"
    )
    print(f"  Web API calls {calls} (refused while in trouble: {refused})")
    print(f"  most calls to one channel in any second: {worst} (Slack's limit: about 1)")
    print(f"  events lost: {lost + missing_channels * len(events)}; parent messages posted twice: {twice}")
    print(
        f"  outbox drained {drained_s:.1f}s after posting began "
        f"({drained_s - args.trouble:.1f}s after Slack recovered)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.posting", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--database", default=None, help="a DATABASE_URL (default: SQLite in a temporary directory)"
    )
    args = parser.parse_args()
    args.artifacts, args.versions, args.channels, args.trouble = (
        (10, 20, 2, 10.0) if args.quick else (50, 20, 4, 60.0)
    )
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
