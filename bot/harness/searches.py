"""Lists, searches and client set-ups, shared by every surface: a brief cache with in-flight coalescing.

The same list or search is often asked for by several people at once during an incident, and paging back
and forth asks for the same page again. Identical queries in flight share one Harness call, and an answer
is reused for `DEFAULT_TTL` seconds. Failures are not cached.

Both are a `bot.caching.Cache` (kinds LIST_PAGE and CLIENT_SETUP), as registry lookups are.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.caching import CLIENT_SETUP, LIST_PAGE, Cache
from bot.harness.client import HarnessClient
from bot.harness.models import ClientSetupDetails, ListRegistry
from bot.refs import RegistryRef, SpaceRef


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

    def __init__(self, client: HarnessClient, *, ttl: float | None = None) -> None:
        self.client = client
        self._pages: Cache[ListQuery, ListRegistry] = Cache(LIST_PAGE, ttl=ttl)
        self._setups: Cache[RegistryRef, ClientSetupDetails] = Cache(CLIENT_SETUP, ttl=ttl)

    async def page(self, query: ListQuery) -> ListRegistry:
        """One page of registries in the query's space and the scopes below it."""
        page, _ = await self._pages.fetch(
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
        return page

    async def setup(self, ref: RegistryRef) -> ClientSetupDetails:
        """The client set-up steps for a registry."""
        details, _ = await self._setups.fetch(ref, lambda: self.client.client_setup(ref))
        return details
