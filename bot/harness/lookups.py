"""Registry lookups shared by every surface: a short-lived cache with in-flight coalescing.

During an incident many people paste the same link or run the same `/har` at once. Identical lookups in
flight share one Harness call, and a successful answer is reused for `DEFAULT_TTL` seconds: long enough to
absorb a burst, short enough that a changed registry shows up within a minute. Failures are not cached
(the next attempt asks Harness again). "Refresh" passes `fresh=True` to skip the cache.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from typing import Final

from bot.harness.client import HarnessClient
from bot.harness.models import Registry
from bot.metrics import record_cache
from bot.refs import RegistryRef

DEFAULT_TTL: Final = 60.0
"""Seconds a looked-up registry is reused."""
DEFAULT_MAX_ENTRIES: Final = 1024
"""Registries kept at most; the least recently used go first."""


class RegistryLookups:
    """Looks registries up through one HarnessClient, caching and coalescing."""

    def __init__(
        self, client: HarnessClient, *, ttl: float = DEFAULT_TTL, max_entries: int = DEFAULT_MAX_ENTRIES
    ) -> None:
        self.client = client
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: OrderedDict[RegistryRef, tuple[float, Registry]] = OrderedDict()
        self._in_flight: dict[RegistryRef, asyncio.Task[Registry]] = {}

    async def get(self, ref: RegistryRef, *, fresh: bool = False) -> Registry:
        """The registry, from the cache when recent enough (unless `fresh`), else from Harness."""
        if not fresh and self._ttl > 0:
            cached = self._cache.get(ref)
            if cached is not None and time.monotonic() - cached[0] < self._ttl:
                self._cache.move_to_end(ref)
                record_cache("hit")
                return cached[1]
        task = self._in_flight.get(ref)
        if task is None:
            record_cache("miss")
            task = asyncio.create_task(self._fetch(ref))
            self._in_flight[ref] = task
            task.add_done_callback(functools.partial(self._forget, ref))
        else:
            record_cache("coalesced")
        # shield: one waiter giving up (its Slack request ended) must not cancel the others' lookup.
        return await asyncio.shield(task)

    def _forget(self, ref: RegistryRef, task: asyncio.Task[Registry]) -> None:
        if self._in_flight.get(ref) is task:
            del self._in_flight[ref]
        if not task.cancelled():
            task.exception()  # retrieved here, so a lookup every waiter gave up on is not reported as lost

    async def _fetch(self, ref: RegistryRef) -> Registry:
        registry = await self.client.get_registry(ref)
        if self._ttl > 0:
            self._cache[ref] = (time.monotonic(), registry)
            self._cache.move_to_end(ref)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return registry

    async def aclose(self) -> None:
        """Close the Harness client's connections."""
        await self.client.aclose()
