"""Views in the playground's workspace: the Home tab and modals Slack keeps for the user, what was entered
in them, and what Slack sends the app about them (`state`, `block_suggestion`, `block_actions` from a
view, `view_submission`, `app_home_opened`), field for field.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Final

from devtools.playground.workspace import APP_ID, BOT_ID, ME, TEAM_ID, interaction, trigger_id

RawValues = dict[str, dict[str, Any]]
"""What the user has entered in a view so far, by block_id then action_id, as the page sends it: an
external select's `{"value", "label"}`, a conversation id, the ticked checkboxes' values, a text."""


@dataclass
class View:
    """A view Slack keeps for the user: the Home tab or a modal, with what was entered in it."""

    id: str
    view: dict[str, Any]
    values: RawValues = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    """Under which input block to say what (`response_action: errors`), until the next change."""
    hash: str = field(default_factory=lambda: secrets.token_hex(8))
    notice: str = ""
    """What Slack says at the top of a modal whose submission the app did not acknowledge."""

    @property
    def is_modal(self) -> bool:
        """A modal (else the Home tab)."""
        return self.view.get("type") == "modal"

    def replace(self, view: dict[str, Any]) -> None:
        """A new version of the view (views.update, `response_action: update`): what was entered stays
        for the inputs that are still there, as Slack keeps it; errors go."""
        kept = {block for block, _ in stateful_elements(view)}
        self.view = view
        self.values = {block: value for block, value in self.values.items() if block in kept}
        self.errors = {}
        self.notice = ""
        self.hash = secrets.token_hex(8)


STATEFUL: Final = frozenset(
    {"external_select", "static_select", "conversations_select", "checkboxes", "plain_text_input"}
)
"""The input elements whose value Slack keeps in a view's `state`."""


def _elements(block: dict[str, Any]) -> list[Any]:
    if block.get("type") == "input":
        return [block.get("element")]
    if block.get("type") == "section":
        return [block.get("accessory")]
    found = block.get("elements") if block.get("type") == "actions" else None
    return found if isinstance(found, list) else []


