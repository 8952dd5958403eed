"""A real PostgreSQL for tests: Debian's server binaries, a fresh cluster in a temporary directory, its own
free loopback port, no password (trust on 127.0.0.1 only).

Skipped only when the binaries are not installed and HARBOT_REQUIRE_POSTGRES is not set; CI sets it after
installing Debian's postgresql, so there a missing server fails instead. Every wait is bounded.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Final

import pytest

_FOUND: Final = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
BIN: Final = _FOUND[-1] if _FOUND else (str(Path(p).parent) if (p := shutil.which("initdb")) else None)
REQUIRED: Final = bool(os.environ.get("HARBOT_REQUIRE_POSTGRES"))
START_SECONDS: Final = 30.0

needs_postgres = pytest.mark.skipif(
    BIN is None and not REQUIRED,
    reason="no PostgreSQL (apt-get install postgresql); set HARBOT_REQUIRE_POSTGRES=1 to fail instead",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One cluster: `start()` runs initdb (once) and the server; `stop()` shuts it down fast.

    PostgreSQL refuses to run as root: as root (CI containers are), the cluster lives in a directory of
    its own under /tmp owned by the `postgres` user, and the binaries run as that user (runuser).
    """

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="harbot-pg-"))
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.data = self.directory / "data"
        self.port = free_port()
        self.user = "harbot"

    def url(self, database: str = "postgres") -> str:
        """A DATABASE_URL for the bot."""
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, name: str, *args: str) -> None:
        if BIN is None:
            raise AssertionError("PostgreSQL is not installed (apt-get install postgresql)")
        env = {**os.environ, "LC_ALL": "C", "PGTZ": "UTC"}
        argv = [*self._as, str(Path(BIN) / name), *args]
        subprocess.run(argv, check=True, capture_output=True, env=env, timeout=START_SECONDS)  # noqa: S603

    def start(self) -> None:
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", self.user, "-A", "trust", "--no-sync", "-E", "UTF8"
            )
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(
            self.directory / "server.log"
        )  # the server's output: not our pipe, which it would hold open
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            log,
            "-o",
            options,
            "-w",
            "-t",
            str(int(START_SECONDS)),
            "start",
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"PostgreSQL did not listen within {START_SECONDS}s")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Delete the cluster's files (after `stop`)."""
        shutil.rmtree(self.directory, ignore_errors=True)
