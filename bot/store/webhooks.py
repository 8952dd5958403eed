"""The `webhooks` table: one Harness webhook per registry, its delivery token stored as a sha256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select, update

from bot.store.base import Repository, to_record
from bot.store.models import Webhook
from bot.store.records import WebhookRecord

TOKEN_BYTES: Final = 32


def new_token() -> str:
    """A random delivery token (URL- and header-safe): Harness sends it back in a masked extra header."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What is stored of a token: its sha256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Whether `token` is the one `token_hash` was made from, compared in constant time."""
    return hmac.compare_digest(hash_token(token).encode(), token_hash.encode())


class Webhooks(Repository):
    async def add(
        self, *, registry: str, identifier: str, token: str, at: datetime, state: str = "active"
    ) -> WebhookRecord:
        """Store a webhook (the token is hashed here and never kept); IntegrityError when the registry or
        the identifier already has one."""
        row = Webhook(
            registry_ref=registry,
            identifier=identifier,
            token_hash=hash_token(token),
            state=state,
            created_at=at,
        )
        self.session.add(row)
        await self.session.flush()
        return to_record(WebhookRecord, row)

    async def by_identifier(self, identifier: str) -> WebhookRecord | None:
        row = await self.session.scalar(select(Webhook).where(Webhook.identifier == identifier))
        return None if row is None else to_record(WebhookRecord, row)

    async def for_registry(self, registry: str) -> WebhookRecord | None:
        row = await self.session.scalar(select(Webhook).where(Webhook.registry_ref == registry))
        return None if row is None else to_record(WebhookRecord, row)

    async def all(self) -> list[WebhookRecord]:
        rows = await self.session.scalars(select(Webhook).order_by(Webhook.id))
        return [to_record(WebhookRecord, row) for row in rows]

    async def set_state(self, webhook_id: int, state: str) -> None:
        await self.session.execute(update(Webhook).where(Webhook.id == webhook_id).values(state=state))

    async def mark_delivery(self, webhook_id: int, *, at: datetime, status: str) -> None:
        """Remember the last delivery's time and outcome (`accepted`, `duplicate`, `refused_signature`…)."""
        await self.session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id)
            .values(last_delivery_at=at, last_delivery_status=status)
        )

    async def remove(self, webhook_id: int) -> bool:
        result = await self.session.execute(delete(Webhook).where(Webhook.id == webhook_id))
        return bool(getattr(result, "rowcount", 0))
