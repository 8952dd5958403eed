"""WEB_CONCURRENCY worker processes on one port in HTTP mode: gunicorn's pre-fork master with aiohttp's
worker class (`aiohttp.GunicornWebWorker`).

The master binds the port, forks the workers, restarts one that dies and stops them all on SIGTERM
(each gets SHUTDOWN_GRACE for answers under way). Each worker builds its own services after the fork
(event loop, Harness and Slack connections, Redis pool); what they share is Redis, which is why more
than one worker needs REDIS_URL (bot.settings refuses to start otherwise).

`serve(settings)` replaces the process with a fresh `python -m bot.workers`, so that
PROMETHEUS_MULTIPROC_DIR (a new, empty temporary directory) is set before anything imports
prometheus_client, which reads it once at import: metrics are then summed over the workers. The
master marks each exited worker dead for prometheus_client and removes the directory when it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING, Any, NoReturn

from gunicorn.app.base import BaseApplication
from sqlalchemy.exc import SQLAlchemyError

from bot.background import SHUTDOWN_GRACE
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from aiohttp import web

WORKER_CLASS = "aiohttp.GunicornWebWorker"
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def serve(settings: Settings) -> NoReturn:
    """Run `settings.web_concurrency` workers; this process becomes their master and never returns."""
    if settings.redis_url is None:
        print(
            f"harbot can't start {settings.web_concurrency} workers without REDIS_URL: a Slack retry "
            "reaching another worker would be answered twice. Set REDIS_URL, or WEB_CONCURRENCY=1.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    metrics_dir = tempfile.mkdtemp(prefix="harbot-metrics-")
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "bot.workers", "--metrics-dir", metrics_dir]
    os.execv(sys.executable, argv)  # noqa: S606 (our own interpreter and module)


class Workers(BaseApplication):  # type: ignore[misc]
    """gunicorn's master, configured from the settings instead of its command line."""

    def __init__(self, settings: Settings, *, metrics_dir: str) -> None:
        self._settings = settings
        self._metrics_dir = metrics_dir
        super().__init__()

    def load_config(self) -> None:
        """gunicorn's settings for our case (no config file, no command line)."""
        config: dict[str, Any] = {
            "bind": [f"{self._settings.host}:{self._settings.port}"],
            "workers": self._settings.web_concurrency,
            "worker_class": WORKER_CLASS,
            "graceful_timeout": int(SHUTDOWN_GRACE) + 5,
            "loglevel": self._settings.log_level.lower(),
            "accesslog": None,
            "child_exit": self._child_exit,
            "on_exit": self._on_exit,
            "proc_name": "harbot",
            # No gunicornc control socket: unused, and two bots on one host would share its path.
            "control_socket_disable": True,
        }
        for name, value in config.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        """In each worker, after the fork: the factory aiohttp's worker awaits for the web app."""
        return self._web_app

    async def _web_app(self) -> web.Application:
        from bot.inbound.app import build_web_app
        from bot.services import build_services

        return build_web_app(build_services(self._settings))

    def _child_exit(self, _server: Any, worker: Any) -> None:
        # prometheus_client's documented hook for gunicorn: forget the dead worker's live gauges.
        try:
            multiprocess = importlib.import_module("prometheus_client.multiprocess")
        except ImportError:
            return
        multiprocess.mark_process_dead(worker.pid)

    def _on_exit(self, _server: Any) -> None:
        shutil.rmtree(self._metrics_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """`python -m bot.workers --metrics-dir DIR`: what `serve` runs; reads the settings again."""
    parser = argparse.ArgumentParser(prog="python -m bot.workers")
    parser.add_argument("--metrics-dir", required=True)
    args = parser.parse_args(argv)
    # Before anything imports prometheus_client: it reads this once, at import.
    os.environ[METRICS_DIR_ENV] = args.metrics_dir
    from bot.logs import configure_logging

    try:
        settings = load_settings("http")
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    # Once, before forking: workers booting side by side would otherwise race to migrate one database
    # (on SQLite one waits for the other's lock), and a worker stopped while still booting halts gunicorn.
    from bot.store import migrate_database

    try:
        asyncio.run(migrate_database(settings.database_url.get_secret_value()))
    except (SQLAlchemyError, OSError) as exc:
        print(
            f"harbot can't migrate the database ({type(exc).__name__}): check DATABASE_URL.", file=sys.stderr
        )
        raise SystemExit(1) from None
    Workers(settings, metrics_dir=args.metrics_dir).run()


if __name__ == "__main__":
    main()
