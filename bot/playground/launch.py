"""When `python -m bot` starts the playground instead of the bot, and how it runs it until stopped."""

from __future__ import annotations

import asyncio
import signal
from typing import Final

from pydantic import ValidationError

from bot.playground.server import Playground
from bot.settings import README_HINT, Settings, SettingsError, load_settings

PLAYGROUND_MODE: Final = "playground"


def environment() -> Settings:
    """The environment as Settings, without requiring any credential (the playground brings its own
    Slack, and a sandbox Harness when HARNESS_API_KEY is not set). SettingsError names what is malformed.
    """
    try:
        env = Settings()
    except ValidationError:
        # load_settings runs the same validation and words the problem as one friendly paragraph.
        load_settings()
        raise
    if env.harness_api_key is not None and not env.account_id:
        # The sandbox hint only where the playground would start: with no Slack credential at all.
        slack_set = env.slack_bot_token or env.slack_signing_secret or env.slack_app_token
        sandbox = "" if slack_set else " (or unset HARNESS_API_KEY to try the playground's sandbox)"
        raise SettingsError(
            "harbot can't tell which Harness account to use: set HARNESS_ACCOUNT_ID, or use a Harness "
            f"API key of the form pat.<accountId>.<id>.<secret>{sandbox}. " + README_HINT
        )
    return env


def playground_reason(mode: str) -> str | None:
    """Why the playground should start instead of the bot, or None when the bot should start.

    `--mode playground` forces it; in `auto` mode it starts when no Slack credential is set at all (a
    partial set is a mistake worth naming, so the bot's own start-up reports it). SettingsError when the
    environment holds a malformed value.
    """
    if mode == PLAYGROUND_MODE:
        return "--mode playground"
    if mode != "auto":
        return None
    env = environment()
    if env.slack_bot_token is None and env.slack_signing_secret is None and env.slack_app_token is None:
        return "no SLACK_BOT_TOKEN set"
    return None


def describe_harness(env: Settings) -> str:
    """One line on which Harness the playground's app will talk to."""
    if env.harness_api_key is None:
        return "sandbox Harness with made-up registries (set HARNESS_API_KEY to look up your own)"
    return f"Harness at {env.harness_host}, account {env.account_id}"


def run(env: Settings) -> None:
    """Serve the playground on 127.0.0.1:PORT until Ctrl-C or SIGTERM; SettingsError if the port is taken."""
    asyncio.run(_serve(env))


async def _serve(env: Settings) -> None:
    playground = Playground(env, port=env.port)
    try:
        await playground.start()
    except OSError as exc:
        raise SettingsError(
            f"harbot can't open the playground on 127.0.0.1:{env.port} ({exc.strerror or exc}): "
            "set PORT to a free port."
        ) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await playground.stop()
