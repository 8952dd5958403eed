"""The `/har` slash command: understood at once, answered through its response_url."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

from bot.access import Asker
from bot.cards import Reply, working_reply
from bot.commands import SLASH, understand
from bot.listeners.needs import Needs
from bot.listeners.recent import run_task
from bot.names import SLASH_COMMAND
from bot.tasks import Task

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_bolt.context.async_context import AsyncBoltContext

    from bot.services import Services
    from bot.slack.connection import Respond

PATIENCE: Final = 1.5
"""Seconds an answer may take before the asker is told the bot is still looking."""
NEEDS: Final = Needs(scopes=("commands",))
"""The slash command (answered through its response_url)."""


async def handle_command(
    ack: AsyncAck, command: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Help and usage hints come back in the acknowledgement itself; anything else is acknowledged at
    once and answered in the background (ephemeral unless the user asked to share)."""
    understood = understand(str(command.get("text") or ""), services.scope, SLASH)
    if isinstance(understood, Reply):
        await ack(**understood.as_kwargs(), response_type="ephemeral")
        return
    await ack()
    work = answer_command(understood, respond, services, asker)
    services.background.spawn(work, body=command, respond=respond, name=SLASH_COMMAND)


async def answer_command(
    task: Task, respond: Respond, services: Services, asker: Asker, *, patience: float = PATIENCE
) -> None:
    """Run the task and post its answer; past `patience` seconds, say "Looking up…" first and replace it."""
    work = asyncio.ensure_future(run_task(task, services, asker, surface="command"))
    try:
        done, _ = await asyncio.wait({work}, timeout=patience)
        waited = not done
        if waited:
            await respond(**working_reply(task.subject).as_kwargs(), response_type="ephemeral")
        answer = await work
    finally:
        work.cancel()  # a no-op once it has finished; stops it when this answer is cancelled
    if answer.public:
        if waited:
            await respond(delete_original=True)
        await respond(**answer.reply.as_kwargs(), response_type="in_channel")
    else:
        await respond(**answer.reply.as_kwargs(), response_type="ephemeral", replace_original=waited)


def register(app: AsyncApp, services: Services) -> None:
    """Register `/har`."""

    async def on_command(
        ack: AsyncAck, command: dict[str, Any], respond: Respond, context: AsyncBoltContext
    ) -> None:
        await handle_command(ack, command, respond, services, Asker.from_context(context))

    app.command(SLASH_COMMAND)(on_command)
