"""What a surface declares for manifest.yml (bot.listeners.SURFACES)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Needs:
    """What a surface needs from manifest.yml that its registrations alone do not say."""

    bot_events: tuple[str, ...] = ()
    """Bot event subscriptions as the manifest names them ("message.im" arrives as "message")."""
    scopes: tuple[str, ...] = ()
    """Bot token scopes of the events it receives and the Web API methods it calls."""
