"""`python -m bot`: load .env, read settings, check the credentials, configure logging, start HTTP,
Socket Mode or the playground; `python -m bot doctor [registry]` checks the set-up instead (bot.doctor).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import sys
from typing import NoReturn

from aiohttp import web
from dotenv import load_dotenv
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot import doctor, startup, workers
from bot import modes as playground
from bot.inbound.app import build_web_app, socket_mode_client
from bot.logs import configure_logging
from bot.metrics import metrics_app
from bot.services import Services, build_services
from bot.settings import Mode, Settings, SettingsError, describe, load_settings
from bot.store import migrate_database
from bot.webhooks.receiver import webhook_app

logger = logging.getLogger("bot")
ROUTES = "POST /slack/events, GET /healthz"  # and POST /harness/webhooks/<id> (bot.webhooks)
WEBHOOK_ROUTES = "POST /harness/webhooks/<id>, GET /healthz"


def stop_signal() -> asyncio.Event:
    """An event set on SIGINT or SIGTERM (a platform stopping the dyno), from now on."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def bind(runner: web.AppRunner, host: str, port: int, variable: str) -> None:
    """Listen on host:port; SettingsError naming HOST or `variable` (the port's) when that fails."""
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        raise SettingsError(bind_error(host, port, variable, exc)) from None


def bind_error(host: str, port: int, variable: str, exc: OSError) -> str:
    """One line on why the server could not listen, naming the variable to change."""
    # asyncio's strerror repeats the address; the errno's own text is the part worth a line.
    reason = os.strerror(exc.errno) if exc.errno and not isinstance(exc, socket.gaierror) else None
    reason = reason or exc.strerror or type(exc).__name__
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"harbot can't listen on HOST={host!r} ({reason}): set HOST to an address of this machine, "
            "such as 0.0.0.0 (every interface) or 127.0.0.1."
        )
    if exc.errno == errno.EACCES:
        fix = "ports below 1024 need privileges; set it to a port such as 3000"
    else:
        fix = "set it to a free port, or stop what is using it"
    return f"harbot can't listen on {variable}={port} ({reason}): {fix}."


async def serve_metrics(settings: Settings) -> web.AppRunner | None:
    """METRICS_PORT: GET /metrics on a port of its own (so it need not be public); None when not set."""
    if settings.metrics == "off" or settings.metrics_port is None:
        return None
    runner = web.AppRunner(metrics_app(settings.prometheus_multiproc_dir), access_log=None)
    await runner.setup()
    try:
        await bind(runner, settings.host, settings.metrics_port, "METRICS_PORT")
    except SettingsError:
        await runner.cleanup()
        raise
    return runner


async def run_http(settings: Settings, reason: str) -> None:
    """Check the bot token, listen on HOST:PORT, say so once bound, and serve until stopped."""
    stop = stop_signal()
    await startup.check_slack(settings)
    services = build_services(settings)
    runner = web.AppRunner(build_web_app(services), access_log=None)
    await runner.setup()
    metrics_runner = None
    try:
        await bind(runner, settings.host, settings.port, "PORT")
        metrics_runner = await serve_metrics(settings)
        announce("HTTP mode", reason, f"listening on {settings.host}:{settings.port} ({ROUTES})")
        logger.info("harbot serving HTTP on port %d (%s)", settings.port, ROUTES)
        await stop.wait()
    finally:
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        await runner.cleanup()


