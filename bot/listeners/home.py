"""Without typing: the App Home tab, the as-you-type registry search, the "Look up in Harness" message
shortcut, and the "Find a registry" modal with Share to a channel.

Every lookup goes through bot.answers (the allow-lists, the cache, the lookup log line); each action also
logs one `home` line saying what was asked and how it ended.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from slack_sdk.errors import SlackApiError

from bot.access import Asker
from bot.answers import Answer, look_up
from bot.cards import CardOptions, Reply
from bot.cards.blocks import context, message
from bot.cards.home import (
    ACTION_HOME_FIND,
    ACTION_HOME_OPEN,
    ACTION_MODAL_CHANNEL,
    ACTION_MODAL_FIND,
    ACTION_MODAL_SHARE,
    FIND_BLOCK,
    FIND_CALLBACK,
    card_modal,
    find_modal,
    modal_note,
    search_options,
)
from bot.finding import visible_rows
from bot.harness.errors import HarnessError
from bot.harness.searches import ListQuery
from bot.listeners.home_tab import audit, publish_home, refresh_home
from bot.listeners.needs import Needs
from bot.listeners.recent import read_registry, read_target, run_task
from bot.names import BOT_HANDLE
from bot.parsing import find_links
from bot.refs import SpaceRef, Target
from bot.tasks import Lookup
from bot.tasks.targets import task_for

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.services import Services

logger = logging.getLogger(__name__)

SHORTCUT_LOOK_UP: Final = "look_up_in_harness"
SHORTCUT_FIND: Final = FIND_CALLBACK
MAX_SHORTCUT_CARDS: Final = 5
OPTIONS_SIZE: Final = 20
OPTIONS_PATIENCE: Final = 2.5
"""Seconds the search may take: Slack waits 3 for the options."""
HOME_OPEN: Final = re.compile(rf"{ACTION_HOME_OPEN}_[0-9]{{1,2}}")
NEEDS: Final = Needs(bot_events=("app_home_opened",), scopes=("chat:write", "channels:read", "groups:read"))
"""The Home tab's event; views.publish/open/update need no scope beyond the bot's, posts need chat:write,
users.conversations (the user's channels, for their subscriptions) channels:read and groups:read."""


# --- App Home -------------------------------------------------------------------------------------------


async def search(value: object, services: Services, asker: Asker) -> list[dict[str, Any]]:
    """Options for the search box: the account searched for `value`, within the allow-lists."""
    term = value.strip() if isinstance(value, str) else ""
    if not term:
        return []
    query = ListQuery(SpaceRef(account=services.scope.account_id), search_term=term[:100], size=OPTIONS_SIZE)
    try:
        async with asyncio.timeout(OPTIONS_PATIENCE):
            listing = await services.deps.searches.page(query)
    except (HarnessError, TimeoutError) as exc:
        audit("search", asker.user, "", type(exc).__name__)
        return []
    options = search_options(visible_rows(listing, services.deps, asker))
    audit("search", asker.user, "", f"options={len(options)}")
    return options


async def open_privately(target: Target, client: AsyncWebClient, services: Services, asker: Asker) -> None:
    """The card of a registry, artifact or version in the user's DM with the bot (the channel id of a DM
    is the user id); the Home tab then shows it first among the recent lookups."""
    if asker.user is None:
        return
    answer = await run_task(task_for(target), services, asker, surface="home")
    await client.chat_postMessage(channel=asker.user, **answer.reply.as_kwargs())
    audit("open", asker.user, target.path, "ok" if answer.ok else "error")
    if answer.ok:
        await refresh_home(asker.user, client, services)


# --- The message shortcut -------------------------------------------------------------------------------


def message_texts(body: dict[str, Any]) -> str:
    """The shortcut's message text and its attachments' text, fallback and title links, one per line."""
    found = body.get("message")
    if not isinstance(found, dict):
        return ""
    parts = [found.get("text")]
    attachments = found.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict):
            parts += [
                attachment.get(key) for key in ("text", "fallback", "pretext", "title_link", "from_url")
            ]
    return "\n".join(part for part in parts if isinstance(part, str))


def more_line(count: int) -> Reply:
    """The line after the first cards of a message with more links than that."""
    return Reply(
        text=f"…and {count} more.", blocks=[context(f"…and {count} more registry links in that message.")]
    )


async def handle_look_up_shortcut(body: dict[str, Any], services: Services, asker: Asker) -> None:
    """Cards for the registries, artifacts and versions a message links to, to the user only (at most
    five, then "more")."""
    url = body.get("response_url")
    if not isinstance(url, str):
        logger.warning("look-up shortcut without a response_url: nothing delivered")
        return
    respond = services.slack.responder(url)
    links = find_links(message_texts(body), services.scope.ui_hosts)
    if not links:
        reply = message(
            "I found no Harness registry, artifact or version links in that message.",
            "The shortcut reads links to the Harness UI in the message and its attachments.",
        )
        await respond(**reply.as_kwargs(), response_type="ephemeral", replace_original=False)
        audit("shortcut", asker.user, "", "none")
        return
    answers: Sequence[Answer] = await asyncio.gather(
        *(
            run_task(task_for(ref), services, asker, surface="shortcut")
            for _, ref in links[:MAX_SHORTCUT_CARDS]
        )
    )
    for answer in answers:
        await respond(**answer.reply.as_kwargs(), response_type="ephemeral", replace_original=False)
    if len(links) > MAX_SHORTCUT_CARDS:
        more = more_line(len(links) - MAX_SHORTCUT_CARDS)
        await respond(**more.as_kwargs(), response_type="ephemeral", replace_original=False)
    audit(
        "shortcut",
        asker.user,
        ",".join(ref.path for _, ref in links[:MAX_SHORTCUT_CARDS]),
        f"cards={len(answers)}",
    )


