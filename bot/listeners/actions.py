"""Card buttons: "Open in Harness" (a link), "Refresh" and "Share in channel"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from bot.access import Asker
from bot.answers import look_up
from bot.cards import ACTION_OPEN, ACTION_REFRESH, ACTION_SHARE, stale_button_reply
from bot.scope import InvalidScope, RegistryRef, parse_scope

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_bolt.context.respond.async_respond import AsyncRespond

    from bot.app import Services

logger = logging.getLogger(__name__)

ACTIONS: Final = (ACTION_OPEN, ACTION_REFRESH, ACTION_SHARE)
"""The action_ids listened to: the buttons bot.cards puts on a card."""


def _button_ref(action: dict[str, Any], services: Services) -> RegistryRef | None:
    """The registry a Refresh or Share button carries (its value is the API registry_ref)."""
    value = action.get("value")
    if not isinstance(value, str):
        return None
    try:
        return parse_scope(value, services.scope)
    except InvalidScope:
        return None


async def _stale(respond: AsyncRespond, action: dict[str, Any]) -> None:
    logger.warning("button with an unreadable value action_id=%s", action.get("action_id"))
    await respond(**stale_button_reply().as_kwargs(), response_type="ephemeral", replace_original=False)


async def handle_refresh(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    services: Services,
    asker: Asker,
) -> None:
    """Look the registry up again, skipping the cache, and update the message in place."""
    ref = _button_ref(action, services)
    if ref is None:
        await _stale(respond, action)
        return
    container = body.get("container")
    ephemeral = isinstance(container, dict) and container.get("is_ephemeral") is True
    answer = await look_up(
        ref,
        services,
        surface="refresh",
        asker=asker,
        requested_by=asker.user,
        shareable=ephemeral,
        fresh=True,
    )
    if answer.ok:
        await respond(**answer.reply.as_kwargs(), replace_original=True)
    else:
        await respond(**answer.reply.as_kwargs(), response_type="ephemeral", replace_original=False)


async def handle_share(
    action: dict[str, Any], respond: AsyncRespond, services: Services, asker: Asker
) -> None:
    """Post the card from an ephemeral answer visibly in the channel, attributed to who shared it."""
    ref = _button_ref(action, services)
    if ref is None:
        await _stale(respond, action)
        return
    answer = await look_up(ref, services, surface="share", asker=asker, shared_by=asker.user)
    if not answer.ok:
        await respond(**answer.reply.as_kwargs(), response_type="ephemeral", replace_original=False)
        return
    await respond(**answer.reply.as_kwargs(), response_type="in_channel", replace_original=False)
    await respond(delete_original=True)


def register(app: AsyncApp, services: Services) -> None:
    """Register the three buttons' action listeners: each acknowledges the click, then works in the
    background."""

    async def on_open(ack: AsyncAck) -> None:
        await ack()  # a link button: Slack opens the URL; the click still has to be acknowledged

    async def on_refresh(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        work = handle_refresh(body, action, respond, services, Asker.from_context(context))
        services.background.spawn(work, body=body, respond=respond, name=ACTION_REFRESH)

    async def on_share(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        work = handle_share(action, respond, services, Asker.from_context(context))
        services.background.spawn(work, body=body, respond=respond, name=ACTION_SHARE)

    listeners = {ACTION_OPEN: on_open, ACTION_REFRESH: on_refresh, ACTION_SHARE: on_share}
    for action_id in ACTIONS:
        app.action(action_id)(listeners[action_id])
