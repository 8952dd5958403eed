"""Event ids already answered: Slack re-sends a delivery it thinks was lost (`X-Slack-Retry-Num`)."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Final, Protocol

SEEN_EVENTS_WINDOW: Final = 15 * 60.0
"""Seconds an event id is remembered: Slack's retries come after about 1 and 5 minutes."""
SEEN_EVENTS_MAX: Final = 10_000


class EventIds(Protocol):
    """Where the entry layer asks whether an event id is new."""

    async def first_seen(self, event_id: str) -> bool:
        """True the first time `event_id` is offered within the window; False for a repeat."""
        ...


class SeenEvents:
    """Event ids seen in the last `window` seconds, in this process, at most `max_size` of them."""

    def __init__(self, *, window: float = SEEN_EVENTS_WINDOW, max_size: int = SEEN_EVENTS_MAX) -> None:
        self._window = window
        self._max_size = max_size
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first_seen(self, event_id: str) -> bool:
        now = time.monotonic()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._window and len(self._seen) < self._max_size:
                break
            del self._seen[oldest]
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True
