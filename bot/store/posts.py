"""The `posts` table, the outbox: each event to post to each channel, until it is posted.

A poster claims due posts with a lease (`claim`): the claim moves `next_attempt_at` past the lease in the
same UPDATE that selects them, so two instances never hold the same post; one that crashes mid-post
leaves its claims to be taken again when the lease ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from bot.store.base import Repository, to_record
from bot.store.models import Post
from bot.store.records import PostRecord

ERROR_CHARS = 256


class Posts(Repository):
    async def add(
        self,
        *,
        channel: str,
        event_id: int,
        at: datetime,
        subscription_id: int | None = None,
        group_key: str | None = None,
    ) -> int | None:
        """Queue an event for a channel, due now; None when it is queued for that channel already."""
        statement = (
            self.insert(Post)
            .values(
                channel=channel,
                event_id=event_id,
                subscription_id=subscription_id,
                group_key=group_key,
                state="pending",
                attempts=0,
                next_attempt_at=at,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["channel", "event_id"])
            .returning(Post.id)
        )
        post_id: int | None = (await self.session.execute(statement)).scalar_one_or_none()
        return post_id

    async def get(self, post_id: int) -> PostRecord | None:
        row = await self.session.get(Post, post_id)
        return None if row is None else to_record(PostRecord, row)

    async def claim(self, *, now: datetime, lease: timedelta, limit: int = 50) -> list[PostRecord]:
        """Take up to `limit` due pending posts, oldest due first, for `lease`; counts an attempt each."""
        due = (
            select(Post.id)
            .where(Post.state == "pending", Post.next_attempt_at <= now)
            .order_by(Post.next_attempt_at, Post.id)
            .limit(limit)
            .scalar_subquery()
        )
        statement = (
            update(Post)
            # Checked again on the row: a concurrent claimer that got it first has moved next_attempt_at.
            .where(Post.id.in_(due), Post.state == "pending", Post.next_attempt_at <= now)
            .values(next_attempt_at=now + lease, attempts=Post.attempts + 1)
            .returning(Post)
            .execution_options(synchronize_session=False)
        )
        rows = (await self.session.scalars(statement)).all()
        return sorted((to_record(PostRecord, row) for row in rows), key=lambda post: post.id)

    async def mark_posted(self, post_id: int, *, slack_ts: str | None, at: datetime) -> None:
        await self.session.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(state="posted", slack_ts=slack_ts, posted_at=at, last_error=None)
        )

    async def retry_at(self, post_id: int, *, at: datetime, error: str) -> None:
        """Leave it pending, due again at `at` (Slack's Retry-After, or a backoff)."""
        await self.session.execute(
            update(Post).where(Post.id == post_id).values(next_attempt_at=at, last_error=error[:ERROR_CHARS])
        )

    async def mark_failed(self, post_id: int, *, error: str) -> None:
        """Give up on it (its subscription ended, or Slack refused it for good)."""
        await self.session.execute(
            update(Post).where(Post.id == post_id).values(state="failed", last_error=error[:ERROR_CHARS])
        )

    async def in_group(self, group_key: str) -> list[PostRecord]:
        """Every post of one coalesced message, oldest first (the first one posted holds its ts)."""
        rows = await self.session.scalars(select(Post).where(Post.group_key == group_key).order_by(Post.id))
        return [to_record(PostRecord, row) for row in rows]

    async def pending_count(self) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Post).where(Post.state == "pending")
        )
        return int(count or 0)