def view_elements(view: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    """Every element of a view's blocks as (block, element, block_id), block ids as Slack stores them."""
    blocks = view.get("blocks")
    found: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    for index, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id") or f"b{index}")
        found += [(block, e, block_id) for e in _elements(block) if isinstance(e, dict)]
    return found


def stateful_elements(view: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The view's input elements (block_id, element), whose values its `state` holds."""
    return [(block_id, e) for _, e, block_id in view_elements(view) if e.get("type") in STATEFUL]


def stored_view_blocks(view: dict[str, Any]) -> list[Any]:
    """A view's blocks with the block ids Slack gives those sent without one (the ids `state` uses)."""
    blocks = view.get("blocks")
    return [
        {**block, "block_id": block.get("block_id") or f"b{index}"} if isinstance(block, dict) else block
        for index, block in enumerate(blocks if isinstance(blocks, list) else [])
    ]


def find_element(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any] | None:
    """The element `action_id` in block `block_id` of a view."""
    return next(
        (e for _, e, b in view_elements(view) if b == block_id and e.get("action_id") == action_id), None
    )


def dispatches(view: dict[str, Any], block_id: str, action_id: str) -> bool:
    """Whether choosing in this element sends a block_actions at once: outside an input block always,
    inside one only with `dispatch_action`."""
    for block, element, found in view_elements(view):
        if found == block_id and element.get("action_id") == action_id:
            return block.get("type") != "input" or bool(block.get("dispatch_action"))
    return False


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def element_state(element: dict[str, Any], raw: Any) -> dict[str, Any]:
    """One element's entry in `state.values` (and its action's fields): the raw value the page sent
    (None: nothing entered, so the element's initial value), in Slack's shape."""
    kind = str(element.get("type"))
    if kind in ("external_select", "static_select"):
        chosen = element.get("initial_option") if raw is None else None
        if isinstance(raw, dict) and isinstance(raw.get("value"), str) and raw["value"]:
            chosen = {"text": _plain(str(raw.get("label") or raw["value"])), "value": raw["value"]}
        return {"type": kind, "selected_option": chosen if isinstance(chosen, dict) else None}
    if kind == "conversations_select":
        chosen = element.get("initial_conversation") if raw is None else raw
        return {"type": kind, "selected_conversation": chosen if isinstance(chosen, str) and chosen else None}
    if kind == "checkboxes":
        options = [o for o in element.get("options") or [] if isinstance(o, dict)]
        if raw is None:
            initial = element.get("initial_options")
            return {"type": kind, "selected_options": initial if isinstance(initial, list) else []}
        ticked = set(raw) if isinstance(raw, list) else set()
        return {"type": kind, "selected_options": [o for o in options if o.get("value") in ticked]}
    text = element.get("initial_value") if raw is None else raw
    return {"type": kind, "value": text if isinstance(text, str) and text else None}


def view_state(view: View) -> dict[str, Any]:
    """The view's `state`: every input's value, as Slack sends it with block_actions and submissions."""
    values: dict[str, dict[str, Any]] = {}
    for block_id, element in stateful_elements(view.view):
        action_id = str(element.get("action_id"))
        raw = view.values.get(block_id, {}).get(action_id)
        values.setdefault(block_id, {})[action_id] = element_state(element, raw)
    return {"values": values}


def view_payload(view: View) -> dict[str, Any]:
    """The `view` object Slack includes in what it sends about a view."""
    sent = view.view
    return {
        "id": view.id,
        "team_id": TEAM_ID,
        "type": sent.get("type"),
        "blocks": stored_view_blocks(sent),
        "private_metadata": sent.get("private_metadata", ""),
        "callback_id": sent.get("callback_id", ""),
        "state": view_state(view),
        "hash": view.hash,
        "title": sent.get("title"),
        "close": sent.get("close"),
        "submit": sent.get("submit"),
        "previous_view_id": None,
        "root_view_id": view.id,
        "app_id": APP_ID,
        "external_id": sent.get("external_id", ""),
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }


def home_opened_event(home: View | None, *, channel: str, user: str = ME) -> dict[str, Any]:
    """The `app_home_opened` event Slack sends each time the user opens the app's Home tab."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    if home is not None:
        event["view"] = view_payload(home)
    return event


def block_suggestion(view: View, *, block_id: str, action_id: str, value: str) -> dict[str, Any]:
    """The `block_suggestion` payload for typing `value` into an external select of a view."""
    return {
        **interaction("block_suggestion"),
        "container": {"type": "view", "view_id": view.id},
        "view": view_payload(view),
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
    }


def view_action(element: dict[str, Any], *, block_id: str, raw: Any) -> dict[str, Any]:
    """The action of a block_actions payload from a view: a button pressed or a choice made."""
    action: dict[str, Any] = {
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "type": element.get("type", "button"),
        "action_ts": f"{time.time():.6f}",
    }
    if element.get("type") in STATEFUL:
        state = element_state(element, raw)
        action |= {key: value for key, value in state.items() if key != "type"}
        return action
    for key in ("text", "value", "url", "style"):
        if key in element:
            action[key] = element[key]
    return action


def view_block_actions(view: View, action: dict[str, Any]) -> dict[str, Any]:
    """The `block_actions` payload for an action in a view: no channel and no response_url (Slack sends
    neither for views), the view with its state, a trigger_id to open a modal with."""
    return {
        **interaction("block_actions"),
        "container": {"type": "view", "view_id": view.id},
        "trigger_id": trigger_id(),
        "view": view_payload(view),
        "actions": [action],
    }


def view_submission(view: View) -> dict[str, Any]:
    """The `view_submission` payload for pressing a modal's submit button."""
    return {
        **interaction("view_submission"),
        "trigger_id": trigger_id(),
        "view": view_payload(view),
        "response_urls": [],
    }
