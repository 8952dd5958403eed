"""Which Slack deliveries were answered already: Slack re-sends an event it thinks was lost.

With Redis, an event id is claimed with `SET <prefix>event:<id> NX EX 900`, so a retry that reaches another
instance (behind a load balancer, or another Socket Mode connection) is dropped there too. Each process
also remembers the ids it saw itself, so a retry to the same process is dropped even while Redis is away.
"""

from __future__ import annotations

from typing import Final

from bot.caching import EVENT_IDS, Cache
from bot.state.link import RedisLink, RedisUnavailable

SEEN_EVENTS_WINDOW: Final = EVENT_IDS.ttl
"""Seconds an event id is remembered: Slack's retries come after about 1 and 5 minutes."""


class SeenEvents:
    """Event ids seen in the last `window` seconds (Slack retries within minutes), a bounded number."""

    def __init__(self, *, window: float | None = None, max_size: int | None = None) -> None:
        self._seen: Cache[str, bool] = Cache(EVENT_IDS, ttl=window, size=max_size)

    def repeated(self, event_id: str) -> bool:
        """True when `event_id` was seen within the window; otherwise remember it and return False."""
        return not self._seen.add(event_id, True)


class DeliveredEvents:
    """Event ids answered by any instance (with Redis) or by this process (without, or during an outage)."""

    def __init__(
        self, link: RedisLink | None, *, prefix: str = "", window: float = SEEN_EVENTS_WINDOW
    ) -> None:
        self._link = link
        self._prefix = prefix
        self._window = max(1, int(window))
        self._memory = SeenEvents(window=window)

    async def first_seen(self, event_id: str) -> bool:
        """True the first time any instance sees `event_id` within the window: answer it then only."""
        if self._memory.repeated(event_id):
            return False
        if self._link is None:
            return True
        key = f"{self._prefix}event:{event_id}"
        try:
            claimed = await self._link.call(lambda r: r.set(key, b"1", nx=True, ex=self._window))
        except RedisUnavailable:
            return True  # better a rare double answer than none
        return bool(claimed)
