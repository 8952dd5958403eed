"""manifest.yml declares exactly what the code listens to and calls, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.commands import usage_hint
from bot.listeners import actions, events, register_listeners
from bot.names import SLASH_COMMAND
from bot.services import build_services
from bot.settings import DEFAULT_HARNESS_UI_URL
from tests.conftest import make_settings

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"

# Bot event subscription -> the event type the code registers (message.im arrives as "message").
EVENT_TYPES = {"app_mention": "app_mention", "message.im": "message", "link_shared": "link_shared"}
# What each thing the code uses needs, from Slack's scope reference.
SCOPES_FOR_EVENTS = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "link_shared": "links:read",
}
SCOPES_FOR_CALLS = {
    "slash command": "commands",
    "chat.postMessage (say)": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.unfurl": "links:write",
}


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_manifest_commands_are_the_registered_commands() -> None:
    declared = {entry["command"] for entry in manifest()["features"]["slash_commands"]}
    assert declared == {SLASH_COMMAND}


def test_manifest_bot_events_are_the_registered_events() -> None:
    declared = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert {EVENT_TYPES[name] for name in declared} == set(events.EVENTS)
    assert len(declared) == len(events.EVENTS)


def test_manifest_scopes_are_exactly_what_the_code_needs() -> None:
    declared = set(manifest()["oauth_config"]["scopes"]["bot"])
    needed = set(SCOPES_FOR_CALLS.values()) | {
        SCOPES_FOR_EVENTS[name] for name in manifest()["settings"]["event_subscriptions"]["bot_events"]
    }
    assert declared == needed


def test_manifest_enables_interactivity_for_the_card_buttons() -> None:
    settings = manifest()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert actions.ACTIONS


def test_manifest_unfurls_the_default_harness_ui_host() -> None:
    assert manifest()["features"]["unfurl_domains"] == [DEFAULT_HARNESS_UI_URL.removeprefix("https://")]


def test_manifest_has_the_dm_tab_and_socket_mode_off() -> None:
    loaded = manifest()
    assert loaded["features"]["app_home"]["messages_tab_enabled"] is True
    assert loaded["settings"]["socket_mode_enabled"] is False


def test_the_usage_hint_comes_from_the_command_table() -> None:
    (command,) = manifest()["features"]["slash_commands"]
    assert command["usage_hint"] == usage_hint()


class RecordingApp:
    """Stands in for Bolt's app where listeners register: records each registration, by kind."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, object]] = []

    def _record(self, kind: str, key: object) -> Any:
        def decorator(listener: Any) -> Any:
            self.registered.append((kind, key))
            return listener

        return decorator

    def command(self, name: str) -> Any:
        return self._record("command", name)

    def event(self, event_type: str) -> Any:
        return self._record("event", event_type)

    def action(self, action_id: str) -> Any:
        return self._record("action", action_id)


def test_the_app_registers_no_listener_beyond_the_declared_ones() -> None:
    app = RecordingApp()
    register_listeners(app, build_services(make_settings()))  # type: ignore[arg-type]
    assert sorted(app.registered, key=str) == sorted(
        [
            ("command", SLASH_COMMAND),
            *(("event", name) for name in events.EVENTS),
            *(("action", action) for action in actions.ACTIONS),
        ],
        key=str,
    )
