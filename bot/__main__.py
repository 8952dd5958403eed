"""`python -m bot`: load .env, read settings, configure logging, start HTTP or Socket Mode."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiohttp import web
from dotenv import load_dotenv

from bot.app import Services, build_app, build_services, build_web_app
from bot.settings import Settings, SettingsError, load_settings

logger = logging.getLogger("bot")


def configure_logging(level: str) -> None:
    """One plain line per record on stderr, which platforms like Heroku collect."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


async def run_socket_mode(settings: Settings, services: Services) -> None:
    """Connect to Slack over Socket Mode and serve until stopped."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    app = build_app(settings, services)
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    handler = AsyncSocketModeHandler(app, app_token)
    try:
        await handler.start_async()  # type: ignore[no-untyped-call]
    finally:
        await services.lookups.aclose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """`--mode http|socket|auto`: the Procfile's web and worker lines force one; `auto` follows the env."""
    parser = argparse.ArgumentParser(prog="harbot", description="Look up Harness registries from Slack.")
    parser.add_argument(
        "--mode",
        choices=("auto", "http", "socket"),
        default="auto",
        help="auto (default): Socket Mode when SLACK_APP_TOKEN is set, HTTP otherwise",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start the bot; a configuration problem ends with one friendly paragraph, not a traceback."""
    args = parse_args(argv)
    load_dotenv(".env")
    try:
        settings = load_settings(args.mode)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    services = build_services(settings)
    if settings.socket_mode:
        logger.info("harbot starting in Socket Mode")
        asyncio.run(run_socket_mode(settings, services))
        return
    logger.info("harbot serving HTTP on port %d (POST /slack/events, GET /healthz)", settings.port)
    web_app = build_web_app(build_app(settings, services), services)
    web.run_app(web_app, host=settings.host, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
