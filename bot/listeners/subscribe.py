"""The "Subscribe a channel" modal: opened from the Home tab or from a registry's card in the Find modal,
checked in the modal (`response_action: errors`) before anything is made, then the subscribe Task in the
background, its outcome told to the user in a DM and the Home tab drawn again.

The Task is bot.watching's `Subscribe`, as `/har subscribe` runs it: the allow-lists, the registry's kind,
whether the bot is in the channel and the webhook are all its business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from bot.access import Asker
from bot.cards import Reply
from bot.cards.blocks import context
from bot.cards.home import ACTION_HOME_SUBSCRIBE, ACTION_MODAL_SUBSCRIBE
from bot.cards.subscribe import (
    ACTION_SUBSCRIBE_ARTIFACT,
    ACTION_SUBSCRIBE_CHANNEL,
    ACTION_SUBSCRIBE_EVENTS,
    ACTION_SUBSCRIBE_REGISTRY,
    ACTION_SUBSCRIBE_TAG,
    ARTIFACT_BLOCK,
    CHANNEL_BLOCK,
    EVENTS_BLOCK,
    REGISTRY_BLOCK,
    SUBSCRIBE_CALLBACK,
    TAG_BLOCK,
    subscribe_modal,
)
from bot.cards.text import channel_mention, code
from bot.listeners.home import chosen_value, search
from bot.listeners.home_tab import audit, refresh_home
from bot.listeners.needs import Needs
from bot.listeners.recent import read_registry, run_task
from bot.parsing.globs import Filter, InvalidGlob, parse_filter
from bot.refs import RegistryRef
from bot.watching import Subscribe, Target

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.answers import Answer
    from bot.services import Services

NEEDS: Final = Needs(scopes=("chat:write", "channels:read", "groups:read"))
"""The outcome goes to the user's DM (chat:write); the Task asks conversations.info whether the bot is in
the channel (channels:read, groups:read)."""
ERROR_LIMIT: Final = 150
"""Characters of one error under an input (Slack shows a line or two)."""


@dataclass(frozen=True, slots=True)
class Chosen:
    """A subscription the modal asked for, read and checked."""

    ref: RegistryRef
    wanted: Filter
    channel: str


def _glob_error(exc: InvalidGlob) -> str:
    """A glob problem as the plain text under an input (no mrkdwn there)."""
    text = str(exc).replace("`", "")
    return (text[:1].upper() + text[1:] + ".")[:ERROR_LIMIT]


def _text(view: dict[str, Any], action_id: str) -> str | None:
    value = chosen_value(view, action_id, "value")
    return value.strip() or None if isinstance(value, str) else None


def _events(view: dict[str, Any]) -> tuple[bool, bool]:
    picked = chosen_value(view, ACTION_SUBSCRIBE_EVENTS, "selected_options")
    values = {o.get("value") for o in picked if isinstance(o, dict)} if isinstance(picked, list) else set()
    return "pushes" in values, "deletes" in values


def read_subscription(view: dict[str, Any], services: Services) -> Chosen | dict[str, str]:
    """What the submitted modal asks for, or the errors to show under its inputs (by block id)."""
    errors: dict[str, str] = {}
    ref = read_registry(chosen_value(view, ACTION_SUBSCRIBE_REGISTRY, "selected_option"), services)
    if ref is None:
        errors[REGISTRY_BLOCK] = "Pick a registry from the list: start typing its name."
    artifact, tag = _text(view, ACTION_SUBSCRIBE_ARTIFACT), _text(view, ACTION_SUBSCRIBE_TAG)
    for block, glob in ((ARTIFACT_BLOCK, artifact), (TAG_BLOCK, None if tag is None else f"*:{tag}")):
        try:
            parse_filter(glob)
        except InvalidGlob as exc:
            errors[block] = _glob_error(exc)
    pushes, deletes = _events(view)
    if not pushes and not deletes:
        errors[EVENTS_BLOCK] = "Tick pushes, deletes or both."
    channel = chosen_value(view, ACTION_SUBSCRIBE_CHANNEL, "selected_conversation")
    if not isinstance(channel, str) or channel_mention(channel) is None:
        errors[CHANNEL_BLOCK] = "Pick the channel that should hear about the changes."
    elif channel.startswith("D"):
        errors[CHANNEL_BLOCK] = "Pick a channel: a direct message can't be subscribed."
    if errors or ref is None or not isinstance(channel, str):
        return errors
    target = f"{artifact or '*'}:{tag}" if tag is not None else artifact
    wanted = parse_filter(target, "both" if pushes and deletes else "pushes" if pushes else "deletes")
    return Chosen(ref=ref, wanted=wanted, channel=channel)


async def run_subscribe(chosen: Chosen, services: Services, asker: Asker) -> Answer:
    """The subscribe Task for the channel chosen, as the user who chose it."""
    task = Subscribe(readings=(Target(chosen.ref, chosen.wanted),))
    return await run_task(task, services, Asker(asker.team, chosen.channel, asker.user), surface="home")


def outcome_reply(chosen: Chosen, answer: Answer) -> Reply:
    """The Task's answer, for the user's DM: which channel and registry it was about, then what happened."""
    channel = channel_mention(chosen.channel) or "the channel"
    what = code(chosen.ref.short) + (f" ({code(chosen.wanted.shown)})" if chosen.wanted.shown else "")
    said = "Done" if answer.ok else "Not subscribed"
    heading = f"{said}: {channel} and {what}, from the Home tab"
    return Reply(text=f"{channel}: {answer.reply.text}", blocks=[context(heading), *answer.reply.blocks])


async def subscribe_and_tell(
    chosen: Chosen, client: AsyncWebClient, services: Services, asker: Asker
) -> None:
    """Subscribe, then tell the user in their DM with the bot and draw their Home tab again."""
    answer = await run_subscribe(chosen, services, asker)
    audit("subscribe", asker.user, chosen.ref.path, "ok" if answer.ok else "refused")
    if asker.user is None:
        return
    await client.chat_postMessage(channel=asker.user, **outcome_reply(chosen, answer).as_kwargs())
    await refresh_home(asker.user, client, services)


async def submit_subscribe(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services, asker: Asker
) -> None:
    """Subscribe: the problems under their inputs, or the modal closed and the work in the background."""
    found = body.get("view")
    read = read_subscription(found if isinstance(found, dict) else {}, services)
    if not isinstance(read, Chosen):
        await ack(response_action="errors", errors=read)
        audit("subscribe", asker.user, "", "invalid:" + ",".join(sorted(read)))
        return
    await ack(response_action="clear")
    work = subscribe_and_tell(read, client, services, asker)
    services.background.spawn(work, body=body, name=SUBSCRIBE_CALLBACK)


def _opened_in(body: dict[str, Any]) -> str | None:
    """The conversation a click came from, when it came from one (not the Home tab or a modal)."""
    channel = body.get("channel")
    found = channel.get("id") if isinstance(channel, dict) else None
    return found if isinstance(found, str) else None


async def open_subscribe(
    body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, services: Services
) -> None:
    """Subscribe a channel…: the modal, with the card's registry (from the Find modal) and the channel
    the click came from chosen already, when there are ones."""
    user = body.get("user")
    ref = read_registry(action.get("value"), services)
    view = subscribe_modal(registry=ref, channel=_opened_in(body))
    trigger = body.get("trigger_id")
    # From inside a modal the new one goes on top of it (views.push), so Close comes back to the card.
    if action.get("action_id") == ACTION_MODAL_SUBSCRIBE:
        await client.views_push(trigger_id=trigger, view=view)
    else:
        await client.views_open(trigger_id=trigger, view=view)
    audit("subscribe-open", user.get("id") if isinstance(user, dict) else None, ref.path if ref else "", "ok")


def register(app: AsyncApp, services: Services) -> None:
    """The Subscribe buttons (Home tab, card modal), the modal's registry search and its submission."""

    async def on_open(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await open_subscribe(body, action, client, services)  # the trigger lasts 3 s: not in the background

    async def on_options(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack(options=await search(body.get("value"), services, Asker.from_context(context)))

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await submit_subscribe(ack, body, client, services, Asker.from_context(context))

    app.action(ACTION_HOME_SUBSCRIBE)(on_open)
    app.action(ACTION_MODAL_SUBSCRIBE)(on_open)
    app.options(ACTION_SUBSCRIBE_REGISTRY)(on_options)
    app.view(SUBSCRIBE_CALLBACK)(on_submit)
