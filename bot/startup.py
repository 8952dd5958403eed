"""Start-up checks of the Slack credentials, before the bot serves anything.

First the tokens' shapes (`xoxb-` for SLACK_BOT_TOKEN, `xapp-` for SLACK_APP_TOKEN, swapped ones named
as swapped), then Slack itself: `auth.test` with the bot token and, in Socket Mode, `apps.connections.open`
with the app token (the WebSocket URL it returns is not used). A token Slack refuses raises
CredentialError, a SettingsError whose message names the variable and the fix. Slack out of reach (no
connection, a timeout, a 5xx or 429) raises SlackUnreachable: HTTP mode warns and serves, Socket Mode
tries again (`wait_for_slack`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.settings import Settings, SettingsError

logger = logging.getLogger(__name__)

BOT_PREFIX: Final = "xoxb-"
APP_PREFIX: Final = "xapp-"
USER_PREFIX: Final = "xoxp-"
CALL_TIMEOUT: Final = 4
"""Seconds one check call to Slack may take; both calls together stay well inside 10 s."""
CHECK_DEADLINE: Final = 8.0
"""Seconds all start-up calls to Slack may take together, retries of a dropped connection included."""
TRANSIENT_ERRORS: Final = frozenset(
    {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)
"""Slack `error` codes that say Slack, not the token, is in trouble."""
FIRST_RETRY: Final = 1.0
MAX_RETRY: Final = 30.0
"""Socket Mode's start-up retries wait 1, 2, 4… seconds, at most this long."""
BOT_PAGE: Final = "your Slack app's OAuth & Permissions page (Bot User OAuth Token, xoxb-…)"
APP_PAGE: Final = (
    "your Slack app's Basic Information page, under App-Level Tokens (with the connections:write scope)"
)
README_TROUBLE: Final = (
    "See README.md, section “Troubleshooting”; `python -m bot doctor` checks the whole set-up."
)


class CredentialError(SettingsError):
    """Slack refused a token: start-up cannot go on. The message names the variable and the fix."""


class SlackUnreachable(Exception):
    """Slack could not be asked: no connection, a timeout, or Slack's own trouble (5xx, 429)."""


@dataclass(frozen=True)
class BotIdentity:
    """What `auth.test` says about the bot token."""

    bot: str
    team: str
    team_id: str
    scopes: frozenset[str] | None
    """From the `x-oauth-scopes` response header; None when Slack did not send it."""


def check_token_shapes(settings: Settings) -> None:
    """SettingsError when a Slack token does not have its kind's prefix, naming swapped tokens as such."""
    bot = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    app = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    if bot is not None and app is not None and bot.startswith(APP_PREFIX) and app.startswith(BOT_PREFIX):
        raise SettingsError(
            "harbot can't start: SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped (the bot token, xoxb-…, "
            "is in SLACK_APP_TOKEN, and the app-level token, xapp-…, in SLACK_BOT_TOKEN): exchange their "
            "values. " + README_TROUBLE
        )
    if bot is not None and not bot.startswith(BOT_PREFIX):
        raise SettingsError(
            f"harbot can't start: SLACK_BOT_TOKEN (value not shown) {_kind(bot)}, and it must be a bot "
            f"token (xoxb-…): copy it from {BOT_PAGE}. " + README_TROUBLE
        )
    if app is not None and not app.startswith(APP_PREFIX):
        raise SettingsError(
            f"harbot can't start: SLACK_APP_TOKEN (value not shown) {_kind(app)}, and it must be an "
            f"app-level token (xapp-…): create one on {APP_PAGE}. " + README_TROUBLE
        )


def _kind(token: str) -> str:
    if token.startswith(BOT_PREFIX):
        return "is a bot token (xoxb-…)"
    if token.startswith(APP_PREFIX):
        return "is an app-level token (xapp-…)"
    if token.startswith(USER_PREFIX):
        return "is a user token (xoxp-…)"
    return "does not look like a Slack token"


