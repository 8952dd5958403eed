"""`/har changes`: what was pushed and deleted in a registry since a moment, newest first, a page at a time.

From the stored events when the registry is subscribed (its webhook tells the bot everything, deletes
included); otherwise from the versions listing, by last-modified time (pushes only, and the answer says
so). `since` reads `2h`, `30m`, `3d`, `1w`, `today`, `yesterday` or an ISO time; the default is 24 hours.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from bot.cards.blocks import Reply
from bot.cards.changes import Change, timeline
from bot.cards.text import code, plural
from bot.harness.errors import NotFound
from bot.harness.models import epoch_seconds
from bot.posting.fanout import change_of
from bot.refs import ArtifactRef, InvalidScope, RegistryRef

if TYPE_CHECKING:
    from bot.harness.client import HarnessClient
    from bot.store import Store

DEFAULT_SINCE: Final = timedelta(hours=24)
LONGEST: Final = timedelta(days=90)
"""The furthest back `since` may reach (events are kept EVENT_RETENTION_DAYS anyway)."""
PAGE: Final = 20
LISTED: Final = 100
"""Versions (or artifacts) read from Harness's listings for a registry without a webhook."""
_SPAN = re.compile(r"(\d{1,4})\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|wk|weeks?)", re.IGNORECASE)
_UNIT_SECONDS: Final = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_UNIT_WORDS: Final = {"m": "minute", "h": "hour", "d": "day", "w": "week"}


class BadSince(ValueError):
    """`since` that does not read; the message says what does."""


@dataclass(frozen=True, slots=True)
class Since:
    """A moment, and how to say it ("in the last 2 hours", "today", "since 2026-12-07 04:00 UTC")."""

    at: datetime
    words: str


SINCE_FORMS: Final = "`since 2h`, `since 30m`, `since 3d`, `since today`, `since yesterday` or an ISO time"


def parse_since(text: str | None, *, now: datetime) -> Since:
    """`since` as the user wrote it (without the word "since"), or BadSince."""
    if not text or not text.strip():
        return Since(now - DEFAULT_SINCE, "in the last 24 hours")
    text = text.strip()
    lowered = text.lower()
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if lowered == "today":
        return Since(midnight, "today (since 00:00 UTC)")
    if lowered == "yesterday":
        return Since(midnight - timedelta(days=1), "since yesterday (00:00 UTC)")
    span = _SPAN.fullmatch(lowered)
    if span is not None:
        count, unit = int(span.group(1)), span.group(2)[0]
        delta = timedelta(seconds=count * _UNIT_SECONDS[unit])
        if not count or delta > LONGEST:
            raise BadSince(f"`since` reaches back at most {LONGEST.days} days, and at least a minute")
        return Since(now - delta, f"in the last {plural(count, _UNIT_WORDS[unit])}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadSince(f"I can't read {code('since ' + text, 50)}: try {SINCE_FORMS}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > now or now - moment > LONGEST:
        raise BadSince(f"`since` must be in the last {LONGEST.days} days")
    return Since(moment, f"since {moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC")


VersionsListing = Callable[[RegistryRef, str | None, datetime], Awaitable[Sequence[Change]]]
"""Pushes from the versions listing (newest first, since a moment): for registries without a webhook."""


async def changes_reply(
    store: Store,
    ref: RegistryRef,
    *,
    artifact: str | None,
    since: Since,
    versions: VersionsListing | None,
    page: int = 0,
) -> Reply:
    """The timeline's page (0 is the newest)."""
    async with store.transaction() as tx:
        subscribed = await tx.webhooks.for_registry(ref.path) is not None
        events = (
            await tx.events.timeline(ref.path, since=since.at, artifact=artifact, limit=(page + 1) * PAGE + 1)
            if subscribed
            else []
        )
    if subscribed:
        found = [change for event in events if (change := change_of(event)) is not None]
    elif versions is not None:
        found = list(await versions(ref, artifact, since.at))
    else:
        found = []
    shown = found[page * PAGE : (page + 1) * PAGE]
    more = len(found) > (page + 1) * PAGE
    value = f"{ref.path} {artifact or '-'} {int(since.at.timestamp())} {page + 1}" if more else None
    return timeline(
        shown, registry=ref, artifact=artifact, since=since.words, pushes_only=not subscribed, more=value
    )


def versions_listing(harness: HarnessClient) -> VersionsListing:
    """Pushes from Harness's listings, newest first: an artifact's versions by last-modified time, or for
    the whole registry each artifact's latest version by its last-modified time. No deletes, no pusher."""

    async def listing(ref: RegistryRef, artifact: str | None, since: datetime) -> Sequence[Change]:
        cutoff = int(since.timestamp())
        found: list[Change] = []
        if artifact is not None:
            try:
                named = ArtifactRef(registry=ref, name=artifact)
            except InvalidScope:
                return []  # not a name Harness could hold: nothing was pushed under it
            try:
                versions = await harness.list_versions(named, size=LISTED)
            except NotFound:
                return []  # no such artifact: nothing was pushed under that name
            for version in versions.versions:
                at = epoch_seconds(version.last_modified)
                if at is not None and at >= cutoff and version.name:
                    found.append(Change(ref, artifact, version.name, "pushed", at))
        else:
            artifacts = await harness.list_artifacts(ref, size=LISTED)
            for item in artifacts.artifacts:
                at = epoch_seconds(item.last_modified)
                if at is not None and at >= cutoff and item.name and item.latest_version:
                    found.append(Change(ref, item.name, item.latest_version, "pushed", at))
        return sorted(found, key=lambda change: -change.at)

    return listing
