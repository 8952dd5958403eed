"""The `/har` slash command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.access import Asker
from bot.answers import Request, look_up, understand
from bot.cards import Reply

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_bolt.context.respond.async_respond import AsyncRespond

    from bot.app import Services

COMMAND = "/har"


async def handle_registry_command(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, services: Services, asker: Asker
) -> None:
    """`/har <registry | org/registry | org/project/registry | registry_ref | link>`, or `/har help`.

    Help and usage hints come back in the acknowledgement itself; a lookup is acknowledged at once and
    answered in the background through `response_url` (ephemeral unless the user added `share`).
    """
    request = understand(str(command.get("text") or ""), services, command=COMMAND)
    if isinstance(request, Reply):
        await ack(**request.as_kwargs(), response_type="ephemeral")
        return
    await ack()
    services.background.spawn(
        answer_command(request, respond, services, asker), body=command, respond=respond, name="/har"
    )


async def answer_command(request: Request, respond: AsyncRespond, services: Services, asker: Asker) -> None:
    """Look the registry up and post the card, or what went wrong, through `response_url`."""
    answer = await look_up(
        request.ref,
        services,
        surface="command",
        asker=asker,
        requested_by=asker.user,
        shareable=not request.public,
    )
    visible = answer.ok and request.public
    await respond(**answer.reply.as_kwargs(), response_type="in_channel" if visible else "ephemeral")


def register(app: AsyncApp, services: Services) -> None:
    """Register `/har`."""

    async def on_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        await handle_registry_command(ack, command, respond, services, Asker.from_context(context))

    app.command(COMMAND)(on_command)
