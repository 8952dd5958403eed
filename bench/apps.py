"""The apps under test, each started as a process of its own on loopback, as `make run` starts the bot.

- `harbot`: `python -m bot --mode http`, the real bot; its variants differ only in the environment:
  `harbot-nometrics` (METRICS=off), `harbot-json` (LOG_FORMAT=json), `harbot-redis` (REDIS_URL, one
  process), `harbot-2w` (WEB_CONCURRENCY=2 with REDIS_URL: gunicorn's master and two workers).
- `baseline`: `bench/baseline_app.py`, the lookup as Slack's starter templates write it (sync Bolt).
- `ceiling`: `bench/ceiling_app.py`, the same job with no framework (aiohttp only).

Each runs in a fresh temporary directory (so no `.env` is read) with the same environment, its stderr
going to a log file that is shown when something goes wrong.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import aiohttp

from devtools.server import LOOPBACK

BENCH_DIR = Path(__file__).resolve().parent
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-bot-token"
HARNESS_KEY = "pat.acc_bench.x.y"
"""A fake key of the documented shape: the account id (`acc_bench`) comes from it."""
ACCOUNT = "acc_bench"
START_TIMEOUT = 15.0
"""Seconds an app may take to answer its health check before the run gives up on it."""
STOP_TIMEOUT = 3.0
"""Seconds an app gets to exit after SIGINT (the baseline's busy thread pool never does)."""
_CLEARED = (
    "SLACK_",
    "HARNESS_",
    "HOST",
    "PORT",
    "LOG_",
    "METRICS",
    "ALLOWED_",
    "REDIS_",
    "WEB_CONCURRENCY",
    "PROMETHEUS_MULTIPROC_DIR",
)


REDIS_START = 10.0
"""Seconds redis-server may take to answer PING."""


@dataclass(frozen=True)
class AppSpec:
    """How to start one app; `health_any_status`: the app has no /healthz, any HTTP answer means it is up.

    `env`: settings added to the bench's environment; `redis`: it gets a fresh redis-server (REDIS_URL);
    `workers`: its worker processes (WEB_CONCURRENCY, with `redis`).
    """

    name: str
    argv: tuple[str, ...]
    health_any_status: bool = False
    env: tuple[tuple[str, str], ...] = ()
    redis: bool = False
    workers: int = 1


_BOT = ("-m", "bot", "--mode", "http")
APPS: dict[str, AppSpec] = {
    "harbot": AppSpec("harbot", _BOT),
    "harbot-nometrics": AppSpec("harbot-nometrics", _BOT, env=(("METRICS", "off"),)),
    "harbot-json": AppSpec("harbot-json", _BOT, env=(("LOG_FORMAT", "json"),)),
    "harbot-redis": AppSpec("harbot-redis", _BOT, redis=True),
    "harbot-2w": AppSpec("harbot-2w", _BOT, redis=True, workers=2),
    "baseline": AppSpec("baseline", (str(BENCH_DIR / "baseline_app.py"),), health_any_status=True),
    "ceiling": AppSpec("ceiling", (str(BENCH_DIR / "ceiling_app.py"),)),
}


def app_spec(name: str) -> AppSpec:
    """One of APPS, or `harbot+<patch>+...`: harbot with proposed changes from bench/variants.py."""
    if name in APPS:
        return APPS[name]
    base, _, patches = name.partition("+")
    if base != "harbot" or not patches:
        raise KeyError(name)
    argv = (str(BENCH_DIR / "variants.py"), patches.replace("+", ","), "--mode", "http")
    return AppSpec(name, argv)


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def app_env(port: int, *, slack_api_url: str, harness_base_url: str) -> dict[str, str]:
    """The environment every app gets: this process's, minus any of the bot's settings, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED)}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        HARNESS_API_KEY=HARNESS_KEY,
        HOST=LOOPBACK,
        PORT=str(port),
        SLACK_API_URL=slack_api_url,
        HARNESS_BASE_URL=harness_base_url,
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@dataclass
class ProcStats:
    """What /proc says about a process: CPU seconds used so far and peak resident memory."""

    cpu_seconds: float
    peak_rss_mb: float


def proc_stats(pid: int) -> ProcStats:
    """CPU time (user + system, all threads) and VmHWM of a running process."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm_kb = int(line.split()[1])
    return ProcStats(cpu_seconds=cpu, peak_rss_mb=hwm_kb / 1024)


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


class Redis:
    """A throw-away redis-server on loopback: a free port, a temporary directory, no persistence."""

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


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting on I/O) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class RunningApp:
    """An app process serving on `url`; `ready_seconds` is from process start to its first health answer."""

    def __init__(self, spec: AppSpec, env: dict[str, str], port: int) -> None:
        self.spec = spec
        self.url = f"http://{LOOPBACK}:{port}"
        self.ready_seconds = float("nan")
        self._workdir = Path(tempfile.mkdtemp(prefix=f"bench-{spec.name}-"))
        self.log_path = self._workdir / "stderr.log"
        self._log: IO[bytes] = self.log_path.open("wb")
        self._started = time.perf_counter()
        self.proc = subprocess.Popen(  # noqa: S603 (our own interpreter and files)
            [sys.executable, *spec.argv],
            cwd=self._workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._profiler: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The app's process id."""
        return self.proc.pid

    async def wait_ready(self, session: aiohttp.ClientSession) -> None:
        """Poll GET /healthz every 5 ms until the app answers; raise with its log if it never does."""
        deadline = self._started + START_TIMEOUT
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                async with session.get(f"{self.url}/healthz") as response:
                    await response.read()
                    if response.status == 200 or self.spec.health_any_status:
                        self.ready_seconds = time.perf_counter() - self._started
                        return
            except (aiohttp.ClientError, OSError):
                pass
            await asyncio.sleep(0.005)
        raise RuntimeError(f"{self.spec.name} did not come up:\n{self.log_tail()}")

    def stats(self) -> ProcStats:
        """CPU time and peak RSS so far."""
        return proc_stats(self.pid)

    def start_profiler(self, output: Path) -> None:
        """Attach py-spy (sampling, on-CPU only, raw collapsed stacks) until `stop` is called."""
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        argv = [py_spy, "record", "--pid", str(self.pid), "--rate", "250", "--format", "raw"]
        self._profiler = subprocess.Popen(  # noqa: S603
            [*argv, "--output", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def log_tail(self, lines: int = 30) -> str:
        """The end of the app's log."""
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def count_log_lines(self, *needles: str) -> int:
        """Log lines containing any of `needles` (errors and tracebacks the app printed)."""
        self._log.flush()
        text = self.log_path.read_text(errors="replace")
        return sum(1 for line in text.splitlines() if any(n in line for n in needles))

    async def stop(self, keep_log: Path | None = None) -> None:
        """Stop the profiler (if any) and the app (SIGINT, SIGKILL after STOP_TIMEOUT); keep its log.

        Waits without blocking the event loop, so the stand-ins go on answering a shutting-down app.
        """
        if self._profiler is not None:
            self._profiler.send_signal(signal.SIGINT)
            await _wait_or_kill(self._profiler, 20.0)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            await _wait_or_kill(self.proc, STOP_TIMEOUT)
        self._log.close()
        if keep_log is not None:
            shutil.copyfile(self.log_path, keep_log)
        shutil.rmtree(self._workdir, ignore_errors=True)


async def _wait_or_kill(proc: subprocess.Popen[bytes], seconds: float) -> None:
    try:
        await asyncio.to_thread(proc.wait, seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait)
