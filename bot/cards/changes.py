"""What changed in a registry: the channel message for a push or delete, a burst of them, and the timeline.

```
📦 `payments-api:1.4.2` pushed to docker-prod by Alice · sha256:ab12cd34 · 4 min ago
[Version card] [Open in Harness]
```
A burst (many versions of one artifact within a short window) is one message, updated in place, whose
thread lists every version. Times are Slack dates with `{ago}`, so "4 min ago" stays true as it ages.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bot.cards.artifact import artifact_value
from bot.cards.blocks import Block, Reply, actions, button, context, section
from bot.cards.registry import ACTION_OPEN
from bot.cards.text import (
    BUTTON_VALUE_LIMIT,
    FALLBACK_LIMIT,
    SEP,
    URL_LIMIT,
    code,
    date,
    inline,
    listing,
    plural,
    units,
)
from bot.names import SLASH_COMMAND as COMMAND
from bot.parsing import InvalidScope
from bot.refs import ArtifactRef, RegistryRef, VersionRef

ACTION_VERSION: Final = "open_version"
"""The Version card button; its value is `version_value(...)`: the version's API path."""
ACTION_OPEN_VERSION: Final = ACTION_OPEN
"""A link button; the registry card's own action id, which the bot already acknowledges."""
ACTION_CHANGES_MORE: Final = "changes_more"
"""The timeline's "Older" button; its value is `<registry_ref path> <artifact or -> <since> <cursor>`."""

AGO: Final = "{ago}"
PUSHED: Final = "📦"
DELETED: Final = "🗑️"
SHORT_DIGEST: Final = 8
"""Hex digits of a digest shown: enough to tell two apart at a glance."""
THREAD_LINES: Final = 40
TIMELINE_LINES: Final = 20
LINE_BUDGET: Final = 2800

Trigger = Literal["pushed", "deleted"]


@dataclass(frozen=True, slots=True)
class Change:
    """One push or delete, as the cards show it."""

    registry: RegistryRef
    artifact: str
    version: str
    trigger: Trigger
    at: int
    """Epoch seconds."""
    principal: str | None = None
    digest: str | None = None
    late: bool = False
    """Received after the bot was back (caught up from Harness's executions), not when it happened."""


def version_value(change: Change) -> str | None:
    """The Version card button's value: the version's API path, as every artifact and version button
    carries it (`artifact_value`); None for names a ref cannot hold. The tag only, as before: the card
    shows the digest the tag has now."""
    try:
        ref = VersionRef(ArtifactRef(change.registry, change.artifact), change.version)
    except InvalidScope:
        return None
    return artifact_value(ref)


def version_url(change: Change, ui_base: str) -> str:
    """The version's page in the Harness UI."""
    quoted = (urllib.parse.quote(part, safe="") for part in (change.artifact, change.version))
    return "{}/artifacts/{}/versions/{}".format(change.registry.ui_url(ui_base), *quoted)


def short_digest(digest: str | None) -> str | None:
    """`sha256:ab12cd34` from a full digest; None for none."""
    if not digest:
        return None
    algorithm, _, hexes = digest.partition(":")
    return f"{algorithm}:{hexes[:SHORT_DIGEST]}" if hexes else digest[: SHORT_DIGEST + 7]


def change_line(change: Change) -> str:
    """One change on one line of mrkdwn."""
    mark = PUSHED if change.trigger == "pushed" else DELETED
    verb = "pushed to" if change.trigger == "pushed" else "deleted from"
    text = f"{mark} {code(f'{change.artifact}:{change.version}')} {verb} {inline(change.registry.registry)}"
    if change.principal:
        text += f" by {inline(change.principal, 60)}"
    return SEP.join(_tail(change, text))


def _tail(change: Change, text: str) -> list[str]:
    parts = [text]
    digest = short_digest(change.digest)
    if digest:
        parts.append(inline(digest))
    when = date(change.at, AGO)
    if when:
        parts.append(when)
    if change.late:
        parts.append("_late: caught up after the bot was away_")
    return parts


