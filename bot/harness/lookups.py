"""Registry lookups shared by every surface: a short-lived cache with in-flight coalescing.

During an incident many people paste the same link or run the same `/har` at once. Identical lookups in
flight share one Harness call, and a successful answer is reused for `DEFAULT_TTL` seconds: long enough to
absorb a burst, short enough that a changed registry shows up within a minute. Failures are not cached
(the next attempt asks Harness again). "Refresh" passes `fresh=True` to skip the cache.

With shared state (REDIS_URL, bot.state.registries) the cache and the coalescing span every instance: the
cache is read from Redis, and one instance at a time asks Harness for a registry while the others wait for
its answer. While Redis is away, lookups fall back to this process's own cache and coalescing, which
every successful lookup keeps up to date for that purpose.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter, OrderedDict
from typing import Final

from bot.harness.client import HarnessClient
from bot.harness.errors import HarnessError
from bot.harness.models import Registry
from bot.metrics import record_cache
from bot.refs import RegistryRef
from bot.state.link import RedisUnavailable
from bot.state.registries import Outcome, SharedRegistries

DEFAULT_TTL: Final = 60.0
"""Seconds a looked-up registry is reused."""
DEFAULT_MAX_ENTRIES: Final = 1024
"""Registries kept at most; the least recently used go first."""

_Found = tuple[Registry, Outcome]


class RegistryLookups:
    """Looks registries up through one HarnessClient, caching and coalescing (across instances when
    `shared` is given)."""

    def __init__(
        self,
        client: HarnessClient,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        shared: SharedRegistries | None = None,
    ) -> None:
        self.client = client
        self._ttl = ttl
        self._max_entries = max_entries
        self._shared = shared
        self._cache: OrderedDict[RegistryRef, tuple[float, Registry]] = OrderedDict()
        self._in_flight: dict[tuple[RegistryRef, bool], asyncio.Task[_Found]] = {}
        self.outcomes: Counter[Outcome] = Counter()
        """Lookups so far, by outcome."""

    async def get(self, ref: RegistryRef, *, fresh: bool = False) -> Registry:
        """The registry, from the cache when recent enough (unless `fresh`), else from Harness."""
        remembered = None
        if not fresh and (self._shared is None or not self._shared.up):
            remembered = self._remembered(ref)
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
        task = self._in_flight.get(key)
        joined = task is not None
        if task is None:
            task = asyncio.create_task(self._lookup(ref, fresh))
            self._in_flight[key] = task
            task.add_done_callback(functools.partial(self._forget, key))
        # shield: one waiter giving up (its Slack request ended) must not cancel the others' lookup.
        try:
            registry, outcome = await asyncio.shield(task)
        except HarnessError:
            self._count(Outcome.COALESCED if joined else Outcome.MISS)
            raise
        return registry, Outcome.COALESCED if joined else outcome

    def _forget(self, key: tuple[RegistryRef, bool], task: asyncio.Task[_Found]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so a lookup every waiter gave up on is not reported as lost

    async def _lookup(self, ref: RegistryRef, fresh: bool) -> _Found:
        if self._shared is not None:
            try:
                registry, outcome = await self._shared.lookup(ref, self._fetch, fresh=fresh)
            except RedisUnavailable:
                remembered = None if fresh else self._remembered(ref)
                if remembered is not None:
                    return remembered, Outcome.HIT
            else:
                if outcome is not Outcome.MISS:
                    self._keep(ref, registry)
                return registry, outcome
        return await self._fetch(ref), Outcome.MISS

    async def _fetch(self, ref: RegistryRef) -> Registry:
        registry = await self.client.get_registry(ref)
        self._keep(ref, registry)
        return registry

    def _remembered(self, ref: RegistryRef) -> Registry | None:
        if self._ttl <= 0:
            return None
        cached = self._cache.get(ref)
        if cached is None or time.monotonic() - cached[0] >= self._ttl:
            return None
        self._cache.move_to_end(ref)
        return cached[1]

    def _keep(self, ref: RegistryRef, registry: Registry) -> None:
        if self._ttl > 0:
            self._cache[ref] = (time.monotonic(), registry)
            self._cache.move_to_end(ref)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)

    async def aclose(self) -> None:
        """Close the Harness client's connections."""
        await self.client.aclose()
