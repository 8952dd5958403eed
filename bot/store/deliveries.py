"""The `deliveries` table: what Harness delivered, stored before it is acknowledged, once per key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update

from bot.store.base import Repository, to_record
from bot.store.models import Delivery
from bot.store.records import DeliveryRecord


class Deliveries(Repository):
    async def add(
        self, *, key: str, webhook_id: int | None, received_at: datetime, body: str, state: str = "received"
    ) -> DeliveryRecord | None:
        """Store a delivery; None when one with this key is already stored (by this or another
        instance: the key's unique index decides, so two concurrent receivers store it once)."""
        values = {"key": key, "webhook_id": webhook_id, "received_at": received_at, "body": body}
        statement = (
            self.insert(Delivery)
            .values(**values, state=state)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Delivery.id)
        )
        delivery_id = (await self.session.execute(statement)).scalar_one_or_none()
        if delivery_id is None:
            return None
        return DeliveryRecord(id=delivery_id, state=state, **values)  # type: ignore[arg-type]

    async def by_key(self, key: str) -> DeliveryRecord | None:
        row = await self.session.scalar(select(Delivery).where(Delivery.key == key))
        return None if row is None else to_record(DeliveryRecord, row)

    async def seen(self, keys: list[str]) -> set[str]:
        """Which of `keys` are stored already (catching up skips those)."""
        if not keys:
            return set()
        return set(await self.session.scalars(select(Delivery.key).where(Delivery.key.in_(keys))))

    async def set_state(self, delivery_id: int, state: str) -> None:
        await self.session.execute(update(Delivery).where(Delivery.id == delivery_id).values(state=state))

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Delivery)) or 0)

    async def prune(self, *, before: datetime) -> int:
        """Delete deliveries received before `before` (their events and posts go with them)."""
        result = await self.session.execute(delete(Delivery).where(Delivery.received_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
