"""One pooled aiohttp session for everything the bot sends to Slack: Web API calls and response_url posts.

Left to themselves, slack_sdk's `AsyncWebClient` and Bolt's `respond()` open a new `aiohttp.ClientSession`,
and so a new TCP and TLS connection, for every call, and close it afterwards. During an incident that is
one handshake per answer. `SlackSession` opens one session when the server starts (on the running event
loop, which aiohttp needs) and closes it when the server stops; until it is open, or after it is closed,
calls fall back to slack_sdk's session per call.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook.async_client import AsyncWebhookClient
from slack_sdk.webhook.webhook_response import WebhookResponse

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_sdk.models.attachments import Attachment
    from slack_sdk.models.blocks import Block

logger = logging.getLogger(__name__)

SLACK_TIMEOUT: Final = 30.0
"""Seconds a call to Slack may take: slack_sdk's own default, which a shared session must carry itself."""


class SlackSession:
    """The process's aiohttp session to Slack, shared by the app's Web API client and every respond()."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None

    async def open(self, app: AsyncApp) -> None:
        """Open the session and hand it to `app`'s Web API client (Bolt copies it into each request's)."""
        if self.session is None or self.session.closed:
            # No connection cap: answers are bounded by the Slack requests that asked for them.
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT),
            )
        app.client.session = self.session

    async def aclose(self, app: AsyncApp) -> None:
        """Close the session; later calls, if any, fall back to a session per call."""
        app.client.session = None
        if self.session is not None:
            await self.session.close()
            self.session = None

    def open_session(self) -> aiohttp.ClientSession | None:
        """The session when it is open, else None."""
        return self.session if self.session is not None and not self.session.closed else None

    def middleware(self) -> Callable[..., Awaitable[None]]:
        """Bolt middleware giving each request with a response_url a `respond()` on the shared session."""

        async def pooled_respond(context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]) -> None:
            session = self.open_session()
            if session is not None and context.response_url is not None:
                context["respond"] = PooledRespond(response_url=context.response_url, session=session)
            await next_()

        return pooled_respond


class PooledRespond(AsyncRespond):
    """Bolt's `respond()`, posting through a shared session instead of a new one per call."""

    def __init__(self, *, response_url: str, session: aiohttp.ClientSession) -> None:
        super().__init__(response_url=response_url)
        self.url = response_url
        self.session = session

    async def __call__(
        self,
        text: str | dict[Any, Any] = "",
        blocks: Sequence[dict[Any, Any] | Block] | None = None,
        attachments: Sequence[dict[Any, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        """Post to the response_url: Bolt's respond(), same arguments, same payload."""
        # Bolt's own message builder, so the payload is exactly what its respond() would send.
        if isinstance(text, dict):
            message = _build_message(**text)
        else:
            message = _build_message(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        client = AsyncWebhookClient(url=self.url, session=self.session, timeout=int(SLACK_TIMEOUT))
        return await client.send_dict(message)
