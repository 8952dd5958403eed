"""Lookups remembered behind the answers: `add` is a dictionary write on the lookup's path; a flush a
moment later writes everything added since in one transaction (`RecentLookups.record_many`).

Under an incident's load this is one transaction per `delay` for all lookups instead of one per lookup
(each a round trip to the database, serialised on SQLite). What it costs: a lookup is in the database up
to `delay` later, so `recent` reads flush first, and a crash loses at most the last `delay`'s lookups
(convenience data: the Home tab's list, never something acknowledged). A store that is down or slow
(`patience`) costs the batch, in one warning line; at most `max_pending` wait, the oldest going first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final

from bot.store.lookups import Lookup
from bot.store.records import LookupKind

if TYPE_CHECKING:
    from bot.store import Store

logger = logging.getLogger(__name__)

DELAY: Final = 0.2
"""Seconds from the first lookup added to the flush that writes it (and whatever came meanwhile)."""
PATIENCE: Final = 2.0
"""Seconds a flush may take before its batch is given up."""
MAX_PENDING: Final = 5_000
"""Lookups waiting at most; past it the oldest are dropped (one warning per flush)."""

Written = Callable[[set[str]], object]
"""Told the users whose lookups a flush wrote (the Home tabs to draw again)."""


class LookupWrites:
    """See the module docstring. `aclose` writes what is waiting."""

    def __init__(
        self,
        store: Store,
        *,
        on_written: Written | None = None,
        delay: float = DELAY,
        patience: float = PATIENCE,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.store = store
        self.on_written = on_written
        self.delay = delay
        self.patience = patience
        self.max_pending = max_pending
        self._pending: dict[tuple[str, str, str], Lookup] = {}
        self._dropped = 0
        self._writing = 0
        self._lock = asyncio.Lock()
        self._flushing: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Lookups added and not written yet, the ones a flush is writing included."""
        return len(self._pending) + self._writing

    def add(self, *, user: str, kind: LookupKind, ref: str, at: datetime) -> None:
        """Remember a lookup soon (a flush follows within `delay`)."""
        key = (user, kind, ref)
        self._pending.pop(key, None)  # again: it moves to the end, the newest
        self._pending[key] = Lookup(user=user, kind=kind, ref=ref, at=at)
        while len(self._pending) > self.max_pending:
            del self._pending[next(iter(self._pending))]
            self._dropped += 1
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._later(), name="remember_lookups")

    async def _later(self) -> None:
        await asyncio.sleep(self.delay)
        await asyncio.shield(self.flush())  # cancelled (aclose) while writing, the write still ends

    async def flush(self) -> None:
        """Write what is waiting now, in one transaction; a failure or delay only logs."""
        async with self._lock:
            batch, self._pending = list(self._pending.values()), {}
            dropped, self._dropped = self._dropped, 0
            if dropped:
                logger.warning("lookups not remembered count=%d error=TooManyWaiting", dropped)
            if not batch:
                return
            self._writing = len(batch)
            try:
                async with asyncio.timeout(self.patience), self.store.transaction() as tx:
                    await tx.lookups.record_many(batch)
            except Exception as exc:  # the answers went out all the same
                logger.warning("lookup not remembered count=%d error=%s", len(batch), type(exc).__name__)
                return
            finally:
                self._writing = 0
        if self.on_written is not None:
            try:
                self.on_written({lookup.user for lookup in batch})
            except Exception:  # the lookups are stored: never fail the flush for what follows it
                logger.exception("after remembering lookups")

    async def aclose(self) -> None:
        """Write what is waiting (at shutdown, before the store closes), without waiting out `delay`."""
        if self._flushing is not None and not self._flushing.done():
            self._flushing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flushing
        await self.flush()  # after a write under way (the lock), what is left
