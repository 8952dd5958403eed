"""The `recent_lookups` table: the last few things each user looked up (App Home lists them)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import delete, select

from bot.store.base import Repository, to_record
from bot.store.models import RecentLookup
from bot.store.records import LookupKind, RecentLookupRecord

KEPT_PER_USER: Final = 10


class RecentLookups(Repository):
    async def record(
        self, *, user: str, kind: LookupKind, ref: str, at: datetime, keep: int = KEPT_PER_USER
    ) -> None:
        """Remember a lookup (again: moved to the top), then forget all but the user's newest `keep`."""
        statement = self.insert(RecentLookup).values(user=user, kind=kind, ref=ref, looked_up_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=["user", "kind", "ref"], set_={"looked_up_at": at}
        )
        await self.session.execute(statement)
        kept = (
            select(RecentLookup.id)
            .where(RecentLookup.user == user)
            .order_by(RecentLookup.looked_up_at.desc(), RecentLookup.id.desc())
            .limit(keep)
        )
        await self.session.execute(
            delete(RecentLookup).where(
                RecentLookup.user == user, RecentLookup.id.not_in(kept.scalar_subquery())
            )
        )

    async def for_user(self, user: str, *, limit: int = KEPT_PER_USER) -> list[RecentLookupRecord]:
        """The user's lookups, newest first."""
        rows = await self.session.scalars(
            select(RecentLookup)
            .where(RecentLookup.user == user)
            .order_by(RecentLookup.looked_up_at.desc(), RecentLookup.id.desc())
            .limit(limit)
        )
        return [to_record(RecentLookupRecord, row) for row in rows]
