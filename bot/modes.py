"""Whether `python -m bot` starts the playground (from devtools/, in a source checkout) or the bot."""

from __future__ import annotations

from typing import Final

from pydantic import ValidationError

from bot.settings import README_HINT, Settings, SettingsError, load_settings

PLAYGROUND_MODE: Final = "playground"
NO_PLAYGROUND: Final = (
    "harbot: the playground is only in a source checkout (run `make run` there); to start the bot, set "
    "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode). " + README_HINT
)


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
