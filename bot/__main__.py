"""`python -m bot`: load .env, read settings, configure logging, start HTTP, Socket Mode or the playground."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiohttp import web
from dotenv import load_dotenv

from bot import workers
from bot.app import Services, build_app, build_services, build_web_app
from bot.playground import launch as playground
from bot.settings import Settings, SettingsError, load_settings

logger = logging.getLogger("bot")


def configure_logging(level: str) -> None:
    """One plain line per record on stderr, which platforms like Heroku collect."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if level.upper() != "DEBUG":
        # httpx logs every request at INFO; the bot's own line per lookup says more, once.
        logging.getLogger("httpx").setLevel(logging.WARNING)


async def run_socket_mode(settings: Settings, services: Services) -> None:
    """Connect to Slack over Socket Mode and serve until stopped."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    app = build_app(settings, services)
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    handler = AsyncSocketModeHandler(app, app_token)
    await services.slack.open(app)
    try:
        await handler.start_async()  # type: ignore[no-untyped-call]
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await services.background.aclose()
        await services.lookups.aclose()
        await services.state.aclose()
        await services.slack.aclose(app)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """`--mode http|socket|playground|auto`: the Procfile's web and worker lines force one; `auto` follows
    the env.
    """
    parser = argparse.ArgumentParser(prog="harbot", description="Look up Harness registries from Slack.")
    parser.add_argument(
        "--mode",
        choices=("auto", "http", "socket", playground.PLAYGROUND_MODE),
        default="auto",
        help="auto (default): the playground when no Slack credential is set, else Socket Mode when "
        "SLACK_APP_TOKEN is set, HTTP otherwise",
    )
    return parser.parse_args(argv)


def announce(mode: str, reason: str, detail: str) -> None:
    """The first line `python -m bot` prints: which mode started, and why."""
    print(f"harbot: {mode} — {reason}; {detail}", flush=True)


def start_playground(reason: str) -> None:
    """The playground: the real app behind a local page that stands in for Slack (bot/playground/)."""
    env = playground.environment()
    announce("playground mode", reason, f"open http://127.0.0.1:{env.port}/")
    print(f"harbot: {playground.describe_harness(env)}; Ctrl-C stops it", flush=True)
    configure_logging(env.log_level)
    playground.run(env)


def main(argv: list[str] | None = None) -> None:
    """Start the bot; a configuration problem ends with one friendly paragraph, not a traceback."""
    args = parse_args(argv)
    load_dotenv(".env")
    try:
        reason = playground.playground_reason(args.mode)
        if reason is not None:
            start_playground(reason)
            return
        settings = load_settings(args.mode)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    forced = f"--mode {args.mode}" if args.mode != "auto" else None
    if settings.socket_mode:
        announce("Socket Mode", forced or "SLACK_APP_TOKEN set", "connecting to Slack")
    else:
        announce(
            "HTTP mode",
            forced or "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set, no SLACK_APP_TOKEN",
            f"listening on {settings.host}:{settings.port} (POST /slack/events, GET /healthz)",
        )
    configure_logging(settings.log_level)
    services = build_services(settings)
    if settings.socket_mode:
        logger.info("harbot starting in Socket Mode")
        asyncio.run(run_socket_mode(settings, services))
        return
    if settings.web_concurrency > 1:
        workers.serve(settings)  # gunicorn's master with WEB_CONCURRENCY workers; never returns
    logger.info("harbot serving HTTP on port %d (POST /slack/events, GET /healthz)", settings.port)
    web_app = build_web_app(build_app(settings, services), services)
    web.run_app(web_app, host=settings.host, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
