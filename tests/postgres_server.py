"""A real PostgreSQL for tests: its own free loopback port and temporary data directory, fsync off.

Debian installs the server binaries in /usr/lib/postgresql/<version>/bin, not on PATH: they are looked
for there too. PostgreSQL refuses to run as root (CI runs as root): then the data directory is given to
the `postgres` system user (Debian's package creates it) and the server runs as that user via `runuser`.
Skipped only when no server is installed and HARBOT_REQUIRE_POSTGRES is not set; CI sets it after
installing Debian's postgresql, so there a missing server fails instead. Every wait is bounded.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Final

import pytest

from tests.redis_server import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version, reverse=True)
    return candidates[0] if candidates else None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


INITDB: Final = _binary("initdb")
POSTGRES: Final = _binary("postgres")
REQUIRED: Final = bool(os.environ.get("HARBOT_REQUIRE_POSTGRES"))
START_SECONDS: Final = 30.0
USER: Final = "harbot"

needs_postgres = pytest.mark.skipif(
    (INITDB is None or POSTGRES is None) and not REQUIRED,
    reason="no PostgreSQL server (apt-get install postgresql); set HARBOT_REQUIRE_POSTGRES=1 to fail instead",
)


class PostgresServer:
    """One `postgres` process on 127.0.0.1; `stop()` ends it and removes its data."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp_path: as root that is 0700 and the postgres user could not enter it.
        self.directory = Path(tempfile.mkdtemp(prefix="harbot-pg-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """What DATABASE_URL is set to."""
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/postgres"

    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise AssertionError(
                "running as root needs a `postgres` user (Debian's package makes one)"
            ) from None
        shutil.chown(self.directory, "postgres")
        return ["runuser", "-u", "postgres", "--", *argv]

    def start(self) -> None:
        """initdb, start, and wait (at most START_SECONDS) until the server accepts connections."""
        if INITDB is None or POSTGRES is None:
            raise AssertionError("PostgreSQL is not installed (apt-get install postgresql)")
        data = self.directory / "data"
        initdb = [INITDB, "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"]
        subprocess.run(  # noqa: S603 (the installed initdb, fixed arguments)
            self._as_server_user([*initdb, "--no-instructions"]),
            check=True,
            capture_output=True,
            timeout=START_SECONDS,
        )
        argv = [POSTGRES, "-D", str(data), "-p", str(self.port), "-h", "127.0.0.1"]
        argv += ["-k", str(self.directory), "-c", "fsync=off", "-c", "synchronous_commit=off"]
        argv += ["-c", "full_page_writes=off", "-c", "max_connections=200"]
        self._process = subprocess.Popen(  # noqa: S603
            self._as_server_user(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + START_SECONDS
        ready = [_binary("pg_isready") or "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                raise AssertionError(f"postgres exited with {self._process.returncode}: {error[-2000:]}")
            if subprocess.run(ready, check=False, timeout=START_SECONDS).returncode == 0:  # noqa: S603
                return
            time.sleep(0.05)
        raise AssertionError(f"postgres did not accept connections within {START_SECONDS}s")

    def stop(self) -> None:
        """Stop it (SIGTERM to the runuser wrapper, which passes it on) and remove its data."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=START_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=START_SECONDS)
        self._process = None
        shutil.rmtree(self.directory, ignore_errors=True)
