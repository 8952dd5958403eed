"""Slack request bodies, read and checked before Bolt sees them.

Bolt parses a body and pulls ids out of it (team, user, channel, response_url, the action) before any
middleware or listener runs, and it assumes Slack's shapes while doing so: a `payload=` that is not JSON,
an `event` that is a string or `authorizations` that is not a list make it raise, and the request ends in
a 500 with a traceback in the log. It also guesses the body type from the text: a slash command whose
text merely contains the word "payload" (`/har payments/payload-store`) was read as an empty request.

`read_payload` reads a body the way Slack means it, and `check_payload` checks the shapes Bolt and the
listeners rely on, so a malformed request gets a 400 and one log line instead. Both raise
`MalformedRequest`, whose `reason` names the field and never quotes what was sent.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["MalformedRequest", "check_payload", "is_ssl_check", "read_payload"]

REQUIRED_EVENT_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "message": ("channel",),
    "app_mention": ("channel", "user", "ts"),
    "link_shared": ("channel", "message_ts", "links"),
}
"""What Slack always sends with the events this app answers: without them there is nowhere to answer."""


class MalformedRequest(ValueError):
    """The body is not a Slack payload this app can read. `reason` is for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_payload(body: str, content_type: str | None) -> dict[str, Any]:
    """The payload a Slack request body carries: JSON (events), `payload=<JSON>` (buttons) or a form.

    An empty body is an empty payload (Bolt answers it as an unhandled request).
    """
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return _json_object(body)
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in form:
        return _json_object(form["payload"])
    return form


def is_ssl_check(body: bytes) -> bool:
    """Whether this is Slack's certificate check of a slash command URL (`ssl_check=1`).

    Slack sends it unsigned; it is answered with 200 and nothing else, whatever else the body holds.
    """
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return form.get("ssl_check") == "1"


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise MalformedRequest("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedRequest(
            f"the payload is {_JSON_KINDS.get(type(value), 'something else')}, not an object"
        )
    return value


_JSON_KINDS: Final[dict[type, str]] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class _Shape(BaseModel):
    """Checks types only: unknown fields are allowed, nothing is converted."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class _Ids(_Shape):
    """An object Slack uses to name a team, user, channel or enterprise."""

    id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None


# Slack names a team, user or channel either by its id or by an object holding the id.
_Named = str | _Ids | None


class _Item(_Shape):
    """A message, or the item of an event: Bolt looks for user, channel and thread inside."""

    user: _Named = None
    channel: _Named = None
    team: _Named = None
    thread_ts: str | None = None


class _Link(_Shape):
    url: str | None = None
    domain: str | None = None


class _Event(_Item):
    type: str
    text: str | None = None
    ts: str | None = None
    event_ts: str | None = None
    message_ts: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    channel_type: str | None = None
    user_team: str | None = None
    source: str | None = None
    unfurl_id: str | None = None
    links: list[_Link] | None = None
    message: _Item | None = None
    previous_message: _Item | None = None
    item: _Item | None = None
    assistant_thread: _Item | None = None


class _Authorization(_Shape):
    team_id: str | None = None
    user_id: str | None = None
    enterprise_id: str | None = None
    is_bot: bool | None = None
    is_enterprise_install: bool | None = None


class _Action(_Shape):
    action_id: str | None = None
    block_id: str | None = None
    value: str | None = None
    type: str | None = None


class _Container(_Shape):
    type: str | None = None
    view_id: str | None = None
    is_ephemeral: bool | None = None
    channel_id: str | None = None
    message_ts: str | None = None


class _ResponseUrl(_Shape):
    response_url: str


class _Payload(_Shape):
    type: str | None = None
    token: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    api_app_id: str | None = None
    event_id: str | None = None
    user_id: str | None = None
    channel_id: str | None = None
    command: str | None = None
    text: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None
    challenge: str | None = None
    thread_ts: str | None = None
    team: _Named = None
    enterprise: _Named = None
    user: _Named = None
    channel: _Named = None
    authorizations: list[_Authorization] | None = None
    event: _Event | None = None
    actions: list[_Action] | None = Field(default=None, min_length=1)
    container: _Container | None = None
    view: dict[str, Any] | None = None
    message: _Item | None = None
    previous_message: _Item | None = None
    response_urls: list[_ResponseUrl] | None = None
    is_ext_shared_channel: bool | None = None
    # Slash commands send "true" / "false"; JSON payloads send booleans.
    is_enterprise_install: bool | str | None = None


NEVER_NULL: Final = ("event", "view")
"""Fields Bolt reads as `body.get(name, {}).get(...)`: absent is fine, but null breaks it."""


def check_payload(payload: dict[str, Any]) -> None:
    """Raise MalformedRequest unless the payload has the shapes Slack sends and this app relies on."""
    for name in NEVER_NULL:
        if name in payload and payload[name] is None:
            raise MalformedRequest(f"{name} is null")
    try:
        shape = _Payload.model_validate(payload)
    except ValidationError as exc:
        raise MalformedRequest(_describe(exc)) from None
    except RecursionError:
        raise MalformedRequest("the payload is nested too deeply") from None
    if shape.type == "event_callback":
        if shape.event is None:
            raise MalformedRequest("an event_callback has no event")
        event = payload["event"]
        for name in REQUIRED_EVENT_FIELDS.get(shape.event.type, ()):
            value = event.get(name)
            if not value or not isinstance(value, list if name == "links" else str):
                raise MalformedRequest(f"the {shape.event.type} event has no {name}")
    if shape.type == "url_verification" and shape.challenge is None:
        raise MalformedRequest("a url_verification has no challenge")
    if shape.type == "block_actions" and (
        not shape.actions or any(a.action_id is None for a in shape.actions)
    ):
        raise MalformedRequest("the block_actions payload has no actions, or one without an action_id")
    in_view = shape.container is not None and shape.container.type == "view"
    if shape.type == "block_actions" and in_view:
        # A click in the Home tab or a modal: no response_url (the view is what it can change).
        if not isinstance(shape.view, dict) or not isinstance(shape.view.get("id"), str):
            raise MalformedRequest("a click in a view has no view id")
        if shape.response_url is not None:
            _check_response_url(shape.response_url)
    elif shape.command is not None or shape.type == "block_actions":
        # Slack sends one with every slash command and every click on a message button: it is the only
        # way to answer them, so a request without a usable one did not come from Slack as it is.
        _check_response_url(shape.response_url)


def _check_response_url(url: str | None) -> None:
    if not url:
        raise MalformedRequest("the request has no response_url")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise MalformedRequest("the response_url is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MalformedRequest("the response_url is not an http(s) URL")


def _describe(exc: ValidationError) -> str:
    """Where the first problem is and what kind it is, without the value that was sent."""
    error = exc.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"] if not _is_union_branch(part)) or "the payload"
    # "should be a valid dictionary or instance of _Event": the class name says nothing to a reader.
    what = re.sub(r" or instance of \w+", "", error["msg"]).lower()
    return f"{where}: {what}"


def _is_union_branch(part: str | int) -> bool:
    # Pydantic names the union member it tried ("str", "_Ids") in the location; the field is what matters.
    return isinstance(part, str) and (
        part in ("str", "bool", "none") or part.startswith(("_", "list[", "dict["))
    )
