"""The `events` table: versions pushed and deleted, newest first for the timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select

from bot.store.base import Repository, to_record
from bot.store.models import Event
from bot.store.records import EventRecord, NewEvent


class Events(Repository):
    async def add(self, event: NewEvent, *, delivery_id: int | None) -> EventRecord:
        row = _row(event, delivery_id)
        self.session.add(row)
        await self.session.flush()
        return to_record(EventRecord, row)

    async def add_many(self, events: list[tuple[NewEvent, int | None]]) -> list[EventRecord]:
        """Store many events (each with its delivery's id) in one flush; the stored events, in order."""
        if not events:
            return []
        rows = [_row(event, delivery_id) for event, delivery_id in events]
        self.session.add_all(rows)
        await self.session.flush()
        return [to_record(EventRecord, row) for row in rows]

    async def get(self, event_id: int) -> EventRecord | None:
        row = await self.session.get(Event, event_id)
        return None if row is None else to_record(EventRecord, row)

    async def after(self, event_id: int, *, limit: int = 100) -> list[EventRecord]:
        """Events stored after `event_id`, oldest first: how a poster walks what arrived."""
        rows = await self.session.scalars(
            select(Event).where(Event.id > event_id).order_by(Event.id).limit(limit)
        )
        return [to_record(EventRecord, row) for row in rows]

    async def timeline(
        self,
        registry: str,
        *,
        since: datetime,
        artifact: str | None = None,
        after: EventRecord | None = None,
        limit: int = 20,
    ) -> list[EventRecord]:
        """A registry's events at or after `since`, newest first; `after` pages on (pass the last event of
        the previous page: the order is by time, then id, so a late event keeps its place)."""
        query = select(Event).where(Event.registry_ref == registry, Event.at >= since)
        if artifact is not None:
            query = query.where(Event.artifact == artifact)
        if after is not None:
            query = query.where(or_(Event.at < after.at, and_(Event.at == after.at, Event.id < after.id)))
        rows = await self.session.scalars(query.order_by(Event.at.desc(), Event.id.desc()).limit(limit))
        return [to_record(EventRecord, row) for row in rows]

    async def count(self, registry: str | None = None) -> int:
        query = select(func.count()).select_from(Event)
        if registry is not None:
            query = query.where(Event.registry_ref == registry)
        return int(await self.session.scalar(query) or 0)

    async def prune(self, *, before: datetime) -> int:
        """Delete events that happened before `before` (their posts go with them)."""
        result = await self.session.execute(delete(Event).where(Event.at < before))
        return int(getattr(result, "rowcount", 0) or 0)


def _row(event: NewEvent, delivery_id: int | None) -> Event:
    return Event(
        delivery_id=delivery_id,
        registry_ref=event.registry,
        artifact=event.artifact,
        version=event.version,
        trigger=event.trigger,
        at=event.at,
        digest=event.digest,
        package_type=event.package_type,
        principal_name=event.principal_name,
        principal_email=event.principal_email,
        url=event.url,
        late=event.late,
    )
