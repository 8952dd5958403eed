"""The compact card for link unfurls: the name as a link to Harness, then one context line.

An unfurl sits under somebody else's message, so it stays small and never shouts. Rendered once per
looked-up registry and kept (`RenderedCards`).
"""

from __future__ import annotations

from typing import Any

from bot.cards.blocks import Block, context, section
from bot.cards.registry import deleted_at, display_name, summary
from bot.cards.rendered import RenderedCards
from bot.cards.text import COMPACT_DESCRIPTION_LIMIT, NAME_LIMIT, URL_SHOWN_LIMIT, WARNING, code, inline, link
from bot.cards.vocabulary import emoji
from bot.harness.models import Registry
from bot.refs import RegistryRef


def compact_card(registry: Registry, ref: RegistryRef, *, ui_base: str) -> dict[str, Any]:
    """A quiet preview for `chat.unfurl`: {"blocks": [...]}."""
    return {"blocks": _previews.get(registry, (ref, ui_base), lambda: _preview(registry, ref, ui_base))}


def _preview(registry: Registry, ref: RegistryRef, ui_base: str) -> list[Block]:
    name = link(ref.ui_url(ui_base), inline(display_name(registry, ref), NAME_LIMIT))
    title = f"{emoji(registry.package_type)} {name}"
    description = registry.description.strip()
    if description:
        title += f" — {inline(description, COMPACT_DESCRIPTION_LIMIT)}"
    facts = summary(registry, ref)
    if registry.url.strip():
        facts.append(code(registry.url, URL_SHOWN_LIMIT))
    if deleted_at(registry) is not None:
        facts.insert(0, f"{WARNING} deleted")
    return [section(title), context(*facts)]


_previews: RenderedCards[list[Block]] = RenderedCards()
