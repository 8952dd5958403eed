"""A real `redis-server` for tests: its own free loopback port and temporary directory, no persistence.

Skipped only when redis-server is not installed and HARBOT_REQUIRE_REDIS is not set; CI sets it after
installing Debian's redis-server, so there a missing server fails instead. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Final

import pytest

REDIS_SERVER: Final = shutil.which("redis-server") or (
    "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
)
REQUIRED: Final = bool(os.environ.get("HARBOT_REQUIRE_REDIS"))
START_SECONDS: Final = 10.0
"""How long redis-server may take to answer PING before the test fails."""

needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None and not REQUIRED,
    reason="no redis-server (apt-get install redis-server); set HARBOT_REQUIRE_REDIS=1 to fail instead",
)


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One redis-server process; `stop()` kills it (as a crash would), `start()` brings it back on the
    same port, empty."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """What REDIS_URL is set to."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait (at most START_SECONDS) until it answers PING."""
        if REDIS_SERVER is None:
            raise AssertionError("redis-server is not installed (apt-get install redis-server)")
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.directory), "--protected-mode", "yes"]
        self._process = subprocess.Popen(  # noqa: S603 (the installed redis-server, fixed arguments)
            argv, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"redis-server exited with {self._process.returncode}")
            if self.ping():
                return
            time.sleep(0.02)
        raise AssertionError(f"redis-server did not answer PING within {START_SECONDS}s")

    def ping(self) -> bool:
        """Whether the server answers PING now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Kill it (SIGKILL: no goodbye to clients) and wait for it to go."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=START_SECONDS)
        self._process = None

    def command(self, *args: str) -> bytes:
        """One command through redis-cli, for checks from outside the bot; the raw reply."""
        cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        return subprocess.run(  # noqa: S603
            [cli, "-p", str(self.port), *args], capture_output=True, check=True, timeout=START_SECONDS
        ).stdout