def change_message(changes: Sequence[Change], *, ui_base: str) -> Reply:
    """The channel message for one change, or for a burst of versions of one artifact (newest last)."""
    if not changes:
        raise ValueError("a change message needs a change")
    newest = changes[-1]
    text = change_line(newest) if len(changes) == 1 else _burst_line(changes)
    blocks: list[Block] = [section(text)]
    if len(changes) > 1:
        blocks.append(context("Every version is in the thread."))
    buttons = _buttons(newest, ui_base)
    if buttons is not None:
        blocks.append(buttons)
    return Reply(text=_fallback(changes), blocks=blocks)


def _fallback(changes: Sequence[Change]) -> str:
    """The notification text: who did what, plain (escaped), no date markup."""
    newest = changes[-1]
    verb = "pushed to" if newest.trigger == "pushed" else "deleted from"
    what = f"{newest.artifact}:{newest.version}"
    if len(changes) > 1:
        what = f"{plural(len(changes), 'version')} of {newest.artifact}"
    text = f"{what} {verb} {newest.registry.registry}"
    if newest.principal:
        text += f" by {newest.principal}"
    return inline(text, FALLBACK_LIMIT)


def _burst_line(changes: Sequence[Change]) -> str:
    newest = changes[-1]
    mark = PUSHED if newest.trigger == "pushed" else DELETED
    verb = "pushed to" if newest.trigger == "pushed" else "deleted from"
    who = sorted({c.principal for c in changes if c.principal})
    text = (
        f"{mark} {plural(len(changes), 'version')} of {code(newest.artifact)} {verb} "
        f"{inline(newest.registry.registry)}"
    )
    if len(who) == 1:
        text += f" by {inline(who[0], 60)}"
    elif who:
        text += f" by {plural(len(who), 'person')}"
    text += f", newest {code(newest.version)}"
    return SEP.join(_tail(newest, text))


def _buttons(change: Change, ui_base: str) -> Block | None:
    elements: list[Block] = []
    if change.trigger == "pushed":
        value = version_value(change)
        if value is not None and len(value) <= BUTTON_VALUE_LIMIT:
            elements.append(button("Version card", ACTION_VERSION, value=value))
        url = version_url(change, ui_base)
    else:
        url = change.registry.ui_url(ui_base)
    if len(url) <= URL_LIMIT:
        elements.append(button("Open in Harness", ACTION_OPEN_VERSION, url=url))
    return actions(elements) if elements else None


def burst_thread(changes: Sequence[Change]) -> Reply:
    """A thread reply listing versions of a burst, one per line."""
    lines = [f"• {change_line(change)}" for change in changes[-THREAD_LINES:]]
    hidden = len(changes) - len(lines)
    body = listing(lines, sep="\n", max_items=THREAD_LINES, budget=LINE_BUDGET)
    if hidden > 0:
        body = f"_{plural(hidden, 'earlier version')} not shown_\n{body}"
    return Reply(text=f"{plural(len(changes), 'version')}", blocks=[section(body)])


def timeline(
    changes: Sequence[Change],
    *,
    registry: RegistryRef,
    artifact: str | None,
    since: str,
    pushes_only: bool,
    more: str | None = None,
) -> Reply:
    """`/har changes`: newest first. `since` is words ("in the last 2 hours"); `more` the Older button's
    value when there is another page; `pushes_only` when the listing came from the versions (no webhook)."""
    subject = code(f"{registry.registry}/{artifact}" if artifact else registry.registry)
    if not changes:
        what = "pushes" if pushes_only else "pushes or deletes"
        text = f"No {what} in {subject} {since}."
        return Reply(text=text, blocks=[section(text)])
    lines = [change_line(change) for change in changes[:TIMELINE_LINES]]
    head = f"*What changed in {subject} {since}*, newest first"
    body = listing(lines, sep="\n", max_items=TIMELINE_LINES, budget=LINE_BUDGET - units(head))
    blocks: list[Block] = [section(f"{head}\n{body}")]
    if pushes_only:
        blocks.append(
            context(
                "Pushes only, from the versions' last-modified times: deletes are known only where the "
                f"registry is subscribed ({code(f'{COMMAND} subscribe {registry.short}')})."
            )
        )
    if more is not None and len(more) <= BUTTON_VALUE_LIMIT:
        blocks.append(actions([button("Older", ACTION_CHANGES_MORE, value=more)]))
    return Reply(text=f"What changed in {registry.registry} {since}", blocks=blocks)
