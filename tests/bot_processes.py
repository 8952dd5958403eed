"""The bot as real processes (`python -m bot --mode http`), for tests of several instances sharing Redis.

Each process runs in its own empty directory (no `.env`), with an environment built from the values
given here and nothing of the caller's but PATH and HOME; its stderr goes to a file the test reads.
Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

import aiohttp

from devtools.server import WAIT_SECONDS
from devtools.slack import FORM, JSON, signed_headers
from tests.conftest import BOT_TOKEN, HARNESS_KEY, SIGNING_SECRET
from tests.redis_server import free_port

START_SECONDS: Final = 20.0
"""How long a process may take to answer /healthz (a cold interpreter imports Bolt and pydantic)."""
REPO: Final = Path(__file__).resolve().parent.parent


class BotProcess:
    """One `python -m bot --mode http` on a free loopback port."""

    def __init__(self, directory: Path, **settings: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / "stderr.log"
        self.env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
        self.env.update(
            PYTHONPATH=str(REPO),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            HARNESS_API_KEY=HARNESS_KEY,
            HOST="127.0.0.1",
            PORT=str(self.port),
            LOG_LEVEL="INFO",
            **settings,
        )
        self._process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the process (without waiting for it)."""
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot", "--mode", "http"],
                cwd=self.directory,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self._process

    async def start(self, session: aiohttp.ClientSession) -> None:
        """Start it (unless `spawn` did) and wait until /healthz answers."""
        if self._process is None:
            self._process = self.spawn()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"the bot exited with {self._process.returncode}:\n{self.log()}")
            try:
                async with session.get(f"{self.url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError(f"the bot did not answer /healthz within {START_SECONDS}s:\n{self.log()}")

    def log(self) -> str:
        """Everything it logged so far."""
        return self.log_path.read_text(errors="replace")

    async def wait_log(self, needle: str, count: int = 1) -> None:
        """Wait (at most WAIT_SECONDS) until `needle` appears on `count` lines of its log."""
        deadline = time.monotonic() + WAIT_SECONDS
        while self.log().count(needle) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not logged {count} time(s):\n{self.log()}")
            await asyncio.sleep(0.05)

    async def post(
        self, session: aiohttp.ClientSession, body: str, *, json: bool = False, **headers: str
    ) -> int:
        """POST /slack/events, signed as Slack signs it; the HTTP status."""
        signed = signed_headers(SIGNING_SECRET, body, content_type=JSON if json else FORM)
        async with session.post(
            f"{self.url}/slack/events", data=body, headers={**signed, **headers}
        ) as response:
            await response.read()
            return response.status

    def stop(self) -> None:
        """SIGTERM, as a platform stops it; SIGKILL if it has not exited within 15 s."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
