"""The App Home tab and the as-you-type registry search: the ways in that need no `/har` syntax.

The Home tab shows a search box (an external select the bot fills as the user types), the user's recent
lookups (registries, artifacts, versions) as buttons, the subscriptions of the channels the user is in
with their last event and a Subscribe button, and the short forms of the commands (from the command
table, given by the caller). The "Find a registry" modal reuses the same search box and shows the chosen
card with Share to a channel and Subscribe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.cards.artifact import artifact_value
from bot.cards.blocks import (
    OPTION_VALUE_LIMIT,
    Block,
    actions,
    button,
    context,
    conversations_select,
    divider,
    external_select,
    header,
    home_view,
    input_block,
    modal_view,
    option,
    section,
)
from bot.cards.help import HelpEntry
from bot.cards.listing import Row
from bot.cards.text import (
    BUTTON_VALUE_LIMIT,
    DAY_AND_TIME,
    SECTION_LIMIT,
    SEP,
    channel_mention,
    code,
    date,
    escape,
    fit,
    listing,
)
from bot.names import BOT_NAME, SLASH_COMMAND
from bot.refs import ArtifactRef, RegistryRef, Target, VersionRef

ACTION_HOME_FIND: Final = "home_find"
ACTION_HOME_OPEN: Final = "home_open"
ACTION_HOME_SUBSCRIBE: Final = "home_subscribe"
ACTION_MODAL_FIND: Final = "modal_find"
ACTION_MODAL_CHANNEL: Final = "modal_channel"
ACTION_MODAL_SHARE: Final = "modal_share"
ACTION_MODAL_SUBSCRIBE: Final = "modal_subscribe"
FIND_CALLBACK: Final = "find_registry"
CARD_CALLBACK: Final = "find_registry_card"
FIND_BLOCK: Final = "find"
MAX_RECENT: Final = 10
MAX_OPTIONS: Final = 100
"""Slack shows at most 100 options in one menu."""
MAX_WATCHED: Final = 30
"""Subscriptions the Home tab lists; past that, "and N more"."""
WATCHED_PER_SECTION: Final = 10
SEARCH_PLACEHOLDER: Final = "Type a registry name"
BUTTON_LIMIT: Final = 75
SUBSCRIBE_LABEL: Final = "Subscribe a channel…"


@dataclass(frozen=True, slots=True)
class LastEvent:
    """The newest event a subscription would have posted."""

    trigger: str
    """`pushed` or `deleted`."""
    artifact: str
    version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Watched:
    """A subscription of a channel the user is in, as the Home tab lists it."""

    channel: str
    registry: RegistryRef
    filter: str
    """`payments-*:1.*`, or "" for every artifact."""
    events: str
    """ "pushes and deletes", "pushes" or "deletes"."""
    last: LastEvent | None


def search_box(action_id: str, *, initial: RegistryRef | None = None) -> Block:
    """The as-you-type registry search (the options come from the bot), with `initial` chosen already."""
    chosen = registry_option(initial) if initial is not None else None
    return external_select(action_id, SEARCH_PLACEHOLDER, min_query_length=1, initial=chosen)


def registry_option(ref: RegistryRef) -> Block | None:
    """A registry as a menu option (its value the API registry_ref); None when the path is too long."""
    if len(ref.path) > OPTION_VALUE_LIMIT:
        return None
    return option(ref.short or ref.registry, ref.path)


def search_options(rows: Sequence[Row]) -> list[Block]:
    """Options for the search box: one per readable registry, its value the API registry_ref."""
    options: list[Block] = []
    for row in rows:
        found = registry_option(row.ref) if row.ref is not None else None
        if found is None:
            continue
        options.append(found)
        if len(options) >= MAX_OPTIONS:
            break
    return options


def target_value(target: Target) -> str:
    """What a button opening `target`'s card carries: a registry's API registry_ref, or the artifact
    card's button value (bot.cards.artifact) for an artifact or a version."""
    if isinstance(target, ArtifactRef | VersionRef):
        return artifact_value(target)
    return target.path


def _recent(recent: Sequence[Target]) -> list[Block]:
    shown = [target for target in recent if len(target_value(target)) <= BUTTON_VALUE_LIMIT][:MAX_RECENT]
    if not shown:
        return []
    buttons = [
        button(fit(target.short, BUTTON_LIMIT), f"{ACTION_HOME_OPEN}_{index}", value=target_value(target))
        for index, target in enumerate(shown)
    ]
    return [section("*You looked up recently*"), actions(buttons)]


