"""What several instances of the bot share, through Redis when REDIS_URL is set, else kept in-process.

`SharedState.from_settings(settings)` builds it; `start()` on the serving event loop, `aclose()` at the end.
- `first_seen(event_id)`: whether an event is new to every instance (bot.state.events).
- `values`: a shared cache of bytes with cross-instance coalescing (bot.state.values), or None without
  REDIS_URL; bot.harness.lookups keeps registries there. bot.state knows no Harness model.
Redis failing never fails a request: see bot.state.link.
"""

from __future__ import annotations

from bot.caching import REGISTRY, Outcome
from bot.settings import Settings
from bot.state.events import DeliveredEvents
from bot.state.link import RedisLink, RedisUnavailable
from bot.state.values import SharedValues


class SharedState:
    """The Redis link (if any), the delivered events and the shared registries."""

    def __init__(
        self, link: RedisLink | None, *, prefix: str = "harbot:", registry_ttl: float = REGISTRY.ttl
    ) -> None:
        self.link = link
        self.events = DeliveredEvents(link, prefix=prefix)
        self.values = SharedValues(link, prefix=prefix, ttl=registry_ttl) if link is not None else None

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
        if self.values is not None:
            self.values.start()

    async def aclose(self) -> None:
        """Unsubscribe and close the connections."""
        if self.values is not None:
            await self.values.aclose()
        if self.link is not None:
            await self.link.aclose()


__all__ = ["Outcome", "RedisLink", "RedisUnavailable", "SharedState", "SharedValues"]
