"""Slack's side of views in the playground: the Home tab and the modals it keeps for the user, what it
sends the app when the user types, picks, presses or submits in them, and the `views.*` Web API methods
the app calls back (PlaygroundSlack answers them through this).

Like Slack: a trigger_id opens one view within 3 seconds; at most three modals stack; `views.update`
and `views.publish` refuse a stale `hash`; a submission's acknowledgement says what happens next
(`errors` under inputs, `update`, `push`, `clear`, or the modal closes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from devtools.playground.render import options_of
from devtools.playground.views import (
    RawValues,
    View,
    block_suggestion,
    dispatches,
    find_element,
    home_opened_event,
    view_action,
    view_block_actions,
    view_submission,
)
from devtools.playground.workspace import DM, ME, Workspace
from devtools.slack import view_argument

TRIGGER_SECONDS: Final = 3.0
"""A trigger_id opens one view, within 3 seconds of the interaction that brought it."""
MAX_MODALS: Final = 3
"""Slack stacks at most three modals."""

Interact = Callable[[dict[str, Any], str], Awaitable[tuple[int, str]]]
"""Deliver an interaction payload to the app: (HTTP status, body)."""
DeliverEvent = Callable[[dict[str, Any], str], Awaitable[None]]


class ViewSide:
    """The user's views, and Slack's side of them. See the module docstring."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        interact: Interact,
        deliver_event: DeliverEvent,
        new_id: Callable[[], str],
    ) -> None:
        self.workspace = workspace
        self.interact = interact
        self.deliver_event = deliver_event
        self.new_id = new_id
        self.triggers: dict[str, float] = {}
        """trigger_id -> when it was sent to the app; used up by the view it opens."""

    def issued(self, trigger: str) -> None:
        """A trigger_id went to the app (those older than a minute are forgotten)."""
        now = time.monotonic()
        self.triggers = {t: at for t, at in self.triggers.items() if now - at < 60} | {trigger: now}

    async def open_home(self) -> None:
        """The user opened the app's Home tab: Slack sends app_home_opened, each time."""
        await self.deliver_event(home_opened_event(self.workspace.home, channel=DM), "app_home_opened event")

    def _view(self, view_id: str, values: RawValues | None) -> View | None:
        """The view, with what the page says was entered in it."""
        view = self.workspace.find_view(view_id)
        if view is not None and values is not None:
            view.values = values
        return view

    async def suggest(self, view_id: str, block_id: str, action_id: str, typed: str) -> list[dict[str, str]]:
        """Options for an external select being typed into (block_suggestion); none when the app does not
        answer with options in time, as Slack then shows none."""
        view = self.workspace.find_view(view_id)
        if view is None or find_element(view.view, block_id, action_id) is None:
            return []
        payload = block_suggestion(view, block_id=block_id, action_id=action_id, value=typed[:150])
        status, body = await self.interact(payload, f"block_suggestion {action_id}")
        try:
            answer = json.loads(body) if status == 200 and body else None
        except json.JSONDecodeError:
            answer = None
        return options_of(answer)

    async def act_in_view(
        self, view_id: str, block_id: str, action_id: str, *, values: RawValues, raw: Any = None
    ) -> bool:
        """A button pressed, or a choice made, in a view: block_actions when Slack would send one (a button,
        a menu outside an input block). False when the view or the element is gone."""
        view = self._view(view_id, values)
        element = find_element(view.view, block_id, action_id) if view is not None else None
        if view is None or element is None:
            return False
        if raw is not None:
            view.values.setdefault(block_id, {})[action_id] = raw
        if element.get("type") != "button" and not dispatches(view.view, block_id, action_id):
            return True  # an input block's menu: kept for the submission, nothing sent
        action = view_action(element, block_id=block_id, raw=raw)
        await self.interact(view_block_actions(view, action), f"block_actions {action_id}")
        return True

    async def submit(self, view_id: str, values: RawValues) -> str:
        """The modal's submit button: view_submission, then what the app's acknowledgement asks for
        (errors under inputs, an update, a push, clear, or closing it). Returns what happened."""
        view = self._view(view_id, values)
        if view is None or not view.is_modal:
            return "gone"
        status, body = await self.interact(view_submission(view), "view_submission")
        view.notice = "" if status == 200 else "We had some trouble connecting. Try again?"
        if status != 200:
            self.workspace.touch()
            return "no acknowledgement"
        return self.apply_response(view, body)

    def apply_response(self, view: View, body: str) -> str:
        try:
            answer = json.loads(body) if body.strip() else {}
        except json.JSONDecodeError:
            answer = {}
        action = answer.get("response_action") if isinstance(answer, dict) else None
        sent = answer.get("view") if isinstance(answer, dict) else None
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if action == "errors" and isinstance(errors, dict):
            view.errors = {str(block): str(text) for block, text in errors.items()}
        elif action == "update" and isinstance(sent, dict):
            view.replace(sent)
        elif action == "push" and isinstance(sent, dict):
            if len(self.workspace.modals) < MAX_MODALS:
                self.workspace.modals.append(View(id=self.new_id(), view=sent))
            else:
                view.notice, action = "Slack shows at most three modals at once.", "push_limit_reached"
        elif action == "clear":
            self.workspace.modals.clear()
        else:
            self.workspace.close_modal(view.id)
            action = "close"
        self.workspace.touch()
        return str(action)

    async def close(self, view_id: str) -> bool:
        """The modal's Close (or ×): it closes; the app hears view_closed only if it asked to."""
        view = self.workspace.find_view(view_id)
        if view is None or not view.is_modal or not self.workspace.close_modal(view_id):
            return False
        if view.view.get("notify_on_close"):
            payload = view_submission(view) | {"type": "view_closed", "is_cleared": False}
            await self.interact(payload, "view_closed")
        return True

    def _trigger_refusal(self, args: dict[str, Any]) -> str | None:
        """Why Slack would refuse this trigger_id (`invalid_trigger_id`, `expired_trigger_id`), or None;
        a trigger opens one view."""
        issued = self.triggers.pop(str(args.get("trigger_id")), None)
        if issued is None:
            return "invalid_trigger_id"
        if time.monotonic() - issued > TRIGGER_SECONDS:
            return "expired_trigger_id"
        return None

    def publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = view_argument(args)
        if view is None or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        if args.get("user_id") != ME:
            return {"ok": False, "error": "user_not_found"}
        home = self.workspace.home
        if home is not None and args.get("hash") not in (None, home.hash):
            return {"ok": False, "error": "hash_conflict"}
        if home is None:
            home = self.workspace.home = View(id=self.new_id(), view=view)
        else:
            home.replace(view)
        self.workspace.touch()
        return {"ok": True, "view": {"id": home.id, "hash": home.hash, **view}}

    def _open(self, args: dict[str, Any], *, push: bool) -> dict[str, Any]:
        view = view_argument(args)
        if view is None or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        refusal = self._trigger_refusal(args)
        if refusal is not None:
            return {"ok": False, "error": refusal}
        if push and not self.workspace.modals:
            return {"ok": False, "error": "not_found"}
        if push and len(self.workspace.modals) >= MAX_MODALS:
            return {"ok": False, "error": "push_limit_reached"}
        opened = View(id=self.new_id(), view=view)
        self.workspace.modals = [*self.workspace.modals, opened] if push else [opened]
        self.workspace.touch()
        return {"ok": True, "view": {"id": opened.id, "hash": opened.hash, **view}}

    def open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._open(args, push=False)

    def push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._open(args, push=True)

    def update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = view_argument(args)
        found = self.workspace.find_view(str(args.get("view_id")))
        if view is None:
            return {"ok": False, "error": "invalid_arguments"}
        if found is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") not in (None, found.hash):
            return {"ok": False, "error": "hash_conflict"}
        found.replace(view)
        self.workspace.touch()
        return {"ok": True, "view": {"id": found.id, "hash": found.hash, **view}}
