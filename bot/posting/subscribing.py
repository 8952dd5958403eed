"""Subscribing a channel to a registry, and the one Harness webhook every channel of that registry shares.

The first subscription to a registry creates its webhook in Harness (a fresh identifier, a random token
in a masked extra header, the operator's secret when one is named), then stores it with the token's hash:
if Harness refuses, nothing is stored. The last unsubscribe deletes it in Harness, then forgets it. Two
subscribes racing for one registry both create one; the loser deletes its own and joins the winner's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError

from bot.harness.webhooks import new_identifier, webhook_request
from bot.parsing.globs import Filter
from bot.posting.fanout import registry_of
from bot.refs import RegistryRef
from bot.store import new_token

if TYPE_CHECKING:
    from bot.harness.client import HarnessClient
    from bot.store import Store, SubscriptionRecord, WebhookRecord

logger = logging.getLogger(__name__)

NOT_IN_CHANNEL: Final = (
    "I'm not in this channel, so I couldn't post what changed here: invite me with `/invite @harbot` "
    "(or add me from the channel's details), then subscribe again."
)
RECEIVER_PATH: Final = "/harness/webhooks/"
"""Where the bot's HTTP server receives deliveries: PUBLIC_URL + this + the webhook identifier."""


@dataclass(frozen=True, slots=True)
class Subscribed:
    subscription: SubscriptionRecord
    new: bool
    """False: the channel had this subscription already (its events were updated)."""
    created_webhook: bool


def delivery_url(public_url: str, identifier: str) -> str:
    return f"{public_url.rstrip('/')}{RECEIVER_PATH}{identifier}"


class Subscriber:
    """Subscriptions and their webhooks, kept in the store and in Harness together."""

    def __init__(
        self,
        *,
        store: Store,
        harness: HarnessClient,
        public_url: str,
        secret_identifier: str | None = None,
        secret_space_path: str | None = None,
    ) -> None:
        self._store = store
        self._harness = harness
        self._public_url = public_url
        self._secret_identifier = secret_identifier
        self._secret_space_path = secret_space_path

    async def subscribe(
        self, *, channel: str, ref: RegistryRef, wanted: Filter, user: str, team: str | None = None
    ) -> Subscribed:
        """Subscribe `channel`; creates the registry's webhook first when it has none (HarnessError, e.g.
        CannotManageWebhooks, when Harness refuses: then nothing is stored)."""
        created = False
        async with self._store.transaction() as tx:
            hook = await tx.webhooks.for_registry(ref.path)
        if hook is None:
            hook, created = await self._create_webhook(ref)
        now = datetime.now(UTC)
        async with self._store.transaction() as tx:
            subscription, new = await tx.subscriptions.add(
                channel=channel,
                registry=ref.path,
                created_by=user,
                at=now,
                artifact_glob=wanted.artifact_glob,
                tag_glob=wanted.tag_glob,
                pushes=wanted.pushes,
                deletes=wanted.deletes,
                team=team,
            )
        return Subscribed(subscription=subscription, new=new, created_webhook=created)

    async def _create_webhook(self, ref: RegistryRef) -> tuple[WebhookRecord, bool]:
        identifier = new_identifier()
        token = new_token()
        request = webhook_request(
            identifier=identifier,
            registry=ref.short,
            url=delivery_url(self._public_url, identifier),
            token=token,
            secret_identifier=self._secret_identifier,
            # One secret serves every registry, so it lives in the account unless told otherwise.
            secret_space_path=(self._secret_space_path or ref.account) if self._secret_identifier else None,
        )
        await self._harness.create_webhook(ref, request)
        try:
            async with self._store.transaction() as tx:
                hook = await tx.webhooks.add(
                    registry=ref.path, identifier=identifier, token=token, at=datetime.now(UTC)
                )
        except IntegrityError:
            # Another subscribe (here or on another instance) stored one first: use it, remove ours.
            await self._harness.delete_webhook(ref, identifier)
            async with self._store.transaction() as tx:
                existing = await tx.webhooks.for_registry(ref.path)
            if existing is None:
                raise
            return existing, False
        logger.info("webhook created registry=%s webhook=%s", ref.path, identifier)
        return hook, True

    async def unsubscribe(self, subscription_id: int, *, channel: str) -> SubscriptionRecord | None:
        """End one of the channel's subscriptions (None: not an active one of this channel); the
        registry's webhook goes with the last one."""
        async with self._store.transaction() as tx:
            found = await tx.subscriptions.get(subscription_id)
            if found is None or found.channel != channel or not found.active:
                return None
            ended = await tx.subscriptions.end(subscription_id, at=datetime.now(UTC))
        if ended is not None:
            await self.release(ended.registry)
        return ended

    async def release(self, registry: str) -> bool:
        """Delete the registry's webhook when no active subscription is left; whether it was deleted.
        Harness trouble leaves it stored (doctor shows it; the next unsubscribe or start tries again)."""
        async with self._store.transaction() as tx:
            if await tx.subscriptions.count_for_registry(registry):
                return False
            hook = await tx.webhooks.for_registry(registry)
        if hook is None:
            return False
        ref = registry_of(registry)
        if ref is not None:
            await self._harness.delete_webhook(ref, hook.identifier)
        async with self._store.transaction() as tx:
            await tx.webhooks.remove(hook.id)
            again = await tx.subscriptions.count_for_registry(registry)
        logger.info("webhook deleted registry=%s webhook=%s", registry, hook.identifier)
        if again and ref is not None:
            # A subscribe came in while Harness deleted it: that channel still needs one.
            await self._create_webhook(ref)
            return False
        return True


async def channel_problem(web: AsyncWebClient, channel: str) -> str | None:
    """Why the bot could not post to `channel` (conversations.info), as a sentence; None when it can, or
    when Slack does not say (the first post will tell, and end the subscription if need be)."""
    try:
        # A form POST: Slack takes JSON bodies for write methods only.
        answer = await web.api_call("conversations.info", data={"channel": channel})
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error == "channel_not_found":
            return NOT_IN_CHANNEL
        return None
    except (aiohttp.ClientError, TimeoutError):
        return None
    info = answer.get("channel") or {}
    if info.get("is_archived"):
        return "This channel is archived: I can't post here."
    if info.get("is_member") is False and not info.get("is_im"):
        return NOT_IN_CHANNEL
    return None
