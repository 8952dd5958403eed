"""Buttons of the subscription messages: a subscription's Unsubscribe, the timeline's Older, and a posted
change's Version card.

Each value was written by bot.cards.subscriptions or bot.cards.changes and is read back through the
validated refs; anything else is a stale button, and the clicker is told to ask again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from bot.access import Asker
from bot.cards.changes import ACTION_CHANGES_MORE, ACTION_VERSION
from bot.cards.subscriptions import ACTION_UNSUBSCRIBE
from bot.listeners.actions import _answer, _stale, clicked
from bot.listeners.needs import Needs
from bot.listeners.recent import run_task
from bot.watching import older_click, unsubscribe_click, version_click

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.services import Services
    from bot.slack.connection import Respond

NEEDS: Final = Needs(scopes=("chat:write", "channels:read", "groups:read"))
"""Subscribing checks the channel with conversations.info (channels:read, groups:read for private ones);
the poster posts with chat:write."""

UNSUBSCRIBE: Final = re.compile(rf"^{ACTION_UNSUBSCRIBE}_[0-9]{{1,3}}$")


async def handle_unsubscribe(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Unsubscribe: that subscription ends, and the channel is told who ended it."""
    task = unsubscribe_click(action.get("value"))
    if task is None:
        await _stale(action, respond)
        return
    answer = await run_task(task, services, asker, surface="unsubscribe-button")  # Home tabs redrawn
    if answer.ok:
        await respond(**answer.reply.as_kwargs(), response_type="in_channel", replace_original=False)
    else:
        await _answer(answer, respond, replace=False)


async def handle_older(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Older: the timeline's next page, in place."""
    task = older_click(action.get("value"))
    if task is None:
        await _stale(action, respond)
        return
    await _answer(await task.run(services.deps, asker, surface="changes-more"), respond, replace=True)


async def handle_version(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """A posted change's Version card: the card, for the clicker only."""
    task = version_click(action.get("value"))
    if task is None:
        await _stale(action, respond)
        return
    answer = await run_task(task, services, asker, surface="change")  # remembered, as every lookup
    await _answer(answer, respond, replace=False)


def register(app: AsyncApp, services: Services) -> None:
    """Acknowledge each click, then do its work in the background."""
    app.action(UNSUBSCRIBE)(clicked(handle_unsubscribe, "unsubscribe", services))
    app.action(ACTION_CHANGES_MORE)(clicked(handle_older, ACTION_CHANGES_MORE, services))
    app.action(ACTION_VERSION)(clicked(handle_version, ACTION_VERSION, services))