def web_client(settings: Settings, token: str) -> AsyncWebClient:
    """A Web API client for the checks: short timeouts, SLACK_API_URL."""
    # No retry handlers: a failed check is reported (HTTP) or retried with backoff (Socket Mode) here.
    return AsyncWebClient(
        token=token, base_url=settings.slack_api_url, timeout=CALL_TIMEOUT, retry_handlers=[]
    )


async def auth_test(settings: Settings) -> BotIdentity:
    """Ask Slack who the bot token belongs to; CredentialError or SlackUnreachable when it can't say."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    response = await _call(web_client(settings, token), "auth.test", "SLACK_BOT_TOKEN")
    header = response.headers.get("x-oauth-scopes") if response.headers else None
    scopes = frozenset(s.strip() for s in header.split(",") if s.strip()) if header is not None else None
    return BotIdentity(
        bot=str(response.get("user") or "?"),
        team=str(response.get("team") or "?"),
        team_id=str(response.get("team_id") or "?"),
        scopes=scopes,
    )


async def open_connection(settings: Settings) -> None:
    """Ask Slack for a Socket Mode URL with the app token (and drop it): the check Socket Mode needs."""
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    await _call(web_client(settings, token), "apps.connections.open", "SLACK_APP_TOKEN")


async def _call(client: AsyncWebClient, method: str, variable: str) -> AsyncSlackResponse:
    try:
        async with asyncio.timeout(CHECK_DEADLINE / 2):
            return await client.api_call(method)
    except SlackApiError as exc:
        status = getattr(exc.response, "status_code", 0)
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if status >= 500 or status == 429 or error is None or error in TRANSIENT_ERRORS:
            raise SlackUnreachable(f"Slack answered {method} with {error or f'HTTP {status}'}") from None
        raise CredentialError(refusal(variable, method, str(error))) from None
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise SlackUnreachable(f"could not reach Slack for {method}: {type(exc).__name__}") from None


def refusal(variable: str, method: str, error: str) -> str:
    """The paragraph for a token Slack refused: what Slack said, and how to get a good token."""
    home = APP_PAGE if variable == "SLACK_APP_TOKEN" else BOT_PAGE
    if error in ("account_inactive", "token_revoked", "token_expired", "team_disabled", "app_uninstalled"):
        cause = "the app was uninstalled, the token revoked or the workspace closed"
        fix = f"reinstall the app to your workspace and copy the new token from {home}"
    elif error in ("not_allowed_token_type", "invalid_token_type"):
        cause = "it is the wrong kind of token"
        fix = f"copy the token from {home}"
    else:
        cause = "Slack does not know it (mistyped, cut short, or from another app or workspace)"
        fix = f"copy it again from {home}"
    return (
        f"harbot can't start: Slack refused {variable} ({method} said {error}): {cause}. To fix it, {fix}. "
        + README_TROUBLE
    )


async def check_slack(settings: Settings) -> BotIdentity | None:
    """The start-up check for HTTP mode: the bot token's identity, or None (with one warning) when
    Slack can't be reached, since the bot can still acknowledge and Slack may be back soon.
    """
    try:
        return await auth_test(settings)
    except SlackUnreachable as exc:
        logger.warning(
            "Slack unreachable at start-up (%s): SLACK_BOT_TOKEN is unchecked; serving anyway", exc
        )
        return None


async def wait_for_slack(settings: Settings, *, first_retry: float = FIRST_RETRY) -> BotIdentity:
    """The start-up check for Socket Mode: both tokens, retried with backoff while Slack is out of
    reach (one log line per attempt), until Slack answers. CredentialError when it refuses a token.
    """
    delay, attempt = first_retry, 1
    while True:
        try:
            identity = await auth_test(settings)
            await open_connection(settings)
        except SlackUnreachable as exc:
            logger.warning("Slack unreachable (%s); attempt %d, next in %.0fs", exc, attempt, delay)
            await asyncio.sleep(delay)
            delay, attempt = min(delay * 2, MAX_RETRY), attempt + 1
            continue
        return identity
