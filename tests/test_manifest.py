"""manifest.yml declares exactly what the code listens to and calls, and nothing else.

What it must declare is derived from what the app actually registers (a recorder stands in for Bolt's app
and takes any registration method: command, event, action, shortcut, view, options, message…) and from
each surface's `NEEDS` (bot.listeners): a new surface needs no edit here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.commands import usage_hint
from bot.listeners import SURFACES, needs, register_listeners
from bot.names import SLASH_COMMAND
from bot.services import build_services
from bot.settings import DEFAULT_HARNESS_UI_URL
from tests.conftest import make_settings

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"

# Registration kinds that arrive through Slack's interactivity request URL.
INTERACTIVE = {"action", "block_action", "shortcut", "global_shortcut", "message_shortcut", "view",
               "view_submission", "view_closed", "options", "block_suggestion"}  # fmt: skip


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


class RecordingApp:
    """Stands in for Bolt's app where listeners register: records every registration, whatever its kind.

    `app.<kind>(key, …)(listener)` is recorded as (kind, key), so the test learns of a new kind of
    registration without being told of it.
    """

    def __init__(self) -> None:
        self.registered: list[tuple[str, Any]] = []

    def __getattr__(self, kind: str) -> Callable[..., Callable[[Any], Any]]:
        def registration(key: Any = None, *_: Any, **__: Any) -> Callable[[Any], Any]:
            def decorator(listener: Any) -> Any:
                self.registered.append((kind, key))
                return listener

            return decorator

        return registration

    def keys(self, *kinds: str) -> set[str]:
        """The keys registered under `kinds` (a constraint dict by its type or callback_id)."""
        found = set()
        for kind, key in self.registered:
            if kind in kinds:
                if isinstance(key, dict):
                    key = key.get("callback_id") or key.get("type")
                found.add(str(key.pattern if hasattr(key, "pattern") else key))
        return found

    @property
    def kinds(self) -> set[str]:
        return {kind for kind, _ in self.registered}


def registered() -> RecordingApp:
    app = RecordingApp()
    register_listeners(app, build_services(make_settings()))  # type: ignore[arg-type]
    return app


def bot_events() -> list[str]:
    events: list[str] = manifest()["settings"]["event_subscriptions"]["bot_events"]
    return events


def test_every_surface_registers_and_declares_its_needs() -> None:
    for surface in SURFACES:
        assert callable(surface.register), surface.__name__
        assert surface.NEEDS is not None, surface.__name__


def test_manifest_commands_are_the_registered_commands() -> None:
    declared = {entry["command"] for entry in manifest()["features"].get("slash_commands", [])}
    assert declared == registered().keys("command")
    assert SLASH_COMMAND in declared


def test_manifest_bot_events_are_the_registered_events() -> None:
    # "message.im" arrives as a "message" event: an event's type is its subscription name up to the dot.
    app = registered()
    arriving = {name.split(".")[0] for name in bot_events()}
    listened = app.keys("event") | ({"message"} if "message" in app.kinds else set())
    assert arriving == listened
    assert sorted(bot_events()) == sorted(needs().bot_events)


def test_manifest_scopes_are_exactly_what_the_surfaces_need() -> None:
    declared = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert declared == set(needs().scopes)
    if registered().keys("command"):
        assert "commands" in declared


def test_manifest_enables_interactivity_exactly_when_something_interactive_is_registered() -> None:
    app, settings = registered(), manifest()["settings"]
    interactive = bool(app.kinds & INTERACTIVE)
    interactivity = settings.get("interactivity", {})
    assert bool(interactivity.get("is_enabled")) is interactive
    if interactive:
        assert interactivity["request_url"].endswith("/slack/events")
    options = bool(app.kinds & {"options", "block_suggestion"})
    assert ("options_load_url" in interactivity) is options
    if options:
        assert interactivity["options_load_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")


def test_manifest_shortcuts_are_the_registered_shortcuts() -> None:
    app = registered()
    declared = {entry["callback_id"] for entry in manifest()["features"].get("shortcuts", [])}
    assert declared == app.keys("shortcut", "global_shortcut", "message_shortcut")


def test_manifest_home_tab_is_on_exactly_when_the_app_listens_for_it() -> None:
    home = manifest()["features"]["app_home"]
    assert bool(home.get("home_tab_enabled")) is ("app_home_opened" in registered().keys("event"))
    assert home["messages_tab_enabled"] is ("message.im" in bot_events())


def test_manifest_unfurls_the_default_harness_ui_host() -> None:
    assert manifest()["features"]["unfurl_domains"] == [DEFAULT_HARNESS_UI_URL.removeprefix("https://")]
    assert "link_shared" in registered().keys("event")


def test_manifest_has_socket_mode_off() -> None:
    assert manifest()["settings"]["socket_mode_enabled"] is False


def test_the_usage_hint_comes_from_the_command_table() -> None:
    (command,) = manifest()["features"]["slash_commands"]
    assert command["usage_hint"] == usage_hint()