def _last(last: LastEvent | None) -> str:
    if last is None:
        return "no event yet"
    moment = date(int(last.at.timestamp()), DAY_AND_TIME) or "lately"
    return f"last: {escape(last.trigger)} {code(f'{last.artifact}:{last.version}', 100)} {moment}"


def _watched_line(item: Watched) -> str:
    what = code(item.registry.short, 100)
    if item.filter:
        what += f" ({code(item.filter, 60)})"
    where = channel_mention(item.channel) or "a channel"
    return f"• {where}{SEP}{what}: {escape(item.events)}{SEP}{_last(item.last)}"


def _watched(watched: Sequence[Watched] | None, total: int | None) -> list[Block]:
    """The subscriptions of the user's channels (None: unavailable, so only the Subscribe button), out of
    `total` (None: as many as given)."""
    subscribe = button(SUBSCRIBE_LABEL, ACTION_HOME_SUBSCRIBE)
    if watched is None:
        return [section("*Subscribe a channel* to hear about pushes and deletes there.", subscribe)]
    if not watched:
        return [
            section("*Subscriptions in your channels*\nNone of your channels is subscribed yet.", subscribe)
        ]
    blocks = [section("*Subscriptions in your channels*", subscribe)]
    lines = [_watched_line(item) for item in watched[:MAX_WATCHED]]
    for start in range(0, len(lines), WATCHED_PER_SECTION):
        blocks.append(section("\n".join(lines[start : start + WATCHED_PER_SECTION])))
    more = (len(watched) if total is None else total) - len(lines)
    if more > 0:
        blocks.append(context(f"and {more} more — {code(f'{SLASH_COMMAND} subscriptions')} in the channel"))
    return blocks


def home_tab(
    recent: Sequence[Target],
    commands: Sequence[HelpEntry],
    watched: Sequence[Watched] | None = None,
    *,
    watched_total: int | None = None,
) -> Block:
    """The Home tab: search, recent lookups (at most ten, newest first), the subscriptions of the user's
    channels (at most thirty, then "and N more" of `watched_total`, or of those given), the commands'
    short forms."""
    blocks: list[Block] = [
        header(f"{BOT_NAME}: Harness artifact registries"),
        section("*Find a registry*: start typing its name.", search_box(ACTION_HOME_FIND)),
        *_recent(recent),
        divider(),
        *_watched(watched, watched_total),
    ]
    lines = [
        f"• {code(f'{SLASH_COMMAND} {entry.example or entry.usage}'.strip(), 200)} — {escape(entry.summary)}"
        for entry in commands
    ]
    blocks.append(divider())
    blocks.append(
        section(
            f"*Commands*\n{listing(lines, sep=chr(10), max_items=len(lines), budget=SECTION_LIMIT - 100)}"
        )
    )
    blocks.append(
        context(
            "On any message: ⋯ › *Look up in Harness*",
            "Anywhere: the ⚡ shortcuts menu › *Find a registry*",
            "Cards you open here arrive in your DM with me",
        )
    )
    return home_view(blocks)


def find_modal() -> Block:
    """The "Find a registry" modal: the search box, and Show."""
    box = input_block("Registry", search_box(ACTION_MODAL_FIND), block_id=FIND_BLOCK)
    return modal_view("Find a registry", [box], callback_id=FIND_CALLBACK, submit="Show")


def card_modal(card: Sequence[Block], ref: RegistryRef) -> Block:
    """The chosen registry's card in the modal, with Share to a channel."""
    share = section("*Share to a channel*", conversations_select(ACTION_MODAL_CHANNEL, "Pick a channel"))
    # The card's own buttons answer through a response_url, which a modal has none of: left out here.
    shown = [block for block in card if block.get("type") != "actions"]
    blocks = [
        *shown[: 100 - 3],
        divider(),
        share,
        actions(
            [
                button("Share", ACTION_MODAL_SHARE, value=ref.path),
                button(SUBSCRIBE_LABEL, ACTION_MODAL_SUBSCRIBE, value=ref.path),
            ]
        ),
    ]
    return modal_view("Find a registry", blocks, callback_id=CARD_CALLBACK, private_metadata=ref.path)


def modal_note(view: Sequence[Block], note: str) -> list[Block]:
    """The modal's blocks with a note (a shared card, a channel the bot is not in) at the bottom."""
    return [*view[: 100 - 1], context(note)]
