"""The replies of `/har subscribe`, `/har unsubscribe` and `/har subscriptions` (with Unsubscribe buttons)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.cards.blocks import Block, Reply, button, context, message, section
from bot.cards.text import code, inline
from bot.names import SLASH_COMMAND as COMMAND
from bot.refs import RegistryRef

ACTION_UNSUBSCRIBE: Final = "unsubscribe"
"""The Unsubscribe buttons (`unsubscribe_<index>`); the value is the subscription's id (the click checks
it is this channel's)."""
MAX_LISTED: Final = 20


@dataclass(frozen=True, slots=True)
class Listed:
    """One subscription as the list shows it."""

    id: int
    registry: RegistryRef
    filter: str
    """`payments-*:1.*`, or "" for every artifact."""
    events: str
    """"pushes and deletes", "pushes" or "deletes"."""


def _what(registry: RegistryRef, filter_: str) -> str:
    subject = code(registry.short)
    return f"{subject} ({code(filter_)})" if filter_ else subject


def subscribed(item: Listed, *, new: bool, warning: str | None = None) -> Reply:
    """Said in the channel: it will hear about this registry from now on."""
    what = _what(item.registry, item.filter)
    text = (
        f"This channel will hear about {item.events} in {what}."
        if new
        else f"This channel was subscribed to {what} already: it now hears about {item.events}."
    )
    blocks: list[Block] = [section(f"📦 {text}")]
    hint = (
        f"{code(f'{COMMAND} subscriptions')} lists them; {code(f'{COMMAND} changes {item.registry.short}')}"
    )
    blocks.append(context(f"{hint} shows what changed lately."))
    if warning:
        blocks.append(context(f"⚠️ {inline(warning, 300)}"))
    return Reply(text=text.replace("`", ""), blocks=blocks)


def unsubscribed(item: Listed) -> Reply:
    text = f"This channel no longer hears about {_what(item.registry, item.filter)}."
    return Reply(text=text.replace("`", ""), blocks=[section(text)])


def not_subscribed(registry: RegistryRef) -> Reply:
    return message(
        f"This channel isn't subscribed to {code(registry.short)}.",
        f"{code(f'{COMMAND} subscriptions')} lists what it is subscribed to.",
    )


def subscription_list(items: Sequence[Listed]) -> Reply:
    """This channel's subscriptions, each with its Unsubscribe button."""
    if not items:
        return message(
            "This channel isn't subscribed to any registry.",
            f"Try {code(f'{COMMAND} subscribe <registry>')} to hear about pushes and deletes here.",
        )
    count = f"{len(items)} subscription" + ("" if len(items) == 1 else "s")
    blocks: list[Block] = [section(f"*This channel has {count}*")]
    for index, item in enumerate(items[:MAX_LISTED]):
        row = section(f"{_what(item.registry, item.filter)}: {item.events}")
        # Buttons repeated in one message carry their index (`unsubscribe_3`): action ids must differ.
        row["accessory"] = button("Unsubscribe", f"{ACTION_UNSUBSCRIBE}_{index}", value=str(item.id))
        blocks.append(row)
    if len(items) > MAX_LISTED:
        blocks.append(context(f"+{len(items) - MAX_LISTED} more"))
    return Reply(text=f"This channel's subscriptions ({len(items)})", blocks=blocks)


def cannot_subscribe(what: str, next_step: str) -> Reply:
    """A refusal: one sentence on why, one line on what to do."""
    return message(what, next_step)
