"""The list card (for `/har list` and `/har find`) and the "did you mean" reply, as plain Block Kit dicts.

Harness text is escaped and cut as on the registry card (bot.cards); a page of any size or content stays
inside Block Kit's limits: at most `PAGE_SIZE` rows, each a section of bounded text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.cards import blocks as kit
from bot.cards.blocks import Reply
from bot.cards.text import (
    BUTTON_VALUE_LIMIT,
    NAME_LIMIT,
    SEP,
    code,
    cut,
    describe_scope,
    escape,
    fit,
    flat,
    inline,
    units,
)
from bot.cards.vocabulary import DEFAULT_EMOJI, PACKAGE_EMOJI, PACKAGE_TYPES, REGISTRY_TYPES, human
from bot.harness.models import RegistryMetadata
from bot.names import SLASH_COMMAND
from bot.refs import RegistryRef, SpaceRef

ACTION_LIST_OPEN: Final = "list_open"
"""A row's "Open" button; the row's index is appended (`list_open_3`), as action ids must differ."""
ACTION_LIST_NEXT: Final = "list_next"
ACTION_LIST_PREVIOUS: Final = "list_previous"
ACTION_CHOOSE: Final = "choose_registry"
"""A did-you-mean choice that opens the card; its index is appended."""
ACTION_CHOOSE_PULL: Final = "choose_pull"
"""A did-you-mean choice that opens the pull steps; its index is appended."""

PAGE_SIZE: Final = 20
MAX_CHOICES: Final = 5
BUTTON_TEXT_LIMIT: Final = 75
DESCRIPTION_SHOWN: Final = 100
FALLBACK_NAMES: Final = 10


@dataclass(frozen=True, slots=True)
class Row:
    """One registry of a page, and where it lives when its `path` could be read."""

    registry: RegistryMetadata
    ref: RegistryRef | None


@dataclass(frozen=True, slots=True)
class Page:
    """What a list card shows: the rows and where they sit among the others."""

    title: str
    """mrkdwn: what was listed ("Registries in payments › checkout and below")."""
    rows: Sequence[Row]
    page: int
    """0-based."""
    next_value: str | None = None
    """The Next button's value, None when this is the last page."""
    previous_value: str | None = None
    total: int | None = None
    """Registries in all pages, when it may be shown (never while results are filtered)."""
    pages: int | None = None


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    """A button whose label is plain text cut to Slack's 75 characters."""
    label = cut(flat(text), BUTTON_TEXT_LIMIT, measure=units) or "Open"
    return kit.button(label, action_id, value=value, style=style, emoji=True)


def where(ref: RegistryRef | None) -> str:
    """Where a listed registry lives, in mrkdwn words."""
    return describe_scope(ref) if ref is not None else "scope unknown"


def describe_space(space: SpaceRef) -> str:
    """A space in mrkdwn words: "the account", "org `payments`", "payments › checkout"."""
    if space.project is not None and space.org is not None:
        return f"{escape(space.org)} › {escape(space.project)}"
    if space.org is not None:
        return f"org {code(space.org)}"
    return "the account"


def _name(row: Row) -> str:
    return row.registry.identifier.strip() or (row.ref.registry if row.ref else "") or "unnamed"


def _row(row: Row, index: int) -> dict[str, Any]:
    registry = row.registry
    emoji = PACKAGE_EMOJI.get(registry.package_type, DEFAULT_EMOJI)
    facts = [
        inline(human(PACKAGE_TYPES, registry.package_type), NAME_LIMIT) if registry.package_type else "",
        inline(human(REGISTRY_TYPES, registry.type), NAME_LIMIT) if registry.type else "",
        where(row.ref),
    ]
    text = f"{emoji} *{inline(_name(row), NAME_LIMIT)}*\n{SEP.join(f for f in facts if f)}"
    description = registry.description.strip()
    if description:
        text += f"\n{inline(description, DESCRIPTION_SHOWN)}"
    if row.ref is None or len(row.ref.path) > BUTTON_VALUE_LIMIT:
        return kit.section(text)
    return kit.section(text, button("Open", f"{ACTION_LIST_OPEN}_{index}", row.ref.path))


def list_card(page: Page) -> Reply:
    """A page of registries with Previous and Next buttons that page in place."""
    rows = list(page.rows)[:PAGE_SIZE]
    position = f"Page {page.page + 1}"
    if page.pages:
        position += f" of {page.pages}"
    if page.total is not None:
        position += f"{SEP}{page.total} registr{'y' if page.total == 1 else 'ies'}"
    blocks: list[dict[str, Any]] = [kit.section(f"*{page.title}*"), kit.context(position)]
    if rows:
        blocks.extend(_row(row, index) for index, row in enumerate(rows))
    else:
        blocks.append(kit.section("Nothing to show on this page." if page.page else "No registries found."))
    paging = []
    if page.previous_value is not None:
        paging.append(button("◀ Previous", ACTION_LIST_PREVIOUS, page.previous_value))
    if page.next_value is not None:
        paging.append(button("Next ▶", ACTION_LIST_NEXT, page.next_value, style="primary"))
    if paging:
        blocks.append(kit.actions(paging))
    names = ", ".join(flat(_name(row))[:NAME_LIMIT] for row in rows[:FALLBACK_NAMES])
    more = f" and {len(rows) - FALLBACK_NAMES} more" if len(rows) > FALLBACK_NAMES else ""
    text = f"{flat(page.title)}: {names}{more}" if rows else f"{flat(page.title)}: none"
    return Reply(text=fit(escape(text), 600), blocks=blocks)


def did_you_mean(name: str, space: SpaceRef, choices: Sequence[RegistryRef], *, pull: bool = False) -> Reply:
    """No registry is called `name`: the closest names found, each a button that opens it.

    With `pull`, the buttons open the pull steps instead of the card.
    """
    shown = code(name, NAME_LIMIT)
    if not choices:
        what = f"I couldn't find a registry named {shown} anywhere in {describe_space(space)}."
        hint = f"Try {code(f'{SLASH_COMMAND} find <part of the name>')}, or paste the link from Harness."
        return Reply(text=f"{what} {hint}", blocks=[kit.section(f"{what}\n{hint}")])
    what = f"I couldn't find a registry named {shown}. Did you mean one of these?"
    action = ACTION_CHOOSE_PULL if pull else ACTION_CHOOSE
    buttons = [
        button(
            f"{ref.registry} ({ref.short.rsplit('/', 1)[0]})" if ref.org else ref.registry,
            f"{action}_{i}",
            ref.path,
        )
        for i, ref in enumerate(choices[:MAX_CHOICES])
        if len(ref.path) <= BUTTON_VALUE_LIMIT
    ]
    names = ", ".join(ref.short for ref in choices[:MAX_CHOICES])
    blocks: list[dict[str, Any]] = [kit.section(what)]
    if buttons:
        blocks.append(kit.actions(buttons))
    return Reply(text=fit(escape(f"No registry named {name}. Did you mean: {names}?"), 600), blocks=blocks)


def list_error(what: str, next_step: str) -> Reply:
    """A list or search that went wrong: what happened, and what to try."""
    return kit.message(what, next_step)
