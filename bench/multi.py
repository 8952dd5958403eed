"""`python -m bench.multi`: harbot as WEB_CONCURRENCY=2 workers sharing a real redis-server, beside the
one-process bot and the ceiling, on the scenarios of bench/scenarios.py; then the targets of issue 11.

Apps: `harbot` (one process, no Redis: the default), `harbot-redis` (one process with REDIS_URL: what
Redis itself costs), `harbot-2w` (`WEB_CONCURRENCY=2`, REDIS_URL), `ceiling`. A fresh redis-server (a
free loopback port, a temporary directory, no persistence) is started for each run of an app that
uses it. CPU time is the app's master, its workers and, for the Redis apps, redis-server, summed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.__main__ import OTHERS_WARNING, quiet_machine
from bench.apps import APPS, AppSpec, RunningApp, app_env, free_port, machine_busy_seconds, proc_stats
from bench.ledger import Ledger, harness_stand_in, slack_stand_in
from bench.load import ACK_TIMEOUT, Figures, SlackClient, Stage
from bench.report import _table, figures_table
from bench.scenarios import SCENARIOS
from devtools.harness import HarnessStandIn
from devtools.server import LOOPBACK
from devtools.slack import SlackStandIn

REDIS_START = 10.0
"""Seconds redis-server may take to answer PING."""


@dataclass(frozen=True)
class MultiApp:
    """An app and what it needs: Redis, and how many worker processes."""

    spec: AppSpec
    redis: bool = False
    workers: int = 1


MULTI_APPS: dict[str, MultiApp] = {
    "harbot": MultiApp(APPS["harbot"]),
    "harbot-redis": MultiApp(AppSpec("harbot-redis", APPS["harbot"].argv), redis=True),
    "harbot-2w": MultiApp(AppSpec("harbot-2w", APPS["harbot"].argv), redis=True, workers=2),
    "ceiling": MultiApp(APPS["ceiling"]),
}


class Redis:
    """A throw-away redis-server on loopback."""

    def __init__(self) -> None:
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        argv = [server, "--port", str(self.port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(  # noqa: S603
            [*argv, "--dir", str(self._dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    async def ready(self) -> None:
        """Wait until it answers PING."""
        deadline = time.perf_counter() + REDIS_START
        while time.perf_counter() < deadline:
            try:
                reader, writer = await asyncio.open_connection(LOOPBACK, self.port)
                writer.write(b"PING\r\n")
                pong = await reader.read(16)
                writer.close()
                if pong.startswith(b"+PONG"):
                    return
            except OSError:
                pass
            await asyncio.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=REDIS_START)
        shutil.rmtree(self._dir, ignore_errors=True)


def tree_cpu(pids: Callable[[], list[int]]) -> Callable[[], float]:
    """CPU seconds of the given processes and all their children, summed."""

    def total() -> float:
        seconds = 0.0
        todo = list(pids())
        while todo:
            pid = todo.pop()
            try:
                seconds += proc_stats(pid).cpu_seconds
                todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except (OSError, ValueError):
                continue
        return seconds

    return total


async def run_one(
    scenario: str,
    name: str,
    *,
    client: SlackClient,
    harness: HarnessStandIn,
    slack: SlackStandIn,
    quick: bool,
    logs: Path | None = None,
) -> list[Figures]:
    """Start `name` (and its redis-server), warm it up, run `scenario`, stop both."""
    app = MULTI_APPS[name]
    await quiet_machine()
    machine, own, wall = machine_busy_seconds(), time.process_time(), time.perf_counter()
    redis = Redis() if app.redis else None
    port = free_port()
    env = app_env(port, slack_api_url=slack.api_url, harness_base_url=harness.base_url)
    if redis is not None:
        await redis.ready()
        env.update(REDIS_URL=redis.url, WEB_CONCURRENCY=str(app.workers))
    running = RunningApp(app.spec, env, port)
    try:
        await running.wait_ready(client.session)
        # Each worker's first request calls auth.test: concurrent warm-ups reach every worker.
        warm_ups = [client.command("help") for _ in range(app.workers * 8)]
        await asyncio.gather(*(client.send(running.url, request) for request in warm_ups))
        pids = [running.pid] + ([redis.proc.pid] if redis else [])
        stage = Stage(client, harness, running.url, tree_cpu(lambda: pids), quick, cores=app.workers)
        gc.collect()
        rows = await SCENARIOS[scenario](stage, name)
        app_cpu = stage.app_cpu()
        others = machine_busy_seconds() - machine - app_cpu - (time.process_time() - own)
        others_cores = max(0.0, others) / (time.perf_counter() - wall)
        errors = running.count_log_lines("ERROR", "Traceback")
        for row in rows:
            row.start_seconds = running.ready_seconds
            if others_cores > OTHERS_WARNING:
                row.notes.append(
                    f"other processes used {others_cores:.2f} cores meanwhile: these figures are disturbed"
                )
            if errors:
                row.notes.append(f"{errors} ERROR/Traceback line(s) in the app's log")
    except Exception:
        print(f"--- {name} log tail ---\n{running.log_tail()}", file=sys.stderr)
        raise
    finally:
        await running.stop(keep_log=logs / f"{name}-scenario{scenario}.log" if logs else None)
        if redis is not None:
            redis.stop()
    return rows


def targets(rows: list[Figures]) -> str:
    """Issue 11's bench targets, judged on this run."""

    def find(scenario: str, app: str) -> Figures | None:
        return next((r for r in rows if r.scenario == scenario and r.app == app), None)

    lines: list[tuple[str, str, str]] = []
    cold = find("2a same, cold", "harbot-2w")
    if cold is not None:
        verdict = "met" if cold.harness_calls == 1 else "MISSED"
        lines.append(("same-registry burst over 2 workers: 1 Harness call", f"{cold.harness_calls}", verdict))
    two, ceiling = find("1 distinct", "harbot-2w"), find("1 distinct", "ceiling")
    if two is not None and ceiling is not None:
        delta = (two.overhead_p50 - ceiling.overhead_p50) * 1000
        verdict = "met" if delta <= 50 else "MISSED"
        lines.append(("distinct burst ovh p50 ≤ ceiling's + 50 ms", f"+{delta:.0f} ms", verdict))
    steady_two, steady_one = find("3 steady", "harbot-2w"), find("3 steady", "harbot")
    if steady_two is not None and steady_one is not None:
        ratio = steady_two.throughput / steady_one.throughput
        verdict = "met" if ratio >= 1.8 else "MISSED"
        lines.append(("sustained answers/s ≥ 1.8× one worker's", f"{ratio:.2f}×", verdict))
    return _table(("target (issue 11)", "this run", "verdict"), lines)


