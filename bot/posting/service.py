"""What the process runs for subscriptions: the store, the Subscriber, the Poster, and catching up at start.

Built by bot.services when a database is configured; `start` opens the Slack session the poster posts on,
starts the poster and catches up in the background; `aclose` stops the poster (posts under way end with
it: what was not marked posted is posted after the lease, by this or another instance).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.posting.catchup import Accept, Seen, catch_up
from bot.posting.poster import Poster
from bot.posting.subscribing import Subscriber
from bot.posting.timeline import VersionsListing, versions_listing

if TYPE_CHECKING:
    from bot.harness.client import HarnessClient
    from bot.store import Store

logger = logging.getLogger(__name__)


class PostingService:
    """Subscriptions, posting and catching up, for one process."""

    def __init__(
        self,
        *,
        store: Store,
        harness: HarnessClient,
        api_url: str,
        bot_token: str,
        ui_base: str,
        public_url: str | None,
        secret_identifier: str | None = None,
        accept: Accept | None = None,
        seen: Seen | None = None,
        versions: VersionsListing | None = None,
    ) -> None:
        self.store = store
        self.public_url = public_url
        self.versions = versions or versions_listing(harness)
        self._harness = harness
        self._accept = accept
        self._seen = seen
        self._session: aiohttp.ClientSession | None = None
        self.web = AsyncWebClient(base_url=api_url, token=bot_token, retry_handlers=[])
        self.subscriber = Subscriber(
            store=store, harness=harness, public_url=public_url or "", secret_identifier=secret_identifier
        )
        self.poster = Poster(store=store, web=self.web, ui_base=ui_base, on_channel_gone=self._channel_gone)
        self._catching_up: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the session, start posting, and catch up on what Harness delivered while the bot was away."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.web.session = self._session
        self.poster.start()
        if self._accept is not None and self._seen is not None:
            self._catching_up = asyncio.create_task(self._catch_up(), name="catch-up")

    async def _catch_up(self) -> None:
        accept, seen = self._accept, self._seen
        if accept is None or seen is None:
            return
        try:
            result = await catch_up(self.store, self._harness, accept=accept, seen=seen)
        except Exception:
            logger.exception("catch-up failed; it runs again at the next start")
            return
        if result.stored:
            self.poster.poke()

    async def _channel_gone(self, channel: str, registries: Sequence[str]) -> None:
        """The poster ended a channel's subscriptions: registries nobody watches any more lose their
        webhook."""
        for registry in registries:
            try:
                await self.subscriber.release(registry)
            except Exception:
                logger.exception("could not release the webhook of %s", registry)

    def poke(self) -> None:
        """A delivery was stored: post it now rather than at the next poll."""
        self.poster.poke()

    async def aclose(self) -> None:
        if self._catching_up is not None:
            self._catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catching_up
        await self.poster.aclose()
        if self._session is not None:
            await self._session.close()
            self._session = None
