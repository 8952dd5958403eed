"""Buttons: the card's "Open in Harness" (a link), "Refresh", "Share in channel" and "How to pull"; the
list card's Previous/Next (paging in place) and per-row Open; did-you-mean choices."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final

from bot.access import Asker
from bot.answers import Answer, look_up
from bot.cards import ACTION_OPEN, ACTION_PULL, ACTION_REFRESH, ACTION_SHARE, CardOptions, stale_button_reply
from bot.cards.listing import (
    ACTION_CHOOSE,
    ACTION_CHOOSE_PULL,
    ACTION_LIST_NEXT,
    ACTION_LIST_OPEN,
    ACTION_LIST_PREVIOUS,
)
from bot.finding import list_page, pull_answer
from bot.finding.queries import decode_query
from bot.listeners.needs import Needs
from bot.parsing import InvalidScope, parse_scope
from bot.refs import RegistryRef

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_bolt.context.async_context import AsyncBoltContext

    from bot.services import Services
    from bot.slack.connection import Respond

logger = logging.getLogger(__name__)


def _indexed(action_id: str) -> re.Pattern[str]:
    """Buttons repeated in one message carry their index (`list_open_3`): action ids must differ."""
    return re.compile(rf"{re.escape(action_id)}_[0-9]{{1,2}}")


LIST_OPEN: Final = _indexed(ACTION_LIST_OPEN)
CHOOSE: Final = _indexed(ACTION_CHOOSE)
CHOOSE_PULL: Final = _indexed(ACTION_CHOOSE_PULL)
ACTIONS: Final[tuple[str | re.Pattern[str], ...]] = (
    ACTION_OPEN,
    ACTION_REFRESH,
    ACTION_SHARE,
    ACTION_PULL,
    ACTION_LIST_NEXT,
    ACTION_LIST_PREVIOUS,
    LIST_OPEN,
    CHOOSE,
    CHOOSE_PULL,
)
"""The action_ids listened to: the buttons bot.cards, bot.cards.listing and bot.cards.pull put on messages."""
NEEDS: Final = Needs()
"""Buttons answer through the action's response_url: interactivity only, which the registrations show."""

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
        await _stale(action, respond)
    return ref


async def _stale(action: dict[str, Any], respond: Respond) -> None:
    """A button whose value cannot be read: logged, and the clicker told to ask again."""
    logger.warning("button with an unreadable value action_id=%s", action.get("action_id"))
    await respond(**stale_button_reply().as_kwargs(), response_type="ephemeral", replace_original=False)


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
        services.deps,
        surface="refresh",
        asker=asker,
        card=CardOptions(requested_by=asker.user, shareable=ephemeral),
        fresh=True,
    )
    await _answer(answer, respond, replace=True)


async def handle_share(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Post the card from an ephemeral answer visibly in the channel, attributed to who shared it."""
    ref = await _clicked_ref(action, respond, services)
    if ref is None:
        return
    answer = await look_up(
        ref, services.deps, surface="share", asker=asker, card=CardOptions.for_asker(asker.user, public=True)
    )
    if not answer.ok:
        await _answer(answer, respond, replace=False)
        return
    await respond(**answer.reply.as_kwargs(), response_type="in_channel", replace_original=False)
    await respond(delete_original=True)


async def _answer(answer: Answer, respond: Respond, *, replace: bool) -> None:
    """An answer to a click: in place of the clicked message when `replace` and it worked, else a new
    message only the clicker sees."""
    if answer.ok and replace:
        await respond(**answer.reply.as_kwargs(), replace_original=True)
    else:
        await respond(**answer.reply.as_kwargs(), response_type="ephemeral", replace_original=False)


async def handle_page(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Previous or Next on a list card: that page, in place of the one shown."""
    query = decode_query(action.get("value"), services.scope)
    if query is None:
        await _stale(action, respond)
        return
    await _answer(await list_page(query, services.deps, asker, surface="page"), respond, replace=True)


async def handle_open(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """A list row's Open: the registry's card, beside the list (only the clicker sees it)."""
    ref = await _clicked_ref(action, respond, services)
    if ref is None:
        return
    answer = await look_up(
        ref, services.deps, surface="list", asker=asker, card=CardOptions.for_asker(asker.user, public=False)
    )
    await _answer(answer, respond, replace=False)


async def handle_choose(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """A did-you-mean choice: the chosen registry's card, in place of the question."""
    ref = await _clicked_ref(action, respond, services)
    if ref is None:
        return
    answer = await look_up(
        ref,
        services.deps,
        surface="choice",
        asker=asker,
        card=CardOptions.for_asker(asker.user, public=False, found=True),
    )
    await _answer(answer, respond, replace=True)


async def handle_pull(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """ "How to pull" (on a card, or a did-you-mean choice from `/har pull`): the set-up steps, to the
    clicker only; a choice's steps replace the question."""
    ref = await _clicked_ref(action, respond, services)
    if ref is None:
        return
    answer = await pull_answer(ref, services.deps, asker, surface="pull-button")
    await _answer(answer, respond, replace=CHOOSE_PULL.fullmatch(str(action.get("action_id"))) is not None)


def clicked(handler: ButtonHandler, name: str, services: Services) -> Callable[..., Awaitable[None]]:
    """A button's listener: acknowledge the click, then run `handler` in the background."""

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


def register(app: AsyncApp, services: Services) -> None:
    """Register the buttons' action listeners: each acknowledges the click, then works in the
    background."""

    async def on_open(ack: AsyncAck) -> None:
        await ack()  # a link button: Slack opens the URL; the click still has to be acknowledged

    def on_click(handler: ButtonHandler, name: str) -> Callable[..., Awaitable[None]]:
        return clicked(handler, name, services)

    listeners: dict[str | re.Pattern[str], Callable[..., Awaitable[None]]] = {
        ACTION_OPEN: on_open,
        ACTION_REFRESH: on_click(handle_refresh, ACTION_REFRESH),
        ACTION_SHARE: on_click(handle_share, ACTION_SHARE),
        ACTION_PULL: on_click(handle_pull, ACTION_PULL),
        ACTION_LIST_NEXT: on_click(handle_page, ACTION_LIST_NEXT),
        ACTION_LIST_PREVIOUS: on_click(handle_page, ACTION_LIST_PREVIOUS),
        LIST_OPEN: on_click(handle_open, ACTION_LIST_OPEN),
        CHOOSE: on_click(handle_choose, ACTION_CHOOSE),
        CHOOSE_PULL: on_click(handle_pull, ACTION_CHOOSE_PULL),
    }
    for action_id in ACTIONS:
        app.action(action_id)(listeners[action_id])
