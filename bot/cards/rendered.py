"""`RenderedCards`: what was rendered for a looked-up registry, kept for the next requests that get it.

During an incident hundreds of people get the same card within a minute, and only its footer (who
asked, when) differs, so the rest is rendered once per looked-up registry.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from bot.caching import RENDERED, Cache

T = TypeVar("T")


class RenderedCards(Generic[T]):
    """What was rendered for a looked-up object (a Registry, a version's facts), the least recently used
    dropped past `size` entries.

    Keyed by the Registry object itself (its identity) and the other inputs. The lookup cache hands
    every request for a registry, within its lifetime, the same frozen object, and a new lookup
    (Refresh, or after a minute) a new one; an entry keeps its object alive, so its id is never reused
    while the entry exists.
    """

    def __init__(self, size: int | None = None) -> None:
        self._entries: Cache[tuple[Hashable, ...], tuple[object, T]] = Cache(RENDERED, size=size)

    def get(self, registry: object, key: tuple[Hashable, ...], render: Callable[[], T]) -> T:
        """The kept rendering for `registry` and `key`, else `render()`, kept."""
        full_key = (id(registry), *key)
        entry = self._entries.get(full_key)
        if entry is not None and entry[0] is registry:
            return entry[1]
        value = render()
        self._entries.put(full_key, (registry, value))
        return value

    def __len__(self) -> int:
        return len(self._entries)
