"""Which channels hear about an event, and which message each post belongs to."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from bot.cards.changes import Change
from bot.refs import RegistryRef, ref_from_path

if TYPE_CHECKING:
    from bot.store import EventRecord, SubscriptionRecord, Transaction

BURST_WINDOW: Final = 300
"""Seconds: versions of one artifact pushed (or deleted) within the same window share one message."""


def group_key(channel: str, event: EventRecord, *, window: int = BURST_WINDOW) -> str:
    """The message a post joins: one per channel, registry, artifact, trigger and burst window (hashed, so
    it fits its column whatever the names' lengths)."""
    bucket = int(event.at.timestamp()) // window
    parts = "\x00".join((channel, event.registry, event.artifact, event.trigger, str(bucket)))
    return hashlib.sha256(parts.encode()).hexdigest()


async def queue_posts(tx: Transaction, event: EventRecord, now: datetime) -> int:
    """Queue the event for every channel with an active subscription that wants it; how many were queued
    (a channel already holding it, from a repeated delivery, is skipped by the outbox's unique key)."""
    return await queue_all(tx, [event], now)


async def queue_all(tx: Transaction, events: Sequence[EventRecord], now: datetime) -> int:
    """`queue_posts` for many events (a burst stored in one transaction): each registry's subscriptions
    are read once, not once per event."""
    queued = 0
    subscriptions: dict[str, list[SubscriptionRecord]] = {}
    for event in events:
        if event.registry not in subscriptions:
            subscriptions[event.registry] = await tx.subscriptions.for_registry(event.registry)
        seen: set[str] = set()
        for subscription in subscriptions[event.registry]:
            if subscription.channel in seen or not subscription.matches(
                event.artifact, event.version, event.trigger
            ):
                continue
            seen.add(subscription.channel)
            post = await tx.posts.add(
                channel=subscription.channel,
                event_id=event.id,
                at=now,
                subscription_id=subscription.id,
                group_key=group_key(subscription.channel, event),
            )
            queued += post is not None
    return queued


def registry_of(text: str) -> RegistryRef | None:
    """A stored registry (its API path, `acc/…/reg/+`) as a RegistryRef; None when it does not read."""
    return ref_from_path(text.removesuffix("/+"))


def change_of(event: EventRecord) -> Change | None:
    """The card's view of a stored event; None when its registry does not read (never expected)."""
    registry = registry_of(event.registry)
    if registry is None:
        return None
    return Change(
        registry=registry,
        artifact=event.artifact,
        version=event.version,
        trigger=event.trigger,
        at=int(event.at.timestamp()),
        principal=event.principal_name or event.principal_email,
        digest=event.digest,
        late=event.late,
    )
