"""What happens when answering fails: our bug gets a traceback, Slack's trouble a calm WARNING."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.cards import apology_reply
from bot.metrics import record_slack_post

if TYPE_CHECKING:
    from bot.slack.connection import Respond

logger = logging.getLogger(__name__)


AUTH_ERRORS: Final = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission"}
)
"""Slack turning the bot token down: the operator's to fix, not a passing outage."""


def slack_trouble(error: Exception) -> tuple[int, str] | None:
    """How to log a failed call to Slack (after slack_sdk's retries): level and message, or None when the
    error is not Slack's trouble but ours."""
    if isinstance(error, aiohttp.ClientError | TimeoutError):
        return logging.WARNING, f"Slack unreachable ({type(error).__name__})"
    if not isinstance(error, SlackApiError) or error.response is None:
        return None
    data = error.response.data  # a dict from Slack; text when something in between answered instead
    code = data.get("error") if isinstance(data, dict) else None
    if code in AUTH_ERRORS:
        return logging.ERROR, (
            f"Slack turned down SLACK_BOT_TOKEN ({code}): set it to the app's Bot User OAuth Token "
            "(xoxb-…, under OAuth & Permissions) and restart; run `make doctor` to check"
        )
    if error.response.status_code >= 500 or error.response.status_code == 429 or code == "ratelimited":
        return logging.WARNING, f"Slack answered {error.response.status_code} ({code or 'no error code'})"
    return None


async def handle_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
    """Bolt's error handler, and the one for work listeners hand to services.background.

    A Web API call Slack turned down is logged once, without a traceback: at WARNING when Slack is down
    or busy, at ERROR, naming the setting, when it refused the token. Anything else is a bug: logged with
    its traceback, and the user, where a response_url allows, gets a short apology.
    """
    kind = body.get("command") or body.get("type")
    trouble = slack_trouble(error)
    if trouble is not None:
        level, what = trouble
        logger.log(level, "answer to %s not delivered: %s", kind, what)
        record_slack_post("failed")
        return
    logger.error("unhandled error type=%s command=%s", type(error).__name__, kind, exc_info=error)
    # Only commands and button clicks carry a response_url; an event's error is in the log alone.
    if respond is not None and body.get("response_url"):
        await respond(**apology_reply().as_kwargs(), response_type="ephemeral")
