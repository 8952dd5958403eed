"""Views drawn for users (the App Home tab), drawn again when something they show changes.

Whoever draws a user's view tells `shown` what it showed (the user's channels, the registries of the
subscriptions listed) and how to draw it again. A change (`changed`: a lookup by a user, a channel
subscribed or unsubscribed, events stored for a registry) redraws the views concerned:

- coalesced: at most one redraw per user per `interval` seconds (`acted_interval` for a change the user
  made themselves, which brings a waiting redraw forward); changes while one waits join it, changes
  while one runs give one more after it (never dropped, never one per change);
- in the background (bot.background), each failure logged in one line (user, error type) and never
  raised into the change's own path;
- bounded: at most `max_viewers` users remembered, each forgotten `keep` seconds after the last view
  they asked for (a redraw does not renew it), and at most `max_per_change` redraws per change (past
  that, the others see the change when they next open their Home tab).

What is remembered is this process's: another instance (or a restart) redraws the views it drew itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Coroutine, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from bot.background import Background

logger = logging.getLogger(__name__)

INTERVAL: Final = 5.0
"""Seconds between two redraws of one user's view at least, for changes made by others (a burst of
events, someone subscribing a channel)."""
ACTED_INTERVAL: Final = 1.0
"""The same for a change the user made (a lookup, a subscription): a person's own clicks come a few a
second at most, and they are looking at the tab."""
MAX_VIEWERS: Final = 1_000
"""Users whose views are remembered; past that, the one who asked longest ago is forgotten."""
KEEP: Final = 3_600.0
"""Seconds a user is remembered after the last view they asked for (opening the tab, acting on it)."""
MAX_PER_CHANGE: Final = 50
"""Views one change redraws at most: the acting users first, then the most recent viewers."""

Redraw = Callable[[], Coroutine[Any, Any, None]]


@dataclass(slots=True)
class _Viewer:
    channels: frozenset[str]
    registries: frozenset[str]
    redraw: Redraw
    asked_at: float
    drawn_at: float
    waiting: asyncio.TimerHandle | None = None
    running: bool = False
    again: float | None = None
    """While a redraw runs: the interval of the one to follow it (a change came during it)."""


class Redraws:
    """The views this process drew, and their redraws."""

    def __init__(
        self,
        background: Background,
        *,
        interval: float = INTERVAL,
        acted_interval: float = ACTED_INTERVAL,
        max_viewers: int = MAX_VIEWERS,
        keep: float = KEEP,
        max_per_change: int = MAX_PER_CHANGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.acted_interval = acted_interval
        self._background = background
        self._max_viewers = max_viewers
        self._keep = keep
        self._max_per_change = max_per_change
        self._clock = clock
        self._viewers: OrderedDict[str, _Viewer] = OrderedDict()  # the one asked longest ago first

    def __len__(self) -> int:
        return len(self._viewers)

    @property
    def pending(self) -> int:
        """Redraws waiting for their moment or under way."""
        return sum(
            1 for v in self._viewers.values() if v.waiting is not None or v.running or v.again is not None
        )

    def __contains__(self, user: object) -> bool:
        self._forget_old()
        return user in self._viewers

    def shown(
        self,
        user: str,
        *,
        channels: Iterable[str] | None,
        registries: Iterable[str],
        redraw: Redraw,
        asked: bool = True,
    ) -> None:
        """`user`'s view was drawn, showing `channels` (None: unknown this time, the last ones kept) and
        `registries`; `redraw` draws it again. `asked`: the user asked for it (renews their time here)."""
        now = self._clock()
        viewer = self._viewers.get(user)
        if viewer is None:
            if not asked:
                return  # forgotten while being redrawn: stays forgotten
            viewer = _Viewer(frozenset(), frozenset(), redraw, asked_at=now, drawn_at=now)
            self._viewers[user] = viewer
        if channels is not None:
            viewer.channels = frozenset(channels)
        viewer.registries, viewer.redraw, viewer.drawn_at = frozenset(registries), redraw, now
        if asked:
            viewer.asked_at = now
            self._viewers.move_to_end(user)
        self._forget_old()
        while len(self._viewers) > self._max_viewers:
            self._drop(next(iter(self._viewers)))

    def changed(
        self,
        *,
        users: Iterable[str | None] = (),
        channels: Collection[str] = (),
        registries: Collection[str] = (),
    ) -> int:
        """Something the views of `users` (who made the change: redrawn after `acted_interval`), of the
        viewers in `channels` or of those showing `registries` show has changed (and is committed):
        redraw them. How many were scheduled."""
        try:
            self._forget_old()
            concerned = [user for user in dict.fromkeys(users) if user is not None and user in self._viewers]
            acting = frozenset(concerned)
            if channels or registries:
                wanted_channels, wanted_registries = frozenset(channels), frozenset(registries)
                concerned += [
                    user
                    for user, viewer in reversed(self._viewers.items())
                    if user not in concerned
                    and (viewer.channels & wanted_channels or viewer.registries & wanted_registries)
                ]
            if len(concerned) > self._max_per_change:
                logger.info(
                    "home redraws capped: %d of %d views redrawn", self._max_per_change, len(concerned)
                )
                concerned = concerned[: self._max_per_change]
            for user in concerned:
                interval = self.acted_interval if user in acting else self.interval
                self._schedule(user, self._viewers[user], interval)
        except Exception:  # the change itself has happened: never fail it for its redraws
            logger.exception("home redraws not scheduled")
            return 0
        return len(concerned)

    def close(self) -> None:
        """Forget everyone; redraws waiting are not started (the ones running finish in the background)."""
        for user in list(self._viewers):
            self._drop(user)

    def _schedule(self, user: str, viewer: _Viewer, interval: float) -> None:
        if viewer.running:
            # The one running may have read before the change: one more after it.
            viewer.again = interval if viewer.again is None else min(viewer.again, interval)
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, viewer.drawn_at + interval - self._clock())
        if viewer.waiting is not None:
            if viewer.waiting.when() <= loop.time() + delay:
                return  # the redraw waiting comes first, and reads what has just changed
            viewer.waiting.cancel()  # the user's own change: sooner than the one waiting
        viewer.waiting = loop.call_later(delay, self._start, user, viewer)

    def _start(self, user: str, viewer: _Viewer) -> None:
        viewer.waiting = None
        if self._viewers.get(user) is not viewer:
            return
        viewer.running = True
        self._background.spawn(self._run(user, viewer), body={}, name="home_redraw")

    async def _run(self, user: str, viewer: _Viewer) -> None:
        try:
            await viewer.redraw()
        except Exception as exc:  # Slack refusing, the store down: the next change or visit tries again
            logger.warning("home redraw failed user=%s error=%s", user, type(exc).__name__)
            viewer.drawn_at = self._clock()
        finally:
            viewer.running = False
        again, viewer.again = viewer.again, None
        if again is not None and self._viewers.get(user) is viewer:
            self._schedule(user, viewer, again)

    def _forget_old(self) -> None:
        oldest = self._clock() - self._keep
        while self._viewers:
            user, viewer = next(iter(self._viewers.items()))
            if viewer.asked_at >= oldest:
                return
            self._drop(user)

    def _drop(self, user: str) -> None:
        viewer = self._viewers.pop(user)
        if viewer.waiting is not None:
            viewer.waiting.cancel()
            viewer.waiting = None
