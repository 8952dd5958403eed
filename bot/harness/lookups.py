"""Registry lookups shared by every surface: a short-lived cache with in-flight coalescing.

During an incident many people paste the same link or run the same `/har` at once. Identical lookups in
flight share one Harness call, and a successful answer is reused for the REGISTRY kind's lifetime
(bot.caching: long enough to absorb a burst, short enough that a changed registry shows up within a
minute). Failures are not cached (the next attempt asks Harness again). "Refresh" passes `fresh=True` to
skip the cache.

With shared state (REDIS_URL, bot.state.values) the cache and the coalescing span every instance: the
registry's JSON is read from Redis under `registry:<ref path>`, and one instance at a time asks Harness for
a registry while the others wait for its answer. The JSON is parsed here, once per instance for the same
bytes (so every request within the cache's lifetime gets the same Registry object, which keys the
rendered cards). While Redis is away, lookups fall back to this process's own cache and coalescing, which
every successful lookup keeps up to date for that purpose.
"""

from __future__ import annotations

from collections import Counter

from bot.caching import PARSED, REGISTRY, Cache, Outcome
from bot.harness.client import HarnessClient
from bot.harness.errors import HarnessError
from bot.harness.models import Registry
from bot.metrics import record_cache
from bot.refs import RegistryRef
from bot.state.link import RedisUnavailable
from bot.state.values import SharedValues

_Found = tuple[Registry, Outcome]


class RegistryLookups:
    """Looks registries up through one HarnessClient, caching and coalescing (across instances when
    `shared` is given)."""

    def __init__(
        self,
        client: HarnessClient,
        *,
        ttl: float | None = None,
        max_entries: int | None = None,
        shared: SharedValues | None = None,
    ) -> None:
        self.client = client
        self._shared = shared
        self._cache: Cache[RegistryRef, Registry] = Cache(REGISTRY, ttl=ttl, size=max_entries)
        self._in_flight: Cache[tuple[RegistryRef, bool], _Found] = Cache(REGISTRY, ttl=0)
        self._parsed: Cache[RegistryRef, tuple[bytes, Registry]] = Cache(PARSED)
        self.outcomes: Counter[Outcome] = Counter()
        """Lookups so far, by outcome."""

    async def get(self, ref: RegistryRef, *, fresh: bool = False) -> Registry:
        """The registry, from the cache when recent enough (unless `fresh`), else from Harness."""
        remembered = None
        if not fresh and (self._shared is None or not self._shared.up):
            remembered = self._cache.get(ref)
        if remembered is not None:
            self._count(Outcome.HIT)
            return remembered
        registry, outcome = await self._in_flight_lookup(ref, fresh)
        self._count(outcome)
        return registry

    def _count(self, outcome: Outcome) -> None:
        """Where every lookup's outcome (hit, miss or coalesced) is counted, failed lookups included."""
        self.outcomes[outcome] += 1
        record_cache(outcome.value)

    async def _in_flight_lookup(self, ref: RegistryRef, fresh: bool) -> _Found:
        key = (ref, fresh)
        joining = self._in_flight.loading(key)
        try:
            (registry, outcome), joined = await self._in_flight.coalesce(
                key, lambda: self._lookup(ref, fresh)
            )
        except HarnessError:
            self._count(Outcome.COALESCED if joining else Outcome.MISS)
            raise
        return registry, Outcome.COALESCED if joined else outcome

    async def _lookup(self, ref: RegistryRef, fresh: bool) -> _Found:
        if self._shared is not None:
            try:
                raw, outcome = await self._shared.lookup(
                    f"registry:{ref.path}", lambda: self._fetch_json(ref), fresh=fresh
                )
            except RedisUnavailable:
                remembered = None if fresh else self._cache.get(ref)
                if remembered is not None:
                    return remembered, Outcome.HIT
            else:
                registry = self._parse(ref, raw)
                self._cache.put(ref, registry)
                return registry, outcome
        return await self._fetch(ref), Outcome.MISS

    async def _fetch(self, ref: RegistryRef) -> Registry:
        registry = await self.client.get_registry(ref)
        self._cache.put(ref, registry)
        return registry

    async def _fetch_json(self, ref: RegistryRef) -> bytes:
        registry = await self._fetch(ref)
        raw = registry.model_dump_json(by_alias=True).encode()
        self._parsed.put(ref, (raw, registry))
        return raw

    def _parse(self, ref: RegistryRef, raw: bytes) -> Registry:
        # The same JSON gives back the same object: the rendered card is kept per Registry object.
        kept = self._parsed.get(ref)
        if kept is not None and kept[0] == raw:
            return kept[1]
        registry = Registry.model_validate_json(raw)
        self._parsed.put(ref, (raw, registry))
        return registry

    async def aclose(self) -> None:
        """Close the Harness client's connections."""
        await self.client.aclose()
