"""The `subscriptions` table: which channel hears about which registry's pushes and deletes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import func, select, update

from bot.store.base import Repository, to_record
from bot.store.models import Subscription
from bot.store.records import SubscriptionRecord

CHANNELS_PER_QUERY: Final = 500
"""Channel ids in one IN list (SQLite's old limit is 999 parameters)."""


class Subscriptions(Repository):
    async def add(
        self,
        *,
        channel: str,
        registry: str,
        created_by: str,
        at: datetime,
        artifact_glob: str = "*",
        tag_glob: str = "*",
        pushes: bool = True,
        deletes: bool = True,
        team: str | None = None,
    ) -> tuple[SubscriptionRecord, bool]:
        """Subscribe; the same channel, registry and globs again updates the events wanted and makes it
        active. Returns the subscription and whether it is new (or was ended)."""
        row = await self.session.scalar(
            select(Subscription).where(
                Subscription.channel == channel,
                Subscription.registry_ref == registry,
                Subscription.artifact_glob == artifact_glob,
                Subscription.tag_glob == tag_glob,
            )
        )
        created = row is None or not row.active
        if row is None:
            row = Subscription(
                team=team,
                channel=channel,
                registry_ref=registry,
                artifact_glob=artifact_glob,
                tag_glob=tag_glob,
                created_by=created_by,
                created_at=at,
            )
            self.session.add(row)
        elif not row.active:
            row.created_by, row.created_at, row.ended_at = created_by, at, None
        row.pushes, row.deletes, row.active = pushes, deletes, True
        await self.session.flush()
        return to_record(SubscriptionRecord, row), created

    async def get(self, subscription_id: int) -> SubscriptionRecord | None:
        row = await self.session.get(Subscription, subscription_id)
        return None if row is None else to_record(SubscriptionRecord, row)

    async def for_channel(self, channel: str) -> list[SubscriptionRecord]:
        """The channel's active subscriptions, oldest first."""
        rows = await self.session.scalars(
            select(Subscription)
            .where(Subscription.channel == channel, Subscription.active.is_(True))
            .order_by(Subscription.id)
        )
        return [to_record(SubscriptionRecord, row) for row in rows]

    async def for_channels(self, channels: Sequence[str], *, limit: int = 500) -> list[SubscriptionRecord]:
        """The active subscriptions of any of `channels`, by channel then oldest first; at most `limit`."""
        found: list[SubscriptionRecord] = []
        wanted = list(dict.fromkeys(channels))
        for start in range(0, len(wanted), CHANNELS_PER_QUERY):
            rows = await self.session.scalars(
                select(Subscription)
                .where(
                    Subscription.channel.in_(wanted[start : start + CHANNELS_PER_QUERY]),
                    Subscription.active.is_(True),
                )
                .order_by(Subscription.channel, Subscription.id)
                .limit(limit - len(found))
            )
            found += [to_record(SubscriptionRecord, row) for row in rows]
            if len(found) >= limit:
                break
        return found

    async def count_for_channels(self, channels: Sequence[str]) -> int:
        """Active subscriptions of any of `channels` (what the Home tab's "and N more" counts)."""
        total = 0
        wanted = list(dict.fromkeys(channels))
        for start in range(0, len(wanted), CHANNELS_PER_QUERY):
            count = await self.session.scalar(
                select(func.count())
                .select_from(Subscription)
                .where(
                    Subscription.channel.in_(wanted[start : start + CHANNELS_PER_QUERY]),
                    Subscription.active.is_(True),
                )
            )
            total += int(count or 0)
        return total

    async def for_registry(self, registry: str) -> list[SubscriptionRecord]:
        """Every channel's active subscriptions to `registry`, oldest first."""
        rows = await self.session.scalars(
            select(Subscription)
            .where(Subscription.registry_ref == registry, Subscription.active.is_(True))
            .order_by(Subscription.id)
        )
        return [to_record(SubscriptionRecord, row) for row in rows]

    async def count_for_registry(self, registry: str) -> int:
        """Active subscriptions to `registry` (0: its webhook can go)."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(Subscription.registry_ref == registry, Subscription.active.is_(True))
        )
        return int(count or 0)

    async def end(self, subscription_id: int, *, at: datetime) -> SubscriptionRecord | None:
        """End one subscription; the ended one, or None when there was no active one with that id."""
        row = await self.session.get(Subscription, subscription_id)
        if row is None or not row.active:
            return None
        row.active, row.ended_at = False, at
        await self.session.flush()
        return to_record(SubscriptionRecord, row)

    async def end_channel(self, channel: str, *, at: datetime) -> list[str]:
        """End every subscription of a channel (the bot left it, or it was archived); the registries
        they were for."""
        ended = await self.for_channel(channel)
        await self.session.execute(
            update(Subscription)
            .where(Subscription.channel == channel, Subscription.active.is_(True))
            .values(active=False, ended_at=at)
        )
        return sorted({subscription.registry for subscription in ended})
