"""Catching up: deliveries Harness made while the bot was away, read back from each webhook's executions.

At start (and after the bot was unreachable), for every webhook the bot keeps, it reads the newest
executions (newest first: page 0 with a growing `size`, the only paging Harness's server gets right; see
docs/harness/NOTES.md) until it meets deliveries it already stored, and stores the ones it missed through
the receiver's own path, marked late. The delivery key makes this safe to repeat and safe beside a live
delivery or a second instance: what is stored once is posted once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from bot.harness.errors import HarnessError
from bot.harness.webhooks import WebhookExecution
from bot.posting.fanout import registry_of

if TYPE_CHECKING:
    from bot.harness.client import HarnessClient
    from bot.store import Store, WebhookRecord

logger = logging.getLogger(__name__)

FIRST_READ: Final = 50
MOST_READ: Final = 1000
"""The most executions read back per webhook: a bot away for longer loses the older ones (logged)."""

Accept = Callable[["WebhookRecord", bytes, datetime], Awaitable[bool]]
"""The receiver's store-first path for a body already trusted: (webhook, body, when it happened) ->
whether it was new (False: stored already, by key). Late events are marked so by the caller's path."""
Seen = Callable[["WebhookRecord", list[bytes]], Awaitable[set[bytes]]]
"""Which of these bodies, delivered to this webhook, are stored already."""


@dataclass(frozen=True, slots=True)
class CaughtUp:
    webhooks: int
    read: int
    stored: int
    failed: int
    """Webhooks whose executions could not be read (Harness refused or failed); logged, tried next start."""


async def catch_up(
    store: Store, harness: HarnessClient, *, accept: Accept, seen: Seen, most: int = MOST_READ
) -> CaughtUp:
    """Read back every webhook's missed deliveries and store them. Never raises for Harness trouble."""
    async with store.transaction() as tx:
        hooks = [hook for hook in await tx.webhooks.all() if hook.state == "active"]
    read = stored = failed = 0
    for hook in hooks:
        try:
            missed = await _missed(harness, hook, seen=seen, most=most)
        except HarnessError as exc:
            failed += 1
            logger.warning("catch-up skipped webhook=%s: %s", hook.identifier, type(exc).__name__)
            continue
        read += len(missed)
        # Oldest first, so the channel reads them in the order they happened.
        for execution in sorted(missed, key=lambda e: e.id):
            when = _when(execution)
            if await accept(hook, execution.request.body.encode(), when):
                stored += 1
    if stored or failed:
        logger.info("catch-up webhooks=%d read=%d stored=%d failed=%d", len(hooks), read, stored, failed)
    return CaughtUp(webhooks=len(hooks), read=read, stored=stored, failed=failed)


async def _missed(
    harness: HarnessClient, hook: WebhookRecord, *, seen: Seen, most: int
) -> list[WebhookExecution]:
    """The executions of one webhook whose bodies the bot has not stored, newest first."""
    ref = registry_of(hook.registry)
    if ref is None:
        return []
    size = min(FIRST_READ, most)
    while True:
        page = await harness.list_executions(ref, hook.identifier, size=size)
        bodies = _originals(page.executions)
        known = await seen(hook, [e.request.body.encode() for e in bodies])
        missed = [e for e in bodies if e.request.body.encode() not in known]
        total = page.item_count if page.item_count is not None else len(page.executions)
        reached_known = len(missed) < len(bodies)
        if reached_known or len(page.executions) >= total or size >= most or len(page.executions) < size:
            if not reached_known and total > size:
                logger.warning(
                    "catch-up webhook=%s: read the newest %d of %d executions", hook.identifier, size, total
                )
            return missed
        size = min(size * 4, most)


def _originals(executions: list[WebhookExecution]) -> list[WebhookExecution]:
    """One execution per event (a retrigger repeats its original's body), with a body to read."""
    chosen: dict[int, WebhookExecution] = {}
    for execution in executions:
        if not execution.request.body:
            continue
        kept = chosen.get(execution.original)
        if kept is None or execution.id < kept.id:
            chosen[execution.original] = execution
    return list(chosen.values())


def _when(execution: WebhookExecution) -> datetime:
    if execution.created and execution.created > 0:
        return datetime.fromtimestamp(execution.created / 1000, tz=UTC)
    return datetime.now(UTC)
