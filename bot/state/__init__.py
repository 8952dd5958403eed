"""What several instances of the bot share, through Redis when REDIS_URL is set, else kept in-process.

`SharedState.from_settings(settings)` builds it; `start()` on the serving event loop, `aclose()` at the end.
- `first_seen(event_id)`: whether an event is new to every instance (bot.state.events).
- `registries`: the shared registry cache and cross-instance coalescing (bot.state.registries), or None
  without REDIS_URL; bot.harness.lookups uses it.
Redis failing never fails a request: see bot.state.link.
"""

from __future__ import annotations

from bot.settings import Settings
from bot.state.events import DeliveredEvents
from bot.state.link import RedisLink, RedisUnavailable
from bot.state.registries import Outcome, SharedRegistries

REGISTRY_TTL = 60.0
"""Seconds a looked-up registry is reused: the same as the in-process cache (bot.harness.lookups)."""


class SharedState:
    """The Redis link (if any), the delivered events and the shared registries."""

    def __init__(
        self, link: RedisLink | None, *, prefix: str = "harbot:", registry_ttl: float = REGISTRY_TTL
    ) -> None:
        self.link = link
        self.events = DeliveredEvents(link, prefix=prefix)
        self.registries = (
            SharedRegistries(link, prefix=prefix, ttl=registry_ttl) if link is not None else None
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SharedState:
        """Shared through Redis when REDIS_URL is set; in-process otherwise."""
        link = RedisLink(settings.redis_url) if settings.redis_url is not None else None
        return cls(link, prefix=settings.redis_key_prefix)

    async def first_seen(self, event_id: str) -> bool:
        """True the first time any instance sees `event_id` (within 15 minutes)."""
        return await self.events.first_seen(event_id)

    async def start(self) -> None:
        """Check Redis once (a WARNING if it is unreachable; the bot answers regardless) and subscribe."""
        if self.link is not None:
            await self.link.start()
        if self.registries is not None:
            self.registries.start()

    async def aclose(self) -> None:
        """Unsubscribe and close the connections."""
        if self.registries is not None:
            await self.registries.aclose()
        if self.link is not None:
            await self.link.aclose()


__all__ = ["Outcome", "RedisLink", "RedisUnavailable", "SharedRegistries", "SharedState"]
