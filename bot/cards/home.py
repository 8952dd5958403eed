"""The App Home tab and the as-you-type registry search: the ways in that need no `/har` syntax.

The Home tab shows a search box (an external select the bot fills as the user types), the user's recent
lookups as buttons, and the short forms of the commands (from the command table, given by the caller).
The "Find a registry" modal reuses the same search box and shows the chosen card with Share to a channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

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
from bot.cards.text import SECTION_LIMIT, code, escape, fit, listing
from bot.names import BOT_NAME, SLASH_COMMAND
from bot.refs import RegistryRef

ACTION_HOME_FIND: Final = "home_find"
ACTION_HOME_OPEN: Final = "home_open"
ACTION_MODAL_FIND: Final = "modal_find"
ACTION_MODAL_CHANNEL: Final = "modal_channel"
ACTION_MODAL_SHARE: Final = "modal_share"
FIND_CALLBACK: Final = "find_registry"
CARD_CALLBACK: Final = "find_registry_card"
FIND_BLOCK: Final = "find"
MAX_RECENT: Final = 10
MAX_OPTIONS: Final = 100
"""Slack shows at most 100 options in one menu."""
SEARCH_PLACEHOLDER: Final = "Type a registry name"
BUTTON_LIMIT: Final = 75


def _search_box(action_id: str) -> Block:
    return external_select(action_id, SEARCH_PLACEHOLDER, min_query_length=1)


def search_options(rows: Sequence[Row]) -> list[Block]:
    """Options for the search box: one per readable registry, its value the API registry_ref."""
    options: list[Block] = []
    for row in rows:
        if row.ref is None or len(row.ref.path) > OPTION_VALUE_LIMIT:
            continue
        options.append(option(row.ref.short or row.ref.registry, row.ref.path))
        if len(options) >= MAX_OPTIONS:
            break
    return options


def home_tab(recent: Sequence[RegistryRef], commands: Sequence[HelpEntry]) -> Block:
    """The Home tab: search, recent lookups (at most ten, newest first), the commands' short forms."""
    blocks: list[Block] = [
        header(f"{BOT_NAME}: Harness artifact registries"),
        section("*Find a registry*: start typing its name.", _search_box(ACTION_HOME_FIND)),
    ]
    shown = [ref for ref in recent if len(ref.path) <= OPTION_VALUE_LIMIT][:MAX_RECENT]
    if shown:
        blocks.append(section("*You looked up recently*"))
        blocks.append(
            actions(
                [
                    button(fit(ref.short, BUTTON_LIMIT), f"{ACTION_HOME_OPEN}_{index}", value=ref.path)
                    for index, ref in enumerate(shown)
                ]
            )
        )
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
    box = input_block("Registry", _search_box(ACTION_MODAL_FIND), block_id=FIND_BLOCK)
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
        actions([button("Share", ACTION_MODAL_SHARE, value=ref.path)]),
    ]
    return modal_view("Find a registry", blocks, callback_id=CARD_CALLBACK, private_metadata=ref.path)


def modal_note(view: Sequence[Block], note: str) -> list[Block]:
    """The modal's blocks with a note (a shared card, a channel the bot is not in) at the bottom."""
    return [*view[: 100 - 1], context(note)]
