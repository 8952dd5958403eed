"""`RenderedCards`: what was rendered for a looked-up registry, kept for the next requests that get it.

During an incident hundreds of people get the same card within a minute, and only its footer (who
asked, when) differs, so the rest is rendered once per looked-up registry.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

from bot.harness.models import Registry

T = TypeVar("T")

RENDERED_CARDS: Final = 256
"""Looked-up registries whose rendered card (and unfurl preview) is kept."""


class RenderedCards(Generic[T]):
    """What was rendered for a looked-up registry, the least recently used dropped past `size` entries.

    Keyed by the Registry object itself (its identity) and the other inputs. The lookup cache hands
    every request for a registry, within its lifetime, the same frozen object, and a new lookup
    (Refresh, or after a minute) a new one; an entry keeps its object alive, so its id is never reused
    while the entry exists.
    """

    def __init__(self, size: int = RENDERED_CARDS) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Hashable, ...], tuple[Registry, T]] = OrderedDict()

    def get(self, registry: Registry, key: tuple[Hashable, ...], render: Callable[[], T]) -> T:
        """The kept rendering for `registry` and `key`, else `render()`, kept."""
        full_key = (id(registry), *key)
        entry = self._entries.get(full_key)
        if entry is not None and entry[0] is registry:
            self._entries.move_to_end(full_key)
            return entry[1]
        value = render()
        self._entries[full_key] = (registry, value)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)
