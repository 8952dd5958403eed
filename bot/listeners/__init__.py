"""Listener registration: each module exposes `register(app, services)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.listeners import actions, commands, events

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.services import Services


def register_listeners(app: AsyncApp, services: Services) -> None:
    """Register every listener the app has."""
    commands.register(app, services)
    events.register(app, services)
    actions.register(app, services)
