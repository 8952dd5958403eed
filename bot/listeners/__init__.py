"""The surfaces: one module per way people reach the bot, registered from the one list `SURFACES`.

Each surface module exposes `register(app, services)` (thin glue: acknowledge, then hand the slow part to
`services.background`) and `NEEDS`, what manifest.yml must declare for it beyond what its registrations
show (the manifest's bot event names and the OAuth scopes its calls use). tests/test_manifest.py derives
the rest from what the app actually registers: a new surface is one module here and its manifest lines.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Final

from bot.listeners import actions, artifact_actions, commands, events, home, subscribe, watching
from bot.listeners.needs import Needs

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.services import Services


SURFACES: Final[tuple[ModuleType, ...]] = (
    commands,
    events,
    actions,
    artifact_actions,
    home,
    watching,
    subscribe,
)
"""Every surface, in registration order."""


def register_listeners(app: AsyncApp, services: Services) -> None:
    """Register every surface's listeners."""
    for surface in SURFACES:
        surface.register(app, services)


def needs() -> Needs:
    """What every surface needs, together."""
    return Needs(
        bot_events=tuple(dict.fromkeys(e for s in SURFACES for e in s.NEEDS.bot_events)),
        scopes=tuple(dict.fromkeys(scope for s in SURFACES for scope in s.NEEDS.scopes)),
    )
