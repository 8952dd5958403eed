"""One pub/sub subscription per process, through which lookup holders announce their results.

A waiter registers for a channel with `expect`, which gives it a future; the listener task resolves the
future with the message (the holder's result) when it arrives. One pattern subscription serves every
waiter of the process, so a burst of a hundred lookups costs no extra connection. When the subscription
drops (Redis gone), every waiter is woken with None at once, and `ready` is False until it is back:
waiters then make their own Harness call instead of waiting for an announcement that cannot arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from redis.exceptions import RedisError

from bot.state.link import RedisLink, RedisUnavailable

logger = logging.getLogger(__name__)

POLL_SECONDS: Final = 1.0
"""How long one read of the subscription waits for a message before looking again."""


class Announcements:
    """The process's subscription to `pattern`; `expect(channel)` waits for one message on it."""

    def __init__(self, link: RedisLink, pattern: str, *, retry_after: float = 1.0) -> None:
        self._link = link
        self._pattern = pattern
        self._retry_after = retry_after
        self._waiters: dict[bytes, list[asyncio.Future[bytes | None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self.ready = False
        """True while the subscription is confirmed; announcements made meanwhile reach this process."""

    def start(self) -> None:
        """Start listening (on the running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="redis-announcements")

    def expect(self, channel: str) -> asyncio.Future[bytes | None]:
        """A future for the next message on `channel`; None if the subscription drops first.

        Raises RedisUnavailable when the subscription is not confirmed: nothing may arrive.
        """
        if not self.ready:
            raise RedisUnavailable
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel.encode(), []).append(future)
        return future

    def forget(self, channel: str, future: asyncio.Future[bytes | None]) -> None:
        """Stop waiting: drop `future` (the waiter gave up or got its message)."""
        key = channel.encode()
        waiting = self._waiters.get(key)
        if waiting is not None and future in waiting:
            waiting.remove(future)
            if not waiting:
                del self._waiters[key]

    async def _listen(self) -> None:
        while True:
            pubsub = self._link.client.pubsub()
            try:
                await pubsub.psubscribe(self._pattern)
                while True:
                    message = await pubsub.get_message(timeout=POLL_SECONDS)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        self.ready = True
                        self._link.succeeded()
                    elif message["type"] == "pmessage":
                        self._deliver(message["channel"], message["data"])
            except (RedisError, OSError) as exc:
                self._link.failed(exc)
            except Exception:
                # Our bug, not Redis's: say so, and subscribe again; lookups meanwhile ask Harness.
                logger.exception("the Redis announcements listener failed; subscribing again")
            finally:
                self._drop_all()
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]
            await asyncio.sleep(self._retry_after)

    def _deliver(self, channel: bytes, data: bytes) -> None:
        for future in self._waiters.pop(channel, []):
            if not future.done():
                future.set_result(data)

    def _drop_all(self) -> None:
        self.ready = False
        waiting, self._waiters = self._waiters, {}
        for futures in waiting.values():
            for future in futures:
                if not future.done():
                    future.set_result(None)

    async def aclose(self) -> None:
        """Stop listening and wake every waiter."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._drop_all()
