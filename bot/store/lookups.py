"""The `recent_lookups` table: the last few things each user looked up (App Home lists them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, func, select

from bot.store.base import Repository, to_record
from bot.store.models import RecentLookup
from bot.store.records import LookupKind, RecentLookupRecord

KEPT_PER_USER: Final = 10
ROWS_PER_STATEMENT: Final = 500
"""Rows of one INSERT at most (4 parameters each: far inside SQLite's and PostgreSQL's limits)."""


@dataclass(frozen=True, slots=True)
class Lookup:
    """A lookup to remember: who looked what up, when."""

    user: str
    kind: LookupKind
    ref: str
    at: datetime


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
        await self._forget_past(user, keep)

    async def record_many(self, lookups: Sequence[Lookup], *, keep: int = KEPT_PER_USER) -> None:
        """Remember many lookups at once (each again: moved to the top), then forget all but each user's
        newest `keep`: a few statements for a whole batch instead of two per lookup."""
        newest: dict[tuple[str, str, str], datetime] = {}
        for lookup in lookups:  # one row per key in a statement (PostgreSQL refuses a row twice)
            key = (lookup.user, lookup.kind, lookup.ref)
            newest[key] = max(lookup.at, newest.get(key, lookup.at))
        rows = [
            {"user": user, "kind": kind, "ref": ref, "looked_up_at": at}
            for (user, kind, ref), at in newest.items()
        ]
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            statement = self.insert(RecentLookup).values(rows[start : start + ROWS_PER_STATEMENT])
            statement = statement.on_conflict_do_update(
                index_elements=["user", "kind", "ref"], set_={"looked_up_at": statement.excluded.looked_up_at}
            )
            await self.session.execute(statement)
        users = list(dict.fromkeys(user for user, _, _ in newest))
        for start in range(0, len(users), ROWS_PER_STATEMENT):
            await self._forget_past_all(users[start : start + ROWS_PER_STATEMENT], keep)

    async def _forget_past_all(self, users: Sequence[str], keep: int) -> None:
        """All but each of `users`' newest `keep`, forgotten in one statement (a window over the users)."""
        rank = (
            func.row_number()
            .over(
                partition_by=RecentLookup.user,
                order_by=(RecentLookup.looked_up_at.desc(), RecentLookup.id.desc()),
            )
            .label("rank")
        )
        ranked = select(RecentLookup.id, rank).where(RecentLookup.user.in_(users)).subquery()
        past = select(ranked.c.id).where(ranked.c.rank > keep)
        await self.session.execute(delete(RecentLookup).where(RecentLookup.id.in_(past)))

    async def _forget_past(self, user: str, keep: int) -> None:
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