async def run(args: argparse.Namespace) -> None:
    """Every scenario on every app, then the tables."""
    ledger = Ledger()
    harness, slack = harness_stand_in(), slack_stand_in(ledger)
    await harness.start()
    await slack.start()
    rows: list[Figures] = []
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=ACK_TIMEOUT)
    ) as s:
        client = SlackClient(s, ledger, slack)
        for scenario in args.scenarios:
            for app in args.apps:
                print(f"scenario {scenario} · {app} …", file=sys.stderr, flush=True)
                rows += await run_one(
                    scenario,
                    app,
                    client=client,
                    harness=harness,
                    slack=slack,
                    quick=args.quick,
                    logs=args.logs,
                )
    await slack.stop()
    await harness.stop()
    print()
    print(figures_table(rows))
    notes = [f"  {f.scenario} · {f.app}: {note}" for f in rows for note in f.notes]
    if ledger.duplicates or ledger.strays:
        notes.append(
            f"  answers for a key already answered: {ledger.duplicates}; unattributable: {ledger.strays}"
        )
    if notes:
        print("\nnotes:\n" + "\n".join(notes))
    print()
    print(targets(rows))
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s{' (quick)' if args.quick else ''}")


def main(argv: list[str] | None = None) -> None:
    """Command line: `--quick`, `--apps`, `--scenarios` as in `python -m bench`."""
    parser = argparse.ArgumentParser(prog="python -m bench.multi", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: 100-request bursts, short ramp")
    parser.add_argument("--apps", default="harbot,harbot-2w,ceiling", help=f"any of {', '.join(MULTI_APPS)}")
    parser.add_argument("--scenarios", default="1,2,3", help="comma-separated: 1, 2, 3")
    parser.add_argument("--logs", type=Path, metavar="DIR", help="keep each app's log in DIR")
    args = parser.parse_args(argv)
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
    args.apps = [a for a in args.apps.split(",") if a]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = [a for a in args.apps if a not in MULTI_APPS] + [
        s for s in args.scenarios if s not in SCENARIOS
    ]
    if unknown:
        parser.error(f"unknown app or scenario: {', '.join(unknown)}")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
