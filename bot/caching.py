"""The one in-process cache: values by key for a while, bounded, with one fetch per key in flight.

Every cache of the bot is a `Cache` of one `Kind` from `KINDS`, where each kind's lifetime and size are
set (one place: a new kind is one line there). During an incident many people ask for the same thing at
once: identical fetches in flight share one call (`fetch`), and a value is reused for its kind's TTL.
Failures are never kept. One waiter giving up (its Slack request ended) never cancels the others' call.

This module imports nothing from bot/: harness (lookups, searches), cards (rendered cards) and state
(event ids, parsed shared values) all use it.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Outcome(StrEnum):
    """How a value was got."""

    HIT = "hit"
    """From a cache."""
    MISS = "miss"
    """This call fetched it."""
    COALESCED = "coalesced"
    """Another call's fetch, in this process or another instance."""


@dataclass(frozen=True, slots=True)
class Kind:
    """What is cached, for how long (seconds; `math.inf`: until pushed out) and how many at most."""

    name: str
    ttl: float
    size: int


REGISTRY: Final = Kind("registry", ttl=60.0, size=1024)
"""A looked-up registry: long enough to absorb a burst, short enough that a change shows within a minute."""
LIST_PAGE: Final = Kind("list page", ttl=30.0, size=256)
"""One page of a list or search."""
CLIENT_SETUP: Final = Kind("client set-up", ttl=30.0, size=256)
"""A registry's client set-up steps."""
RENDERED: Final = Kind("rendered card", ttl=math.inf, size=256)
"""What was rendered for a looked-up registry object (kept as long as the object is the cached one)."""
PARSED: Final = Kind("parsed shared value", ttl=math.inf, size=1024)
"""A value read from Redis and its parsed model, so the same JSON is parsed once per instance."""
EVENT_IDS: Final = Kind("Slack event id", ttl=15 * 60.0, size=10_000)
"""Slack deliveries answered: Slack retries after about 1 and 5 minutes."""

ARTIFACT: Final = Kind("artifact", ttl=30.0, size=512)
"""An artifact's summary and newest versions, a page of versions or of a registry's artifacts, a tag's
manifests: tags move, so briefly."""
DIGEST: Final = Kind("version by digest", ttl=3600.0, size=1024)
"""A version's details by digest: an image's digest never changes, so it is kept much longer."""

KINDS: Final = (REGISTRY, LIST_PAGE, CLIENT_SETUP, RENDERED, PARSED, EVENT_IDS, ARTIFACT, DIGEST)
"""Every kind, so their lifetimes can be read (and changed) side by side."""


class Cache(Generic[K, V]):
    """Values by key for `kind.ttl` seconds, the least recently used dropped past `kind.size`.

    `ttl` overrides the kind's lifetime (tests shorten it; 0 keeps nothing).
    """

    def __init__(self, kind: Kind, *, ttl: float | None = None, size: int | None = None) -> None:
        self.kind = kind
        self._ttl = kind.ttl if ttl is None else ttl
        self._size = kind.size if size is None else size
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._in_flight: dict[K, asyncio.Future[V]] = {}

    def get(self, key: K) -> V | None:
        """The value kept for `key` if still fresh, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[0] >= self._ttl:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: K, value: V) -> None:
        """Keep `value` for `key` (nothing is kept when the TTL is 0)."""
        if self._ttl <= 0:
            return
        self._entries[key] = (time.monotonic(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def add(self, key: K, value: V) -> bool:
        """Keep `value` unless `key` is kept already; True when it was new."""
        if self.get(key) is not None:
            return False
        self.put(key, value)
        return True

    async def fetch(
        self, key: K, load: Callable[[], Awaitable[V]], *, fresh: bool = False
    ) -> tuple[V, Outcome]:
        """The value for `key`: kept (unless `fresh`), or being loaded by another caller, or loaded now.

        A loaded value is kept; a failure is not, and reaches every caller waiting for it.
        """
        if not fresh:
            kept = self.get(key)
            if kept is not None:
                return kept, Outcome.HIT
        value, joined = await self.coalesce(key, load, keep=True)
        return value, Outcome.COALESCED if joined else Outcome.MISS

    async def coalesce(
        self, key: K, load: Callable[[], Awaitable[V]], *, keep: bool = False
    ) -> tuple[V, bool]:
        """`load()`, shared with every caller asking for `key` while it runs; True if this one joined.

        With `keep`, the value is kept when the load succeeds.
        """
        task = self._in_flight.get(key)
        joined = task is not None
        if task is None:
            task = asyncio.ensure_future(self._load(key, load, keep))
            self._in_flight[key] = task
            task.add_done_callback(functools.partial(self._forget, key))
        # shield: one waiter giving up must not cancel the others' call.
        return await asyncio.shield(task), joined

    def loading(self, key: K) -> bool:
        """Whether a load for `key` is under way (a `coalesce` now would join it)."""
        return key in self._in_flight

    async def _load(self, key: K, load: Callable[[], Awaitable[V]], keep: bool) -> V:
        value = await load()
        if keep:
            self.put(key, value)
        return value

    def _forget(self, key: K, task: asyncio.Future[V]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled():
            task.exception()  # retrieved, so a call every waiter gave up on is not reported as lost

    def __len__(self) -> int:
        return len(self._entries)
