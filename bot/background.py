"""The slow part of an answer, run after Slack has its acknowledgement.

The app runs with Bolt's `process_before_response=True`: Bolt answers Slack's HTTP request (or Socket Mode
envelope) when the listener returns, with no polling for the `ack()`. So listeners acknowledge, hand the
lookup and the reply to `Background.spawn`, and return. A task that fails goes to the same handler as
any other unhandled error (`bot.slack.failures.handle_error`). When the bot stops, answers under way get
`grace` seconds to finish, then are cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from bot.slack.connection import Respond

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE: Final = 10.0
"""Seconds answers under way get to finish when the bot stops (platforms allow about 30 after SIGTERM)."""

ErrorHandler = Callable[[Exception, dict[str, Any], "Respond | None"], Awaitable[None]]


class Background:
    """Tasks started by listeners, kept (asyncio holds only weak references) until they end."""

    def __init__(self, on_error: ErrorHandler, *, grace: float = SHUTDOWN_GRACE) -> None:
        self._on_error = on_error
        self._grace = grace
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Tasks not finished yet."""
        return len(self._tasks)

    def spawn(
        self,
        work: Coroutine[Any, Any, None],
        *,
        body: dict[str, Any],
        respond: Respond | None = None,
        name: str | None = None,
    ) -> asyncio.Task[None]:
        """Run `work` in the background; an exception from it goes to the error handler with `body`
        (the Slack payload) and `respond`, as if the listener itself had raised it."""
        task = asyncio.create_task(self._run(work, body, respond), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(
        self, work: Coroutine[Any, Any, None], body: dict[str, Any], respond: Respond | None
    ) -> None:
        try:
            await work
        except Exception as error:
            await self._on_error(error, body, respond)

    async def aclose(self) -> None:
        """Let the pending tasks finish for up to `grace` seconds, then cancel what is left and wait."""
        if not self._tasks:
            return
        logger.info("waiting for %d answer(s) under way, up to %.0fs", len(self._tasks), self._grace)
        _, late = await asyncio.wait(set(self._tasks), timeout=self._grace)
        for task in late:
            task.cancel()
        if late:
            logger.warning("cancelled %d answer(s) still under way at shutdown", len(late))
            await asyncio.wait(late)
