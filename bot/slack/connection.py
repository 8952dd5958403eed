"""The bot's one connection to Slack: a pooled aiohttp session for Web API calls and response_url posts.

Left to themselves, slack_sdk's `AsyncWebClient` and Bolt's `respond()` open a new session (a new TCP and
TLS handshake) per call. `SlackConnection` opens one when the bot starts (on the running event loop, which
aiohttp needs) and hands it to the Web API client that Bolt copies into every request.

Slack trouble while answering (5xx, 429, a dropped connection) is retried a bounded number of times,
honouring `Retry-After`; what still fails is logged once at WARNING, without a traceback, and the answer
is given up: Slack being down is not our bug.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import record_slack_post
from bot.retrying import Backoff, retry_after

logger = logging.getLogger(__name__)

SLACK_TIMEOUT: Final = 30.0
"""Seconds a call to Slack may take: slack_sdk's own default, which a shared session must carry itself."""
MAX_ATTEMPTS: Final = 3
"""Tries per post to Slack: the first and two retries."""
BACKOFF: Final = 0.5
"""Seconds before the first retry, doubled for the next, with jitter."""
MAX_RETRY_AFTER: Final = 10.0
"""The longest `Retry-After` honoured; a longer wait would answer after the user has given up."""
IDENTIFY_TIMEOUT: Final = 1.5
"""Seconds a request may wait for auth.test when the bot's identity is still unknown."""
IDENTIFY_INTERVAL: Final = 60.0
"""Seconds between auth.test attempts while Slack does not answer it."""
RETRIED_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
JSON_HEADERS: Final = {"Content-Type": "application/json; charset=utf-8"}


class Respond(Protocol):
    """What listeners call to answer through a `response_url` (the keyword arguments of Bolt's respond)."""

    async def __call__(
        self,
        text: str = "",
        blocks: Sequence[Mapping[str, Any]] | None = None,
        *,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
    ) -> bool: ...


class SlackConnection:
    """The Web API client Bolt uses, and response_url posts, on one pooled session."""

    def __init__(
        self, *, api_url: str, bot_token: str, max_attempts: int = MAX_ATTEMPTS, backoff: float = BACKOFF
    ) -> None:
        retries = max_attempts - 1
        self._bot_token = bot_token
        self._identity: AuthorizeResult | None = None
        self._identified_at: float | None = None
        # The bot token is not given here: Bolt's authorize step puts it on each request's copy.
        self.web = AsyncWebClient(
            base_url=api_url,
            timeout=int(SLACK_TIMEOUT),
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=retries),
                AsyncRateLimitErrorRetryHandler(max_retry_count=retries),
                AsyncServerErrorRetryHandler(max_retry_count=retries),
            ],
        )
        self._max_attempts = max_attempts
        self._backoff = Backoff(
            retries=max_attempts - 1, base=backoff, max_retry_after=MAX_RETRY_AFTER, cap_retry_after=True
        )
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> aiohttp.ClientSession:
        """Open the pooled session, unless it is open already, and return it."""
        if self._session is None or self._session.closed:
            # No connection cap: answers are bounded by the Slack requests that asked for them.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT),
            )
        self.web.session = self._session
        return self._session

    async def aclose(self) -> None:
        """Close the session; a later call, if any, falls back to slack_sdk's session per call."""
        self.web.session = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def identify(self, *, patience: float = IDENTIFY_TIMEOUT) -> AuthorizeResult | None:
        """The bot's identity from auth.test, kept once known; None while Slack does not say.

        Bolt asks for it on every request (`authorize`): it names the bot (so its own messages are
        ignored) and carries the token. Slack being unreachable must not fail requests, so a failed
        auth.test is tried again at most every IDENTIFY_INTERVAL seconds, and requests go on meanwhile.
        """
        if self._identity is not None:
            return self._identity
        now = asyncio.get_running_loop().time()
        if self._identified_at is not None and now - self._identified_at < IDENTIFY_INTERVAL:
            return None
        self._identified_at = now
        try:
            response = await asyncio.wait_for(self.web.auth_test(token=self._bot_token), patience)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            logger.warning(
                "slack auth.test failed (%s); answering without the bot's identity", type(exc).__name__
            )
            return None
        self._identity = AuthorizeResult.from_auth_test_response(
            auth_test_response=response, bot_token=self._bot_token, user_token=None
        )
        return self._identity

    async def authorize(self, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        """Bolt's `authorize`: the bot token, and who the bot is when Slack has said so."""
        identity = await self.identify()
        if identity is not None:
            return identity
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=self._bot_token)

    @property
    def is_open(self) -> bool:
        """Whether the pooled session is open."""
        return self._session is not None and not self._session.closed

    def responder(self, response_url: str) -> ResponseUrl:
        """A `Respond` posting to `response_url` on the pooled session."""
        return ResponseUrl(self, response_url)

    async def post_response(self, url: str, message: Mapping[str, Any]) -> bool:
        """POST `message` to a response_url, retrying Slack's transient failures; False when it failed.

        The message is serialised once. Failures are logged here, once, and never raised.
        """
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        outcome, retriable = "?", True
        for attempt in range(1, self._max_attempts + 1):
            asked: float | None = None
            try:
                session = await self.open()
                async with session.post(url, data=body, headers=JSON_HEADERS) as response:
                    await response.read()
                    if response.status < 300:
                        record_slack_post("ok" if attempt == 1 else "retried_ok")
                        return True
                    outcome = f"status={response.status}"
                    retriable = response.status in RETRIED_STATUSES
                    if not retriable:
                        break
                    asked = retry_after(response.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                outcome, retriable = f"error={type(exc).__name__}", True
            delay = self._backoff.delay(attempt, asked)
            if delay is None:
                break
            await asyncio.sleep(delay)
        logger.warning(
            "slack post failed: response_url %s attempts=%d; answer not delivered", outcome, attempt
        )
        return False


class ResponseUrl:
    """Bolt's `respond()` for one response_url, posting plain dicts through the SlackConnection."""

    def __init__(self, connection: SlackConnection, url: str) -> None:
        self._connection = connection
        self.url = url

    async def __call__(
        self,
        text: str = "",
        blocks: Sequence[Mapping[str, Any]] | None = None,
        *,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
    ) -> bool:
        message: dict[str, Any] = {"text": text}
        if blocks is not None:
            message["blocks"] = blocks
        if response_type is not None:
            message["response_type"] = response_type
        if replace_original is not None:
            message["replace_original"] = replace_original
        if delete_original is not None:
            message["delete_original"] = delete_original
        return await self._connection.post_response(self.url, message)
