"""The App Home tab, drawn (views.publish) when the user opens it or acts on it, and drawn again by
`services.home` (bot.redraws) when something it shows changes:

- a lookup of theirs on any surface (recent.run_task);
- a subscription of one of their channels made or ended, anywhere (recent.run_task, which every
  Subscribe and Unsubscribe Task goes through);
- events stored for a registry it lists (the receiver's `on_changed`, wired in bot.services).

It shows the user's recent lookups, the subscriptions of the channels they are in (users.conversations,
then the store) with each one's last event, and the commands.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from bot.cards.home import MAX_WATCHED, LastEvent, Watched, home_tab
from bot.commands import COMMANDS
from bot.listeners.recent import read_registry, recent
from bot.parsing.globs import Filter

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.services import Services

logger = logging.getLogger("bot.listeners.home")  # the one logger of the Home surfaces' lines

HOME_LINE = "home action=%(action)s user=%(user)s ref=%(ref)s outcome=%(outcome)s"
MAX_CHANNEL_PAGES: Final = 5
"""Pages of users.conversations read for the Home tab (200 channels each)."""
CHANNELS_PAGE: Final = 200
WATCHED_PATIENCE: Final = 4.0
"""Seconds the Home tab waits for the subscriptions of the user's channels before it shows without them."""
WATCHED_READ: Final = MAX_WATCHED + 20
"""Subscriptions read to list MAX_WATCHED (a few may name a registry that no longer reads)."""
EVENTS_READ: Final = 20
"""A registry's newest events read to find each subscription's last one."""
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def audit(action: str, user: str | None, ref: str, outcome: str) -> None:
    """One log line per action on these surfaces (plain text and, with LOG_FORMAT=json, keys)."""
    fields = {"action": action, "user": user or "-", "ref": ref or "-", "outcome": outcome}
    logger.info(HOME_LINE, fields, extra=fields)


@dataclass(frozen=True)
class Watching:
    """The Home tab's subscriptions section, and what a change must touch for it to be drawn again."""

    watched: list[Watched] | None
    """The first MAX_WATCHED listed; None: Slack or the store did not answer (the tab shows without)."""
    total: int
    """Active subscriptions of the user's channels, listed or not (the "and N more")."""
    channels: list[str] | None
    """The user's channels; None: Slack did not say."""
    registries: frozenset[str]
    """The registries of the subscriptions listed (their last events show)."""


async def user_channels(user: str, client: AsyncWebClient) -> list[str]:
    """The public and private channels `user` is in (users.conversations, at most five pages)."""
    channels: list[str] = []
    cursor: str | None = None
    for _ in range(MAX_CHANNEL_PAGES):
        page = await client.users_conversations(
            user=user,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=CHANNELS_PAGE,
            cursor=cursor,
        )
        found = page.get("channels")
        for channel in found if isinstance(found, list) else []:
            channel_id = channel.get("id") if isinstance(channel, dict) else None
            if isinstance(channel_id, str):
                channels.append(channel_id)
        metadata = page.get("response_metadata")
        cursor = metadata.get("next_cursor") if isinstance(metadata, dict) else None
        if not cursor:
            break
    return channels


async def watching(user: str, client: AsyncWebClient, services: Services) -> Watching:
    """The active subscriptions of the channels `user` is in, each with the last event it would have
    posted, and how many there are."""
    channels: list[str] | None = None
    try:
        async with asyncio.timeout(WATCHED_PATIENCE):
            channels = await user_channels(user, client)
            if not channels:
                return Watching([], 0, channels, frozenset())
            async with services.store.transaction() as tx:
                read = await tx.subscriptions.for_channels(channels, limit=WATCHED_READ)
                total = await tx.subscriptions.count_for_channels(channels)
                refs = [(s, read_registry(s.registry, services)) for s in read]
                found = [(s, ref) for s, ref in refs if ref is not None][:MAX_WATCHED]
                newest = {
                    registry: await tx.events.timeline(registry, since=EPOCH, limit=EVENTS_READ)
                    for registry in dict.fromkeys(s.registry for s, _ in found)
                }
    except Exception as exc:  # Slack or the store failing: the tab without the section
        audit("subscriptions", user, "", type(exc).__name__)
        return Watching(None, 0, channels, frozenset())
    total -= len(refs) - len([ref for _, ref in refs if ref is not None])  # the unreadable ones seen
    watched: list[Watched] = []
    for subscription, ref in found:
        last = next(
            (
                e
                for e in newest.get(subscription.registry, [])
                if subscription.matches(e.artifact, e.version, e.trigger)
            ),
            None,
        )
        wanted = Filter(
            artifact_glob=subscription.artifact_glob,
            tag_glob=subscription.tag_glob,
            pushes=subscription.pushes,
            deletes=subscription.deletes,
        )
        event = None if last is None else LastEvent(last.trigger, last.artifact, last.version, last.at)
        watched.append(Watched(subscription.channel, ref, wanted.shown, wanted.events, event))
    return Watching(watched, total, channels, frozenset(newest))


async def publish_home(user: str, client: AsyncWebClient, services: Services, *, asked: bool = True) -> None:
    """Draw the user's Home tab (views.publish), and remember what it shows so that a change to it draws
    it again; `asked`: the user asked for it (opened the tab, acted on it), not a redraw."""
    lookups, seen = await asyncio.gather(recent(user, services), watching(user, client, services))
    view = home_tab(lookups, COMMANDS, seen.watched, watched_total=seen.total)
    await client.views_publish(user_id=user, view=view)
    audit("publish" if asked else "redraw", user, "", "ok")

    services.home.shown(
        user,
        channels=seen.channels,
        registries=seen.registries,
        redraw=lambda: publish_home(user, client, services, asked=False),
        asked=asked,
    )


async def refresh_home(user: str, client: AsyncWebClient, services: Services) -> None:
    """After the user's own action from the Home tab: the tab drawn again, coalesced with the other
    changes when this process drew it already, at once when it did not (another instance did, or
    this one has restarted)."""
    if user in services.home:
        services.home.changed(users=[user])
    else:
        await publish_home(user, client, services)