# --- The "Find a registry" modal ------------------------------------------------------------------------


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def chosen_value(view: dict[str, Any], action_id: str, key: str) -> object:
    """The value of the input `action_id` in a view's state (any block), or None."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    for block in values.values() if isinstance(values, dict) else []:
        element = block.get(action_id) if isinstance(block, dict) else None
        if isinstance(element, dict):
            picked = element.get(key)
            return picked.get("value") if key == "selected_option" and isinstance(picked, dict) else picked
    return None


async def submit_find(ack: AsyncAck, body: dict[str, Any], services: Services, asker: Asker) -> None:
    """The modal's Show: the card in the modal (with Share), or the problem under the search box."""
    view = _dict(body.get("view"))
    ref = read_registry(chosen_value(view, ACTION_MODAL_FIND, "selected_option"), services)
    if ref is None:
        await ack(response_action="errors", errors={FIND_BLOCK: "Pick a registry from the list."})
        audit("find", asker.user, "", "no-choice")
        return
    answer = await run_task(Lookup(ref), services, asker, surface="modal")
    if not answer.ok:
        await ack(response_action="errors", errors={FIND_BLOCK: answer.reply.text[:150]})
        audit("find", asker.user, ref.path, "error")
        return
    await ack(response_action="update", view=card_modal(answer.reply.blocks, ref))
    audit("find", asker.user, ref.path, "ok")


async def share_from_modal(
    body: dict[str, Any], client: AsyncWebClient, services: Services, asker: Asker
) -> None:
    """Share: the card posted in the chosen channel, and a note in the modal saying how it went."""
    view = _dict(body.get("view"))
    ref = read_registry(view.get("private_metadata"), services)
    channel = chosen_value(view, ACTION_MODAL_CHANNEL, "selected_conversation")
    found = view.get("blocks")
    blocks: list[dict[str, Any]] = found if isinstance(found, list) else []
    if ref is None:
        note, outcome = "This card is out of date: find the registry again.", "stale"
    elif not isinstance(channel, str):
        note, outcome = "Pick a channel first, then Share.", "no-channel"
    else:
        card = CardOptions.for_asker(asker.user, public=True)
        answer = await look_up(
            ref, services.deps, surface="share", asker=Asker(asker.team, channel, asker.user), card=card
        )
        if not answer.ok:
            note, outcome = answer.reply.text, "error"
        else:
            try:
                await client.chat_postMessage(channel=channel, **answer.reply.as_kwargs())
                note, outcome = f"Shared to <#{channel}>.", "ok"
            except SlackApiError as exc:
                error = exc.response.get("error") if exc.response is not None else None
                outcome = str(error)
                if error in ("not_in_channel", "channel_not_found"):
                    invite = f"`/invite {BOT_HANDLE}`"
                    note = f"I am not in <#{channel}>: invite me there ({invite}), then Share again."
                else:
                    note = "Slack did not take the card; try again in a moment."
    audit("share", asker.user, ref.path if ref else "", outcome)
    view_id = view.get("id")
    if isinstance(view_id, str) and ref is not None:
        updated = card_modal([], ref) | {"blocks": modal_note(blocks, note)}
        await client.views_update(view_id=view_id, view=updated)


def register(app: AsyncApp, services: Services) -> None:
    """The Home tab, the search box's options and choices, the shortcuts and the modal."""

    async def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        user = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user, str):
            return
        services.background.spawn(publish_home(user, client, services), body=body, name="app_home_opened")

    async def on_options(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack(options=await search(body.get("value"), services, Asker.from_context(context)))

    async def on_pick(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        picked = action.get("selected_option")
        target = read_target(
            picked.get("value") if isinstance(picked, dict) else action.get("value"), services
        )
        asker = Asker.from_context(context)
        if target is None:
            audit("open", asker.user, "", "stale")
            return
        work = open_privately(target, client, services, asker)
        services.background.spawn(work, body=body, name="home_open")

    async def on_look_up_shortcut(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        work = handle_look_up_shortcut(body, services, Asker.from_context(context))
        services.background.spawn(work, body=body, name=SHORTCUT_LOOK_UP)

    async def on_find_shortcut(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body.get("trigger_id"), view=find_modal())  # the trigger lasts 3 s
        audit("find-open", (body.get("user") or {}).get("id"), "", "ok")

    async def on_find_submit(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await submit_find(ack, body, services, Asker.from_context(context))

    async def on_channel(ack: AsyncAck) -> None:
        await ack()  # picking the channel only fills the menu; Share does the work

    async def on_share(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        work = share_from_modal(body, client, services, Asker.from_context(context))
        services.background.spawn(work, body=body, name=ACTION_MODAL_SHARE)

    app.event("app_home_opened")(on_home_opened)
    app.options(ACTION_HOME_FIND)(on_options)
    app.options(ACTION_MODAL_FIND)(on_options)
    app.action(ACTION_HOME_FIND)(on_pick)
    app.action(HOME_OPEN)(on_pick)
    app.action(ACTION_MODAL_FIND)(on_channel)
    app.action(ACTION_MODAL_CHANNEL)(on_channel)
    app.action(ACTION_MODAL_SHARE)(on_share)
    app.shortcut(SHORTCUT_LOOK_UP)(on_look_up_shortcut)
    app.shortcut(SHORTCUT_FIND)(on_find_shortcut)
    app.view(FIND_CALLBACK)(on_find_submit)
