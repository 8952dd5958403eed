"""The "Subscribe a channel" modal: a registry (the as-you-type search), artifact and tag patterns, the
events, and the channel; the bot checks it (`response_action: errors`, keyed by these block ids) before
anything is made.
"""

from __future__ import annotations

from typing import Final

from bot.cards.blocks import (
    Block,
    checkboxes,
    context,
    conversations_select,
    input_block,
    modal_view,
    option,
    text_input,
)
from bot.cards.home import search_box
from bot.cards.text import channel_mention, code
from bot.names import BOT_HANDLE, SLASH_COMMAND
from bot.parsing.globs import MAX_GLOB_CHARS
from bot.refs import RegistryRef

SUBSCRIBE_CALLBACK: Final = "subscribe_channel"
REGISTRY_BLOCK: Final = "subscribe_registry"
ARTIFACT_BLOCK: Final = "subscribe_artifact"
TAG_BLOCK: Final = "subscribe_tag"
EVENTS_BLOCK: Final = "subscribe_events"
CHANNEL_BLOCK: Final = "subscribe_channel"
ACTION_SUBSCRIBE_REGISTRY: Final = "subscribe_registry"
ACTION_SUBSCRIBE_ARTIFACT: Final = "subscribe_artifact"
ACTION_SUBSCRIBE_TAG: Final = "subscribe_tag"
ACTION_SUBSCRIBE_EVENTS: Final = "subscribe_events"
ACTION_SUBSCRIBE_CHANNEL: Final = "subscribe_channel"
EVENT_CHOICES: Final = (("Pushes (a version arrives)", "pushes"), ("Deletes (a version goes)", "deletes"))
TITLE: Final = "Subscribe a channel"


def subscribe_modal(*, registry: RegistryRef | None = None, channel: str | None = None) -> Block:
    """The modal, with `registry` and `channel` chosen already when known; both events ticked."""
    events = [option(text, value) for text, value in EVENT_CHOICES]
    picked = channel if channel_mention(channel) is not None else None
    blocks = [
        input_block(
            "Registry",
            search_box(ACTION_SUBSCRIBE_REGISTRY, initial=registry),
            block_id=REGISTRY_BLOCK,
            hint="A virtual registry: Harness sends changes for those.",
        ),
        input_block(
            "Artifacts",
            text_input(
                ACTION_SUBSCRIBE_ARTIFACT,
                "every artifact, or a pattern: payments-*",
                max_length=MAX_GLOB_CHARS,
            ),
            block_id=ARTIFACT_BLOCK,
            hint="Leave empty for every artifact. * and ? are wildcards.",
            optional=True,
        ),
        input_block(
            "Tags",
            text_input(ACTION_SUBSCRIBE_TAG, "every tag, or a pattern: 1.*", max_length=MAX_GLOB_CHARS),
            block_id=TAG_BLOCK,
            hint="Leave empty for every tag.",
            optional=True,
        ),
        input_block(
            "Events",
            checkboxes(ACTION_SUBSCRIBE_EVENTS, events, checked=events),
            block_id=EVENTS_BLOCK,
        ),
        input_block(
            "Channel",
            conversations_select(
                ACTION_SUBSCRIBE_CHANNEL, "Pick a channel", channels_only=True, initial=picked
            ),
            block_id=CHANNEL_BLOCK,
            hint=f"I must be in it: /invite {BOT_HANDLE} there first.",
        ),
        context(
            f"The same as {code(f'{SLASH_COMMAND} subscribe')} in the channel.",
            "I tell you in a DM how it went.",
        ),
    ]
    return modal_view(TITLE, blocks, callback_id=SUBSCRIBE_CALLBACK, submit="Subscribe")
