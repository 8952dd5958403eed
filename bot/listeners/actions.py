"""Card buttons: "Open in Harness" (a link), "Refresh" and "Share in channel"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final

from bot.access import Asker
from bot.answers import look_up
from bot.cards import ACTION_OPEN, ACTION_REFRESH, ACTION_SHARE, stale_button_reply
from bot.parsing import InvalidScope, parse_scope
from bot.refs import RegistryRef

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_bolt.context.async_context import AsyncBoltContext

    from bot.services import Services
    from bot.slack.connection import Respond

logger = logging.getLogger(__name__)

ACTIONS: Final = (ACTION_OPEN, ACTION_REFRESH, ACTION_SHARE)
"""The action_ids listened to: the buttons bot.cards puts on a card."""

ButtonHandler = Callable[
    [dict[str, Any], dict[str, Any], "Respond", "Services", Asker], Coroutine[Any, Any, None]
]
"""What a click does after it is acknowledged: (body, action, respond, services, asker)."""


def _button_ref(action: dict[str, Any], services: Services) -> RegistryRef | None:
    """The registry a Refresh or Share button carries (its value is the API registry_ref)."""
    value = action.get("value")
    if not isinstance(value, str):
        return None
    try:
        return parse_scope(value, services.scope)
    except InvalidScope:
        return None


async def _clicked_ref(action: dict[str, Any], respond: Respond, services: Services) -> RegistryRef | None:
    """The button's registry; when its value cannot be read, the clicker is told so and None returned."""
    ref = _button_ref(action, services)
    if ref is None:
        logger.warning("button with an unreadable value action_id=%s", action.get("action_id"))
        await respond(**stale_button_reply().as_kwargs(), response_type="ephemeral", replace_original=False)
    return ref


async def handle_refresh(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    services: Services,
    asker: Asker,
) -> None:
    """Look the registry up again, skipping the cache, and update the message in place."""
    ref = await _clicked_ref(action, respond, services)
    if ref is None:
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
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Post the card from an ephemeral answer visibly in the channel, attributed to who shared it."""
    ref = await _clicked_ref(action, respond, services)
    if ref is None:
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

    def on_click(handler: ButtonHandler, name: str) -> Callable[..., Awaitable[None]]:
        async def listener(
            ack: AsyncAck,
            body: dict[str, Any],
            action: dict[str, Any],
            respond: Respond,
            context: AsyncBoltContext,
        ) -> None:
            await ack()
            work = handler(body, action, respond, services, Asker.from_context(context))
            services.background.spawn(work, body=body, respond=respond, name=name)

        return listener

    listeners = {
        ACTION_OPEN: on_open,
        ACTION_REFRESH: on_click(handle_refresh, ACTION_REFRESH),
        ACTION_SHARE: on_click(handle_share, ACTION_SHARE),
    }
    for action_id in ACTIONS:
        app.action(action_id)(listeners[action_id])
