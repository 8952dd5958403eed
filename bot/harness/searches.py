"""Lists, searches and client set-ups, shared by every surface: a brief cache with in-flight coalescing.

The same list or search is often asked for by several people at once during an incident, and paging back
and forth asks for the same page again. Identical queries in flight share one Harness call, and an answer
is reused for `DEFAULT_TTL` seconds. Failures are not cached.

Kept apart from `lookups.py` (registry lookups) on purpose for now; both follow the same rules.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from bot.harness.client import HarnessClient
from bot.harness.models import ClientSetupDetails, ListRegistry
from bot.refs import RegistryRef, SpaceRef

DEFAULT_TTL: Final = 30.0
"""Seconds a list page or a client set-up is reused."""
DEFAULT_MAX_ENTRIES: Final = 256
"""Answers kept at most; the least recently used go first."""

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BriefCache(Generic[K, V]):
    """Answers by key for `ttl` seconds, at most `max_entries`; one fetch per key in flight."""

    def __init__(self, *, ttl: float = DEFAULT_TTL, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._in_flight: dict[K, asyncio.Task[V]] = {}

    async def get(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """The answer for `key`: kept, or being fetched by someone else, or fetched now with `fetch`."""
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            self._cache.move_to_end(key)
            return cached[1]
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(key, fetch))
            self._in_flight[key] = task
            task.add_done_callback(functools.partial(self._forget, key))
        # shield: one waiter giving up must not cancel the others' call.
        return await asyncio.shield(task)

    def _forget(self, key: K, task: asyncio.Task[V]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled():
            task.exception()  # retrieved, so a call every waiter gave up on is not reported as lost

    async def _fetch(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        value = await fetch()
        if self._ttl > 0:
            self._cache[key] = (time.monotonic(), value)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return value


@dataclass(frozen=True, slots=True)
class ListQuery:
    """One page of a list or search: hashable, so it keys the cache."""

    space: SpaceRef
    search_term: str | None = None
    page: int = 0
    size: int = 20
    package_types: tuple[str, ...] = ()
    registry_type: str | None = None


class RegistrySearches:
    """Lists, searches and client set-ups through one HarnessClient, cached briefly and coalesced."""

    def __init__(self, client: HarnessClient, *, ttl: float = DEFAULT_TTL) -> None:
        self.client = client
        self._pages: BriefCache[ListQuery, ListRegistry] = BriefCache(ttl=ttl)
        self._setups: BriefCache[RegistryRef, ClientSetupDetails] = BriefCache(ttl=ttl)

    async def page(self, query: ListQuery) -> ListRegistry:
        """One page of registries in the query's space and the scopes below it."""
        return await self._pages.get(
            query,
            lambda: self.client.list_registries(
                query.space,
                search_term=query.search_term,
                page=query.page,
                size=query.size,
                package_types=query.package_types,
                registry_type=query.registry_type,
            ),
        )

    async def setup(self, ref: RegistryRef) -> ClientSetupDetails:
        """The client set-up steps for a registry."""
        return await self._setups.get(ref, lambda: self.client.client_setup(ref))
