"""The connection to Redis, and what the bot does while Redis is away.

Every Redis call goes through `RedisLink.call`. A failure (refused, timed out, reset, or any error Redis
answers with) starts an outage: one WARNING naming the server (never its password), then for
`retry_after` seconds calls fail at once with `RedisUnavailable`, without touching the network, and the
callers answer from this process's memory. After that, one call at a time probes again; the first that
succeeds ends the outage with one INFO line. So a dead Redis costs no request more than one quick error,
and the log gets one line per outage, not one per request.

redis-py retries a failed command itself (ten times with backoff, by default). Here it retries once,
at once, on a new connection: enough for a connection that went stale while Redis restarted, and a
request never waits seconds for a server that is gone; the outage logic above is the real retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from pydantic import SecretStr
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.settings import redis_url_for_display

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_AFTER: Final = 1.0
"""Seconds after a failure before Redis is tried again."""
SOCKET_TIMEOUT: Final = 0.5
"""Seconds a Redis command or connection may take before it counts as an outage: Redis answers in
well under a millisecond on a healthy network."""

MAX_CONNECTIONS: Final = 16
"""Connections to Redis per process at most (one of them for the pub/sub subscription)."""
POOL_WAIT: Final = 2.0
"""Seconds a command may wait for a free connection before it counts as a failure."""


class RedisUnavailable(Exception):
    """Redis cannot be used just now; the caller falls back to this process's memory."""


class RedisLink:
    """One redis-py asyncio client (its own connection pool), and the outage state around it."""

    def __init__(
        self,
        url: SecretStr,
        *,
        retry_after: float = RETRY_AFTER,
        socket_timeout: float = SOCKET_TIMEOUT,
        client: Redis | None = None,
    ) -> None:
        self.where = redis_url_for_display(url)
        """The server, as log lines may name it."""
        # A bounded pool that callers queue for: left unbounded, a burst of 300 requests opens 300
        # connections to Redis at once, and the handshakes cost more than the commands.
        self.client = client or Redis.from_pool(
            BlockingConnectionPool.from_url(
                url.get_secret_value(),
                max_connections=MAX_CONNECTIONS,
                timeout=POOL_WAIT,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                retry=Retry(NoBackoff(), 1),
                health_check_interval=30,
            )
        )
        self._retry_after = retry_after
        self._down = False
        self._next_try = 0.0

    @property
    def up(self) -> bool:
        """False during an outage, until Redis answers again."""
        return not self._down

    async def call(self, operation: Callable[[Redis], Awaitable[T]]) -> T:
        """`operation(client)`, or RedisUnavailable at once during an outage or when it fails."""
        if self._down:
            now = time.monotonic()
            if now < self._next_try:
                raise RedisUnavailable
            self._next_try = now + self._retry_after  # this call probes; the others keep falling back
        try:
            result = await operation(self.client)
        except (RedisError, OSError) as exc:
            self.failed(exc)
            raise RedisUnavailable from exc
        self.succeeded()
        return result

    def failed(self, exc: BaseException) -> None:
        """Count a failure seen by a caller that talks to the client directly (the pub/sub listener)."""
        self._next_try = time.monotonic() + self._retry_after
        if not self._down:
            self._down = True
            logger.warning(
                "Redis at %s is unreachable (%s): answering from this process's memory, so other "
                "instances may answer a Slack retry again, until it is back; check REDIS_URL and the server",
                self.where,
                type(exc).__name__,
            )

    def succeeded(self) -> None:
        """Redis answered: end the outage, if there was one."""
        if self._down:
            self._down = False
            logger.info("Redis at %s is back: state is shared again", self.where)

    async def start(self) -> None:
        """Ping once, so an unreachable server is reported at start-up (the bot starts regardless)."""
        try:
            await self.call(lambda client: client.ping())
        except RedisUnavailable:
            return

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()
