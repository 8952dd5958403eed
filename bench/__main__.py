"""`python -m bench`: start harbot, the baseline and the ceiling in turn against loopback stand-ins, run the
scenarios of issue 5 on each, and print the figures, harbot's ratios and the targets. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from bench.apps import APPS, Redis, RunningApp, app_env, app_spec, free_port, machine_busy_seconds, tree_cpu
from bench.ledger import Ledger, harness_stand_in, slack_stand_in
from bench.load import ACK_TIMEOUT, Figures, SlackClient, Stage
from bench.report import figures_table, ratios_table, verdicts, verdicts_table
from bench.scenarios import SCENARIOS
from devtools.harness import HarnessStandIn
from devtools.slack import SlackStandIn

REPO = Path(__file__).resolve().parent.parent
OTHERS_WARNING = 0.15
"""Cores other processes may use while an app is measured before its figures are flagged."""
QUIET_WAIT = 10.0
"""Seconds to wait, before starting each app, for other processes to leave the machine nearly idle."""
LEGEND = """\
ack: time from sending the signed request to its HTTP response (ms); ack≤3s: acknowledged with 200
within Slack's 3 s. answered: card/unfurl delivered (response_url post or chat.unfurl that shows the
registry). ovh: answer latency (send → answer arriving at the stand-in) minus −H, Harness's latency,
subtracted only when the wave called Harness (ms). Harness: registry calls the stand-in got. answers/s:
delivered answers over the wave (scenario 3: over the hold). errors: requests not acknowledged with 200
or not answered. CPU ms/req: the app process's CPU time (all threads) per request. peak RSS: VmHWM.
start s: process start to first /healthz answer (baseline: first HTTP answer; it has no /healthz)."""


def describe_run(args: argparse.Namespace) -> str:
    """What was measured: the code's commit (and whether bot/ had uncommitted changes), the machine."""
    try:
        commit = subprocess.run(  # noqa: S603
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            ["git", "-C", str(REPO), "status", "--porcelain", "bot"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        code = f"{commit}{' + uncommitted changes in bot/' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        code = "unknown commit"
    return (
        f"harbot bench · code {code} · Python {platform.python_version()} · {os.cpu_count()} CPUs · "
        f"apps {', '.join(args.apps)} · scenarios {', '.join(args.scenarios)}"
        + (" · quick" if args.quick else "")
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run (about 1 minute): 100-request bursts, short ramp steps, 4 s hold",
    )
    parser.add_argument(
        "--apps",
        default="harbot,baseline,ceiling",
        help=f"comma-separated: any of {', '.join(APPS)}, or harbot+PATCH[+PATCH] (see bench/variants.py)",
    )
    parser.add_argument("--scenarios", default="1,2,3", help="comma-separated: 1, 2, 3")
    parser.add_argument("--logs", type=Path, metavar="DIR", help="keep each app's log in DIR")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="attach py-spy to harbot during each scenario; raw collapsed stacks go to DIR",
    )
    args = parser.parse_args(argv)
    args.apps = [a.strip() for a in args.apps.split(",") if a.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    for app in args.apps:
        try:
            app_spec(app)
        except KeyError:
            unknown.append(app)
    if unknown:
        parser.error(f"unknown app or scenario: {', '.join(unknown)}")
    return args


async def quiet_machine() -> None:
    """Wait (at most QUIET_WAIT seconds) until other processes leave the machine nearly idle."""
    deadline = time.perf_counter() + QUIET_WAIT
    while True:
        machine, own = machine_busy_seconds(), time.process_time()
        await asyncio.sleep(0.5)
        busy = (machine_busy_seconds() - machine - (time.process_time() - own)) / 0.5
        if busy <= OTHERS_WARNING or time.perf_counter() >= deadline:
            return
        print(f"  waiting for a quiet machine (others use {busy:.2f} cores)", file=sys.stderr, flush=True)


async def run_one(
    scenario: str,
    app: str,
    *,
    client: SlackClient,
    harness: HarnessStandIn,
    slack: SlackStandIn,
    quick: bool,
    profile: Path | None,
    logs: Path | None,
) -> list[Figures]:
    """Start `app` (and its redis-server), warm it up, run `scenario`, collect its process figures, stop.

    CPU time is the app's process and its children (gunicorn's workers), plus redis-server's.
    """
    spec = app_spec(app)
    await quiet_machine()
    machine, own, wall = machine_busy_seconds(), time.process_time(), time.perf_counter()
    port = free_port()
    env = app_env(port, slack_api_url=slack.api_url, harness_base_url=harness.base_url)
    env.update(spec.env)
    redis = Redis() if spec.redis else None
    if redis is not None:
        await redis.ready()
        env.update(REDIS_URL=redis.url, WEB_CONCURRENCY=str(spec.workers))
    running = RunningApp(spec, env, port)
    try:
        await running.wait_ready(client.session)
        # Bolt's first request calls auth.test; with several workers, concurrent warm-ups reach each one.
        warm_ups = [client.command("help") for _ in range(1 if spec.workers == 1 else spec.workers * 8)]
        await asyncio.gather(*(client.send(running.url, request) for request in warm_ups))
        if profile is not None and app.startswith("harbot"):
            running.start_profiler(profile / f"{app}-scenario{scenario}.txt")
            await asyncio.sleep(0.5)  # py-spy needs a moment to attach
        pids = [running.pid] + ([redis.proc.pid] if redis is not None else [])
        stage = Stage(client, harness, running.url, tree_cpu(lambda: pids), quick, cores=spec.workers)
        gc.collect()
        rows = await SCENARIOS[scenario](stage, app)
        app_cpu = stage.app_cpu()
        stats = running.stats()
        # What other processes (a test run, a build) took from the 2 cores while this app was measured.
        others = machine_busy_seconds() - machine - app_cpu - (time.process_time() - own)
        others_cores = max(0.0, others) / (time.perf_counter() - wall)
        log_errors = running.count_log_lines("ERROR", "Traceback")
        for row in rows:
            row.peak_rss_mb = stats.peak_rss_mb
            row.start_seconds = running.ready_seconds
            if others_cores > OTHERS_WARNING:
                row.notes.append(
                    f"other processes used {others_cores:.2f} cores meanwhile: these figures are disturbed"
                )
            if log_errors:
                row.notes.append(f"{log_errors} ERROR/Traceback line(s) in the app's log")
    except Exception:
        print(f"--- {app} log tail ---\n{running.log_tail()}", file=sys.stderr)
        raise
    finally:
        await running.stop(keep_log=logs / f"{app}-scenario{scenario}.log" if logs else None)
        if redis is not None:
            redis.stop()
    return rows


async def run(args: argparse.Namespace) -> None:
    """Every scenario on every app, then the tables."""
    ledger = Ledger()
    harness, slack = harness_stand_in(), slack_stand_in(ledger)
    await harness.start()
    await slack.start()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=ACK_TIMEOUT)
    rows: list[Figures] = []
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        client = SlackClient(session, ledger, slack)
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
                    profile=args.profile,
                    logs=args.logs,
                )
    await slack.stop()
    await harness.stop()

    print()
    print(describe_run(args))
    print()
    print(figures_table(rows))
    print(LEGEND)
    notes = [f"  {f.scenario} · {f.app}: {note}" for f in rows for note in f.notes]
    if ledger.duplicates or ledger.strays:
        notes.append(
            f"  answers for a key already answered: {ledger.duplicates}; unattributable: {ledger.strays}"
        )
    if notes:
        print("\nnotes:\n" + "\n".join(notes))
    print()
    print(ratios_table(rows))
    print()
    print(verdicts_table(verdicts(rows)))
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s{' (quick)' if args.quick else ''}")


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    for folder in (args.profile, args.logs):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
