"""The poster: the outbox of posts, sent to Slack at most about once a second per channel.

Each round claims the due posts (a lease: another instance, or this one after a crash, takes them again
only when it ends), then works channel by channel, concurrently across channels and in order within one:

- a post whose subscription ended, or whose event is gone, is dropped (`failed`);
- posts of one group (a burst: versions of one artifact in one window) are one message: the first round
  posts it, later rounds update it in place (`chat.update`) and add the new versions to its thread;
- 429 leaves the channel's posts pending until `Retry-After` has passed; 5xx, a dropped connection or a
  token problem, until a backoff (doubling, at most MAX_BACKOFF); a channel the bot left, or that was
  archived or deleted, ends its subscriptions; what Slack refuses for good (`invalid_blocks`…) is dropped.

A delivery repeated is one event, and an event is one post per channel (the outbox's unique key): posted
once. A post that Slack took but whose `posted` mark was lost (the process died in between) is posted
again when its lease ends: at least once, with that one narrow window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.changes import Change, burst_thread, change_message
from bot.metrics import record_event_posts, set_posts_pending
from bot.posting.fanout import change_of

if TYPE_CHECKING:
    from bot.store import EventRecord, PostRecord, Store, Transaction

logger = logging.getLogger(__name__)

RATE: Final = 1.0
"""Slack calls per second per channel (Slack's own limit for posting is about one a second)."""
INTERVAL_MARGIN: Final = 1.03
LEASE: Final = timedelta(seconds=120)
BATCH: Final = 200
POLL: Final = 1.0
"""Seconds between rounds when nothing is due (a `poke` starts one at once)."""
MAX_IDLE: Final = 30.0
"""The longest pause between rounds while they keep failing."""
MAX_WAIT: Final = 5.0
"""The longest a round waits for a channel's next slot; longer, and the posts are left for a later round."""
MAX_BACKOFF: Final = 300.0
MAX_RETRY_AFTER: Final = 3600.0
CHANNEL_GONE: Final = frozenset({"channel_not_found", "is_archived", "channel_is_archived", "not_in_channel"})
"""Errors that mean the channel will not take messages again: its subscriptions end."""
REFUSED: Final = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
    }
)
"""Errors that mean Slack will never take this message: the post is dropped (and logged)."""

ChannelGone = Callable[[str, Sequence[str]], Awaitable[None]]
"""Called when a channel stopped taking messages, with the registries whose subscriptions ended there."""


@dataclass(frozen=True, slots=True)
class _Item:
    post: PostRecord
    event: EventRecord
    change: Change


