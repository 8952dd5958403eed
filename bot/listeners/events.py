"""Events: direct messages, @mentions and registry links shared in channels (unfurls)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any, Final

from bot.access import Asker, NotAllowed
from bot.answers import fetch
from bot.cards import Reply, compact_card
from bot.commands import DIRECT, MENTION, Surface, understand
from bot.harness.errors import HarnessError
from bot.listeners.needs import Needs
from bot.listeners.recent import run_task
from bot.parsing import find_links, target_from_url
from bot.refs import ArtifactRef, RegistryRef, VersionRef
from bot.tasks import Task
from bot.tasks.artifacts import unfurl_card
from bot.tasks.targets import task_for

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_bolt.context.say.async_say import AsyncSay
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.services import Services

logger = logging.getLogger(__name__)

MAX_LOOKUPS_PER_MESSAGE: Final = 5
"""A message with many links gets cards for the first few: a reply must not flood a thread."""
EVENTS: Final = ("message", "app_mention", "link_shared")
"""The event types listened to; manifest.yml subscribes to exactly these (message as message.im)."""
NEEDS: Final = Needs(
    bot_events=("app_mention", "message.im", "link_shared"),
    scopes=("app_mentions:read", "im:history", "links:read", "links:write", "chat:write"),
)
"""DMs, mentions and unfurls: the events, and chat.postMessage, chat.postEphemeral, chat.unfurl."""
MENTION_MARKUP = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def _tasks_or_reply(text: str, services: Services, surface: Surface) -> list[Task] | Reply:
    """What a message asks for (the registries its links point at, first), or the reply to give at once."""
    links = find_links(text, services.scope.ui_hosts)
    if links:
        return [task_for(ref) for _, ref in links[:MAX_LOOKUPS_PER_MESSAGE]]
    understood = understand(text, services.scope, surface)
    return understood if isinstance(understood, Reply) else [understood]


def _text(event: dict[str, Any], name: str) -> str | None:
    """A text field of the event, or None when it is missing or not text."""
    value = event.get(name)
    return value if isinstance(value, str) and value else None


async def handle_direct_message(
    event: dict[str, Any], say: AsyncSay, services: Services, asker: Asker
) -> None:
    """A DM holding anything `/har` understands gets the card; anything else gets help, in the DM."""
    if event.get("subtype") or event.get("bot_id"):
        return  # edits, deletions, joins and other bots' messages: never answered, so the bot never loops
    wanted = _tasks_or_reply(_text(event, "text") or "", services, DIRECT)
    if isinstance(wanted, Reply):
        await say(**wanted.as_kwargs())
        return
    for task in wanted:
        answer = await run_task(task, services, asker, surface="dm")
        await say(**answer.reply.as_kwargs())


async def handle_mention(
    event: dict[str, Any], say: AsyncSay, client: AsyncWebClient, services: Services, asker: Asker
) -> None:
    """`@harbot <registry or link>` in a channel: the card in a thread under that message.

    Help, usage hints, errors, lists and pull steps go to the person who asked only (ephemeral, in the
    same thread); the channel stays readable.
    """
    if event.get("bot_id") or event.get("channel_type") == "im":
        return  # a DM is answered by the message listener; other bots do not get answers
    thread_ts = _text(event, "thread_ts") or _text(event, "ts")
    text = MENTION_MARKUP.sub(" ", _text(event, "text") or "").strip()

    async def to_asker(reply: Reply) -> None:
        if asker.channel is None or asker.user is None:
            logger.warning("mention reply not delivered: no one to show it to")
            return
        await client.chat_postEphemeral(
            channel=asker.channel, user=asker.user, thread_ts=thread_ts, **reply.as_kwargs()
        )

    wanted = _tasks_or_reply(text, services, MENTION)
    if isinstance(wanted, Reply):
        await to_asker(wanted)
        return
    for task in wanted:
        answer = await run_task(task, services, asker, surface="mention")
        if answer.ok and not answer.private:
            await say(**answer.reply.as_kwargs(), thread_ts=thread_ts)
        else:
            await to_asker(answer.reply)


def unfurl_allowed(body: dict[str, Any], policy: str) -> bool:
    """Whether the unfurl policy lets registry details show in the channel this event came from."""
    if policy == "everywhere":
        return True
    if policy == "internal":
        return not body.get("is_ext_shared_channel", False)
    return False


async def handle_link_shared(
    body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, services: Services, asker: Asker
) -> None:
    """Registry links posted in a channel: one `chat.unfurl` call with a compact card per registry link.

    Links that are not registry pages are left alone; a lookup that fails or is not allowed shows
    nothing under somebody else's message. Each event ends with one log line saying what was done.
    """
    policy = services.settings.unfurl_policy
    channel = _text(event, "channel")
    if not unfurl_allowed(body, policy):
        logger.info("unfurl skipped channel=%s policy=%s", channel, policy)
        return
    hosts = services.scope.ui_hosts
    links = event.get("links")
    wanted: dict[str, RegistryRef | ArtifactRef | VersionRef] = {}
    for link in links if isinstance(links, list) else []:
        url = link.get("url") if isinstance(link, dict) else None
        if not isinstance(url, str) or url in wanted:
            continue
        ref = target_from_url(url, hosts)
        if ref is not None:
            wanted[url] = ref

    async def card(
        url: str, ref: RegistryRef | ArtifactRef | VersionRef
    ) -> tuple[str, dict[str, Any]] | None:
        if not isinstance(ref, RegistryRef):  # an artifact or version page (issue 16)
            compact = await unfurl_card(ref, services.deps, asker)
            return (url, compact) if compact is not None else None
        try:
            registry = await fetch(ref, services.deps, asker=asker, surface="unfurl")
        except HarnessError as exc:
            logger.warning("unfurl lookup failed url_ref=%s error=%s", ref.path, type(exc).__name__)
            return None
        except NotAllowed as exc:
            logger.info("unfurl refused url_ref=%s refusal=%s", ref.path, exc.refusal)
            return None
        return url, compact_card(registry, ref, ui_base=services.settings.harness_ui_url)

    results = await asyncio.gather(*(card(url, ref) for url, ref in wanted.items()))
    unfurls = dict(result for result in results if result is not None)
    if unfurls:
        if event.get("source") == "composer" and _text(event, "unfurl_id"):
            await client.chat_unfurl(unfurl_id=event["unfurl_id"], source="composer", unfurls=unfurls)
        else:
            await client.chat_unfurl(channel=channel, ts=_text(event, "message_ts"), unfurls=unfurls)
    logger.info(
        "unfurl channel=%s links=%d registries=%d unfurled=%d",
        channel,
        len(links) if isinstance(links, list) else 0,
        len(wanted),
        len(unfurls),
    )


def register(app: AsyncApp, services: Services) -> None:
    """Register the DM, mention and link_shared listeners.

    Bolt acknowledges an event when its listener returns (process_before_response), so each listener
    only hands the event to the background and returns.
    """

    async def on_message(
        body: dict[str, Any], event: dict[str, Any], say: AsyncSay, context: AsyncBoltContext
    ) -> None:
        if event.get("channel_type") == "im":
            work = handle_direct_message(event, say, services, Asker.from_context(context))
            services.background.spawn(work, body=body, name="message")

    async def on_mention(
        body: dict[str, Any],
        event: dict[str, Any],
        say: AsyncSay,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        work = handle_mention(event, say, client, services, Asker.from_context(context))
        services.background.spawn(work, body=body, name="app_mention")

    async def on_link_shared(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        work = handle_link_shared(body, event, client, services, Asker.from_context(context))
        services.background.spawn(work, body=body, name="link_shared")

    listeners = {"message": on_message, "app_mention": on_mention, "link_shared": on_link_shared}
    for event_type in EVENTS:
        app.event(event_type)(listeners[event_type])