async def start_socket_mode(settings: Settings) -> None:
    """Check both tokens (retrying while Slack is out of reach), then serve in Socket Mode."""
    stop = stop_signal()
    checking = asyncio.create_task(startup.wait_for_slack(settings))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait((checking, stopping), return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not checking.done():  # stopped while Slack was out of reach
        checking.cancel()
        return
    checking.result()  # CredentialError, if Slack refused a token
    await run_socket_mode(settings, build_services(settings))


async def run_socket_mode(settings: Settings, services: Services) -> None:
    """Connect to Slack over Socket Mode and serve until stopped."""
    stop = stop_signal()
    client = socket_mode_client(services)
    metrics_runner = await serve_metrics(settings)
    await services.start()
    webhooks_runner = None
    try:
        webhooks_runner = await serve_webhooks(settings, services)
        await client.connect()  # type: ignore[no-untyped-call]
        logger.info("harbot connected to Slack in Socket Mode")
        await stop.wait()
    finally:
        await client.close()  # type: ignore[no-untyped-call]
        if webhooks_runner is not None:
            await webhooks_runner.cleanup()
        await services.aclose()
        if metrics_runner is not None:
            await metrics_runner.cleanup()


async def serve_webhooks(settings: Settings, services: Services) -> web.AppRunner | None:
    """Socket Mode: Harness still delivers webhooks over HTTP, so when PORT is set (platforms set it)
    listen on HOST:PORT for POST /harness/webhooks/{identifier} and GET /healthz alone."""
    if "port" not in settings.model_fields_set:
        return None
    runner = web.AppRunner(webhook_app(services.receiver), access_log=None)
    await runner.setup()
    try:
        await bind(runner, settings.host, settings.port, "PORT")
    except SettingsError:
        await runner.cleanup()
        raise
    logger.info("harbot receiving Harness webhooks on port %d (%s)", settings.port, WEBHOOK_ROUTES)
    return runner


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """`--mode http|socket|playground|auto`: the Procfile's web and worker lines force one; `auto` follows
    the env. `doctor [registry]` checks the set-up instead of starting.
    """
    parser = argparse.ArgumentParser(prog="harbot", description="Look up Harness registries from Slack.")
    parser.add_argument(
        "--mode",
        choices=("auto", "http", "socket", playground.PLAYGROUND_MODE),
        default="auto",
        help="auto (default): the playground when no Slack credential is set, else Socket Mode when "
        "SLACK_APP_TOKEN is set, HTTP otherwise",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("doctor", "migrate"),
        help="doctor: check the set-up, one line per check; migrate: create or upgrade the database schema",
    )
    parser.add_argument(
        "registry", nargs="?", help="doctor: look this registry up (org/project/registry) to check the key"
    )
    return parser.parse_args(argv)


def announce(mode: str, reason: str, detail: str) -> None:
    """The first line `python -m bot` prints: which mode started, and why."""
    print(f"harbot: {mode} — {reason}; {detail}", flush=True)


def start_playground(reason: str) -> None:
    """The playground: the real app behind a local page that stands in for Slack (devtools/playground/).

    Imported here only: devtools/ is in a source checkout, never in the installed package.
    """
    env = playground.environment()
    try:
        from devtools.playground import launch
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("devtools"):
            raise
        print(playground.NO_PLAYGROUND, file=sys.stderr)
        raise SystemExit(2) from None
    announce("playground mode", reason, f"open http://127.0.0.1:{env.port}/")
    print(f"harbot: {launch.describe_harness(env)}; Ctrl-C stops it", flush=True)
    configure_logging(env.log_level, env.log_format)
    launch.run(env)


def migrate() -> int:
    """`python -m bot migrate`: bring DATABASE_URL's schema to the newest revision (start-up does it too)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        fail(SettingsError(describe(exc)))
    configure_logging(settings.log_level, settings.log_format)

    try:
        asyncio.run(migrate_database(settings.database_url.get_secret_value()))
    except (SQLAlchemyError, OSError) as exc:
        # The URL (and its password) stays out of the message: the driver's text may quote it.
        print(
            f"harbot can't migrate the database ({type(exc).__name__}): check DATABASE_URL.", file=sys.stderr
        )
        return 1
    print("harbot: database schema up to date", flush=True)
    return 0


def fail(exc: SettingsError) -> NoReturn:
    """End start-up with the problem's one paragraph on stderr, and exit code 2."""
    print(exc, file=sys.stderr, flush=True)
    raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> None:
    """Start the bot; a configuration problem ends with one friendly paragraph, not a traceback."""
    args = parse_args(argv)
    load_dotenv(".env")
    if args.command == "doctor":
        mode: Mode = "http" if args.mode == "http" else "socket" if args.mode == "socket" else "auto"
        raise SystemExit(doctor.main(args.registry, mode=mode))
    if args.command == "migrate":
        raise SystemExit(migrate())
    try:
        reason = playground.playground_reason(args.mode)
        if reason is not None:
            start_playground(reason)
            return
        settings = load_settings(args.mode)
        startup.check_token_shapes(settings)
    except SettingsError as exc:
        fail(exc)
    forced = f"--mode {args.mode}" if args.mode != "auto" else None
    configure_logging(settings.log_level, settings.log_format)
    try:
        if not settings.socket_mode and settings.web_concurrency > 1:
            asyncio.run(startup.check_slack(settings))  # the bot token, checked once for every worker
            workers.serve(settings)  # gunicorn's master with WEB_CONCURRENCY workers; never returns
        if settings.socket_mode:
            announce("Socket Mode", forced or "SLACK_APP_TOKEN set", "connecting to Slack")
            asyncio.run(start_socket_mode(settings))
        else:
            reason = forced or "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set, no SLACK_APP_TOKEN"
            asyncio.run(run_http(settings, reason))
    except SettingsError as exc:
        fail(exc)
    except KeyboardInterrupt:
        pass  # Ctrl-C before the signal handlers were in place: stop as quietly as after


if __name__ == "__main__":
    main()