class _Defer(Exception):
    """Internal: leave these posts pending until `at` (seconds from now), for `reason`."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


class Poster:
    """Posts the outbox to Slack. `start` runs rounds until `aclose`; `run_once` is one round (tests)."""

    def __init__(
        self,
        *,
        store: Store,
        web: AsyncWebClient,
        ui_base: str,
        rate: float = RATE,
        lease: timedelta = LEASE,
        batch: int = BATCH,
        on_channel_gone: ChannelGone | None = None,
    ) -> None:
        self._store = store
        self._web = web
        self._ui_base = ui_base
        # A hair over 1/rate: Slack counts arrivals, which jitter by a few milliseconds.
        self._interval = 1.0 / rate * INTERVAL_MARGIN
        self._lease = lease
        self._batch = batch
        self._on_channel_gone = on_channel_gone
        self._next_slot: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._counted = False
        self._marked: set[int] = set()
        """Posts marked posted in this round: a failure later in their group leaves them be."""
        self._task: asyncio.Task[None] | None = None
        self.calls: list[tuple[str, str, float]] = []
        """(channel, method, monotonic time) of every Slack call made: what the bench and tests read."""

    @staticmethod
    def client(session: aiohttp.ClientSession, *, api_url: str, bot_token: str) -> AsyncWebClient:
        """A Web API client on the pooled session with no retries of its own: the poster schedules its
        retries from the database, so a 429 never holds a round."""
        return AsyncWebClient(base_url=api_url, token=bot_token, session=session, retry_handlers=[])

    def poke(self) -> None:
        """Start a round now (a delivery was just stored)."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="poster")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        failures = 0
        while True:
            try:
                worked = await self.run_once()
                failures = 0
            except Exception:
                # The database away, most likely: say so once a while, not once a second.
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    logger.exception("poster round failed (%d in a row); trying again", failures)
                worked = 0
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), min(POLL * 2**failures, MAX_IDLE))

    async def run_once(self, *, now: datetime | None = None) -> int:
        """One round: claim what is due and post it. How many posts were claimed."""
        now = now or datetime.now(UTC)
        self._marked.clear()
        items: dict[str, list[_Item]] = defaultdict(list)
        async with self._store.transaction() as tx:
            claimed = await tx.posts.claim(now=now, lease=self._lease, limit=self._batch)
            for post in claimed:
                event = await tx.events.get(post.event_id)
                change = change_of(event) if event is not None else None
                subscription = (
                    await tx.subscriptions.get(post.subscription_id)
                    if post.subscription_id is not None
                    else None
                )
                if event is None or change is None:
                    await tx.posts.mark_failed(post.id, error="the event is gone")
                elif subscription is not None and not subscription.active:
                    await tx.posts.mark_failed(post.id, error="the subscription ended")
                else:
                    items[post.channel].append(_Item(post, event, change))
        if items:
            await asyncio.gather(*(self._channel(channel, work) for channel, work in items.items()))
        if claimed or not self._counted:
            async with self._store.transaction() as tx:
                set_posts_pending(await tx.posts.pending_count())
            self._counted = True
        return len(claimed)

    def _unposted(self, groups: Sequence[list[_Item]]) -> list[_Item]:
        return [item for group in groups for item in group if item.post.id not in self._marked]

    async def _channel(self, channel: str, items: list[_Item]) -> None:
        groups: dict[str, list[_Item]] = defaultdict(list)
        for item in items:
            groups[item.post.group_key or f"post:{item.post.id}"].append(item)
        pending = list(groups.values())
        while pending:
            group = pending.pop(0)
            try:
                await self._group(channel, group)
            except _Defer as defer:
                await self._defer(channel, self._unposted([group, *pending]), defer)
                return
            except _Gone as gone:
                await self._gone(channel, self._unposted([group, *pending]), gone.error)
                return
            except _Refused as refused:
                await self._drop(self._unposted([group]), refused.error)

    async def _group(self, channel: str, group: list[_Item]) -> None:
        """Post (or update) one group's message, and its thread when it holds more than one version."""
        key = group[0].post.group_key
        earlier: list[Change] = []
        parent: str | None = None
        if key is not None:
            # The group's other posts: those posted make the message so far; those still pending (not due
            # yet, or not claimed in this round) join this one, so a burst is one call, not one each.
            # `group` grows in place: a failure below defers the joined ones too.
            claimed = {item.post.id for item in group}
            async with self._store.transaction() as tx:
                for post in await tx.posts.in_group(key):
                    if post.id in claimed or post.state == "failed":
                        continue
                    event = await tx.events.get(post.event_id)
                    change = change_of(event) if event is not None else None
                    if change is None or event is None:
                        continue
                    if post.state == "posted":
                        earlier.append(change)
                        parent = parent or post.slack_ts
                    elif await self._wanted(tx, post):
                        group.append(_Item(post, event, change))
        new = [item.change for item in sorted(group, key=lambda i: (i.event.at, i.event.id))]
        earlier.sort(key=lambda change: change.at)
        every = [*earlier, *new]
        message = change_message(every, ui_base=self._ui_base).as_kwargs()
        ordered = sorted(group, key=lambda i: (i.event.at, i.event.id))
        rest = ordered
        if parent is None:
            answer = await self._call(
                channel, "chat.postMessage", channel=channel, unfurl_links=False, **message
            )
            parent = str(answer.get("ts") or "")
            # The message exists from here on: its first post holds its ts, so a retry updates it instead
            # of posting it again; the others are posted once they are in the thread.
            await self._mark(ordered[:1], parent)
            rest = ordered[1:]
        else:
            await self._call(channel, "chat.update", channel=channel, ts=parent, **message)
        if len(every) > 1:
            listed = every if len(earlier) <= 1 else new
            thread = burst_thread(listed).as_kwargs()
            await self._call(channel, "chat.postMessage", channel=channel, thread_ts=parent, **thread)
        await self._mark(rest, parent)

    async def _mark(self, items: Sequence[_Item], ts: str) -> None:
        if not items:
            return
        at = datetime.now(UTC)
        async with self._store.transaction() as tx:
            for item in items:
                await tx.posts.mark_posted(item.post.id, slack_ts=ts, at=at)
        self._marked.update(item.post.id for item in items)
        record_event_posts("posted", len(items))

    @staticmethod
    async def _wanted(tx: Transaction, post: PostRecord) -> bool:
        """Whether a pending post is still wanted: its subscription (if it names one) is active."""
        if post.subscription_id is None:
            return True
        subscription = await tx.subscriptions.get(post.subscription_id)
        return subscription is not None and subscription.active

    async def _call(self, channel: str, method: str, /, **arguments: Any) -> dict[str, Any]:
        """One Web API call in the channel's next slot; the answer, or _Defer / _Gone / _Refused."""
        slot = self._next_slot.get(channel, 0.0)
        if slot - time.monotonic() > MAX_WAIT:
            raise _Defer(slot - time.monotonic(), "rate")
        for _ in range(3):  # the loop's timer may wake a hair early
            wait = slot - time.monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        self._next_slot[channel] = time.monotonic() + self._interval
        self.calls.append((channel, method, time.monotonic()))
        try:
            response = await self._web.api_call(method, json=arguments)
        except SlackApiError as exc:
            raise self._failure(channel, exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Defer(0.0, f"connection: {type(exc).__name__}") from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    def _failure(self, channel: str, exc: SlackApiError) -> Exception:
        status = exc.response.status_code
        error = (
            str(exc.response.get("error") or f"status {status}")
            if isinstance(exc.response.data, dict)
            else f"status {status}"
        )
        if status == 429:
            seconds = _seconds(
                exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
            )
            self._next_slot[channel] = time.monotonic() + seconds
            return _Defer(seconds, "rate limited (429)")
        if error in CHANNEL_GONE:
            return _Gone(error)
        if error in REFUSED:
            return _Refused(error)
        return _Defer(0.0, error)

    async def _defer(self, channel: str, items: list[_Item], defer: _Defer) -> None:
        now = datetime.now(UTC)
        async with self._store.transaction() as tx:
            for item in items:
                seconds = defer.seconds or _backoff(item.post.attempts)
                await tx.posts.retry_at(item.post.id, at=now + timedelta(seconds=seconds), error=defer.reason)
        record_event_posts("deferred", len(items))
        logger.info("slack posts deferred channel=%s posts=%d reason=%s", channel, len(items), defer.reason)

    async def _gone(self, channel: str, items: list[_Item], error: str) -> None:
        now = datetime.now(UTC)
        async with self._store.transaction() as tx:
            registries = await tx.subscriptions.end_channel(channel, at=now)
            for item in items:
                await tx.posts.mark_failed(item.post.id, error=error)
        record_event_posts("channel_gone", len(items))
        logger.warning(
            "slack channel %s stopped taking messages (%s): its subscriptions ended", channel, error
        )
        if self._on_channel_gone is not None:
            await self._on_channel_gone(channel, registries)

    async def _drop(self, items: list[_Item], error: str) -> None:
        async with self._store.transaction() as tx:
            for item in items:
                await tx.posts.mark_failed(item.post.id, error=error)
        record_event_posts("dropped", len(items))
        logger.error("slack refused a change message (%s): dropped %d post(s)", error, len(items))


class _Gone(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _Refused(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _backoff(attempts: int) -> float:
    """Seconds before another try after `attempts` claims: 2, 4, 8… at most MAX_BACKOFF, jittered."""
    base: float = min(MAX_BACKOFF, 2.0 ** max(attempts, 1))
    return base * random.uniform(0.75, 1.0)  # noqa: S311 (jitter, not crypto)


def _seconds(value: str | None) -> float:
    """Retry-After as seconds (1 when missing or unreadable; at most MAX_RETRY_AFTER)."""
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value))) if value else 1.0
    except ValueError:
        return 1.0
